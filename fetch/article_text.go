package fetch

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	artMDHeadingRe = regexp.MustCompile(`^(#{1,6})\s+(.*?)(?:\s+#+)?$`)
	artListRe      = regexp.MustCompile(`^(?:[-*+•–]|\d{1,3}[.)])\s+`)
	artMDImageRe   = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	artMDLinkRe    = regexp.MustCompile(`\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])`)
	artMDRefRe     = regexp.MustCompile(`^\[[^\]]+\]:\s*\S+`)
	artMDStrongRe  = regexp.MustCompile(`(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	artMDStarRe    = regexp.MustCompile(`(^|[^\w*])\*(\S(?:[^*]*?\S)?)\*`)
	artMDUnderRe   = regexp.MustCompile(`(^|[^\w_])_(\S(?:[^_]*?\S)?)_($|[^\w_])`)
	artMDCodeRe    = regexp.MustCompile("`([^`]+)`")
	artMDTagRe     = regexp.MustCompile(`</?[a-zA-Z][^<>]*>|<!--.*?-->`)
)

// artLine is one source line inside a block.
type artLine struct {
	text    string // cleaned, Markdown inline markup removed
	raw     string // as written (Markdown markup kept), to see emphasis
	link    bool   // the whole line is one Markdown link
	checked bool   // artIsChrome(text) is known to be false
}

// artTextUnits splits plain text, or Markdown when md is set, into units.
// Blank lines separate blocks. Inside a block every line is judged on its
// own first: chrome, date, byline and link lines stand alone even with no
// blank line around them. The rest are joined again where they are
// hard-wrapped prose, and kept apart where their shape says they are
// separate lines (a list of headlines, a team sheet, one paragraph per line).
func artTextUnits(src string, md bool) []artUnit {
	var units []artUnit
	var run []artLine
	runList := false
	flush := func() {
		units = append(units, artJoinRun(run, runList, artIsListLabel(units), md)...)
		run, runList = run[:0], false
	}
	for raw := range strings.SplitSeq(src, "\n") {
		if artSpacedMenu(raw) {
			flush()
			units = append(units, artUnit{text: artClean(raw), chrome: true})
			continue
		}
		line := artClean(raw)
		mdRaw, link := line, false
		if md {
			if artMDRefRe.MatchString(line) {
				continue
			}
			if m := artMDHeadingRe.FindStringSubmatch(line); m != nil {
				flush()
				if t := artMDInline(m[2]); t != "" {
					units = append(units, artUnit{text: t, heading: len(m[1])})
				}
				continue
			}
			mdRaw = strings.TrimLeft(line, "> ")
			link = artMDLinkLineRe.MatchString(mdRaw)
			line = artMDInline(mdRaw)
		}
		switch {
		case line == "":
			flush()
			continue
		case artIsRule(line) || line == "--":
			// A lone line underlined with === or --- is a heading (setext
			// style), unless it is the site's name in capitals.
			if len(run) == 1 && (line[0] == '=' || line[0] == '-') && !strings.Contains(line, " ") && line != "--" {
				u := artUnit{text: run[0].text, heading: 1 + artBtoi(line[0] == '-'), setext: true}
				if artIsMasthead(u.text) {
					u.heading, u.chrome = 0, true
				}
				units = append(units, u)
				run = run[:0]
			}
			flush()
			continue
		}
		strong := len(run) > 0 && artContinues(run[len(run)-1].text, line, raw)
		weak := len(run) > 0 && !strong && artContinuesWeak(run[len(run)-1].text)
		continued := strong || weak
		// "1. " after a line cut mid-sentence is a wrapped "… rose to\n15. Then",
		// unless the line above is an item of the list.
		if loc := artListRe.FindStringIndex(line); loc != nil && !(continued && artIsDigit(line[0]) && !runList) {
			flush()
			run, runList = append(run, artLine{text: line[loc[1]:], raw: artListRe.ReplaceAllString(mdRaw, ""), link: link}), true
			continue
		}
		if (!continued && artStandsAlone(line)) || (weak && artIsStrongChrome(line)) {
			flush()
			units = append(units, artUnit{text: line, emph: artMDWholeEmph(mdRaw), link: link})
			continue
		}
		if runList && !continued {
			flush()
		}
		run = append(run, artLine{text: line, raw: mdRaw, link: link, checked: !continued})
	}
	flush()
	return units
}

var (
	artMDLinkLineRe = regexp.MustCompile(`^(?:(?:[-*+•]|\d{1,3}[.)])\s+)?(?:\*\*|__)?\[[^\]]+\]\([^)]*\)(?:\*\*|__)?$`)
	artMDEmphRe     = regexp.MustCompile(`^(\*{1,3}|_{1,3})(\S(?:.*\S)?)(\*{1,3}|_{1,3})$`)
	artSpaceRunRe   = regexp.MustCompile(`\s{2,}|\t`)
	artLabelLineRe  = regexp.MustCompile(`^\p{Lu}[\p{L}'’-]*:\s`)
	artScoreRe      = regexp.MustCompile(`^\p{Lu}[\p{L}.'’& -]{1,40}? \d{1,3}(?: \([^)]*\))?,? \p{Lu}[\p{L}.'’& -]{1,40}? \d{1,3}(?: \([^)]*\))?$`)
	artTimecodeRe   = regexp.MustCompile(`^\(?\d{1,2}:\d{2}`)
)

// artMDWholeEmph reports a line or paragraph wholly in Markdown emphasis:
// "*Enjoying this? Sign up.*", "_Posted on …_".
func artMDWholeEmph(raw string) bool {
	m := artMDEmphRe.FindStringSubmatch(strings.TrimSpace(raw))
	return m != nil && m[1] == m[3] && !strings.Contains(m[2], m[1])
}

// artSpacedMenu recognises a menu laid out with runs of spaces or tabs:
// "e-Edition   Obituaries   Classifieds   Legal Notices   Subscribe".
func artSpacedMenu(raw string) bool {
	raw = strings.TrimSpace(raw)
	if len(raw) > 200 || !strings.Contains(raw, "  ") && !strings.Contains(raw, "\t") {
		return false
	}
	segs := artSpaceRunRe.Split(raw, -1)
	if len(segs) < 3 {
		return false
	}
	for _, seg := range segs {
		if len(strings.Fields(seg)) > 4 || utf8.RuneCountInString(seg) > 30 || artEndsSentence(seg) ||
			strings.HasSuffix(seg, ",") || strings.IndexFunc(seg, unicode.IsLetter) < 0 {
			return false
		}
	}
	return true
}

// artIsMasthead: a site name in capitals with a tagline after a
// separator, "THE WEALD COURIER -- NEWS FOR THE HIGH WEALD SINCE 1887".
func artIsMasthead(s string) bool {
	if strings.IndexFunc(s, unicode.IsLower) >= 0 || strings.IndexFunc(s, unicode.IsUpper) < 0 {
		return false
	}
	for _, sep := range []string{" -- ", " — ", " – ", " - ", " | ", " · ", " • ", " ~ "} {
		if strings.Contains(s, sep) {
			return true
		}
	}
	return false
}

func artIsDigit(b byte) bool { return b >= '0' && b <= '9' }

func artBtoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// artContinues reports whether line surely carries on the wrapped line
// prev: it starts in lower case or is indented.
func artContinues(prev, line, raw string) bool {
	r, _ := utf8.DecodeRuneInString(line)
	return unicode.IsLower(r) || (raw != "" && (raw[0] == ' ' || raw[0] == '\t'))
}

// artContinuesWeak reports a previous line that stopped mid-sentence at a
// typical wrap width, so the next line probably carries it on.
func artContinuesWeak(prev string) bool {
	return utf8.RuneCountInString(prev) >= 40 && !artEndsSentence(prev)
}

// artIsStrongChrome reports chrome so plain that it stands alone even
// where the line above seems to run on into it: a "Read more: …" aside,
// a promo label, a copyright line. A wrapped line of prose may open with
// a word and a colon ("Latest figures: …"), so the looser label rules
// wait until the line is known to stand alone.
func artIsStrongChrome(line string) bool {
	low := strings.ToLower(line)
	if utf8.RuneCountInString(line) > 250 {
		return false
	}
	key := strings.TrimRight(low, ".:*!… ")
	return artChromeExact[key] || artMediaLabel(line) || artPromoLabel(low) || (artHasCJK(line) && artZhChromeRe.MatchString(line)) ||
		(!strings.HasSuffix(line, ".") && artAsideRe.MatchString(low)) || artStrongAside(line, low) ||
		artLegalRe.MatchString(low)
}

// artStandsAlone reports lines that never belong to a paragraph.
func artStandsAlone(line string) bool {
	if artIsChrome(line) {
		return true
	}
	if _, ok := artDateLine(line); ok {
		return true
	}
	if _, _, ok := artByline(line); ok {
		return true
	}
	if artCreditLine(line) {
		return true
	}
	_, _, ok := artMetaLine(line)
	return ok
}

// artIsListLabel reports whether the last unit is a short label that
// headlines may follow line by line: "Most read", "READ MORE:", "相关阅读:".
func artIsListLabel(units []artUnit) bool {
	if len(units) == 0 {
		return false
	}
	t := units[len(units)-1].text
	if artWordCount(t) > 6 || artEndsSentence(t) {
		return false
	}
	return strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：") || artIsPointerLabel(t, 5)
}

// artHeadlineItem reports a line shaped like another story's headline in
// a list: a capital first, a few words, no closing punctuation.
func artHeadlineItem(s string) bool {
	n := utf8.RuneCountInString(s)
	if n > 150 || n < 8 || artTimecodeRe.MatchString(s) {
		return false
	}
	if w := artWordCount(s); w < 3 || w > 22 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	if strings.ContainsRune(".,;:!。，；：！", last) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(first) || unicode.IsDigit(first) || artIsCJK(first) || strings.ContainsRune("\"'“‘", first)
}

// artListShaped reports a block whose lines are separate items rather
// than wrapped prose: every line after an optional label opens with a
// capital and none closes with punctuation.
func artListShaped(run []artLine) bool {
	if len(run) < 2 {
		return false
	}
	for i, l := range run {
		if i == 0 && (strings.HasSuffix(l.text, ":") || strings.HasSuffix(l.text, "：")) && artWordCount(l.text) <= 6 {
			continue
		}
		if !artHeadlineItem(l.text) && !(i == 0 && artWordCount(l.text) <= 4 && !artEndsSentence(l.text)) {
			return false
		}
	}
	return true
}

// artJoinRun turns consecutive lines of one block into paragraphs. A break
// is a wrap when the next line's first word would not have fitted on the
// line (greedy wrapping at width W, estimated from the block itself);
// otherwise the lines were meant to stand apart, like a masthead above a
// menu. Lines longer than any wrap width are paragraphs of their own; a
// list of headlines, or the lines under a label, stay one per line. md
// says the lines are Markdown, whose emphasis may span lines.
func artJoinRun(run []artLine, list, label, md bool) []artUnit {
	if len(run) == 0 {
		return nil
	}
	var units []artUnit
	one := func(l artLine) artUnit {
		return artUnit{text: l.text, list: list, link: l.link, emph: artMDWholeEmph(l.raw), checked: l.checked}
	}
	if !list && artListShaped(run) {
		for _, l := range run {
			units = append(units, one(l))
		}
		return units
	}
	// Headlines under a label ("READ MORE:") stand alone until the story resumes.
	for label && !list && len(run) > 0 && artHeadlineItem(run[0].text) {
		if len(run) > 1 {
			r, _ := utf8.DecodeRuneInString(run[1].text)
			if unicode.IsLower(r) {
				break
			}
		}
		units = append(units, one(run[0]))
		run = run[1:]
	}
	if len(run) == 0 {
		return units
	}
	w := 0
	for _, l := range run[:len(run)-1] {
		w = max(w, utf8.RuneCountInString(l.text))
	}
	var cur, raw strings.Builder
	links, checked := 0, false
	start := func(l artLine) {
		cur.Reset()
		raw.Reset()
		cur.WriteString(l.text)
		raw.WriteString(l.raw)
		links, checked = artBtoi(l.link), l.checked
	}
	end := func(lines int) {
		text := cur.String()
		if md && lines > 1 && strings.ContainsAny(text, "*_") {
			// Emphasis opened on one line and closed on another.
			text = artMDEmphasis(text)
		}
		units = append(units, artUnit{text: text, list: list, emph: artMDWholeEmph(raw.String()),
			link: links == lines && lines == 1, checked: checked && lines == 1})
	}
	start(run[0])
	lines := 1
	for i, next := range run[1:] {
		prev := run[i].text
		first, _, _ := strings.Cut(next.text, " ")
		fit := utf8.RuneCountInString(prev) + 1 + utf8.RuneCountInString(first)
		wrap := w >= 40 && w <= 120 && utf8.RuneCountInString(next.text) <= w+20 && 5*fit > 4*w
		if artEndsSentence(prev) {
			// After a full stop a greedy wrapper fills the line: a break
			// where the next word would have fitted is a new paragraph.
			wrap = wrap && fit > w && !artLabelLineRe.MatchString(next.text)
		}
		if list || wrap {
			if !artHyphenated(prev, next.text) {
				cur.WriteByte(' ')
			}
			cur.WriteString(next.text)
			raw.WriteByte(' ')
			raw.WriteString(next.raw)
			lines++
			continue
		}
		end(lines)
		start(next)
		lines = 1
	}
	end(lines)
	return units
}

// artHyphenated reports a word split at the line end ("energy-" +
// "hungry"); it is joined keeping the hyphen, since a hard hyphen is likelier.
func artHyphenated(a, b string) bool {
	ra, _ := utf8.DecodeLastRuneInString(strings.TrimSuffix(a, "-"))
	rb, _ := utf8.DecodeRuneInString(b)
	return strings.HasSuffix(a, "-") && unicode.IsLetter(ra) && unicode.IsLower(rb)
}

// artMDEmphasis removes Markdown emphasis markers, keeping the words.
func artMDEmphasis(s string) string {
	s = artMDStrongRe.ReplaceAllString(s, "$2")
	s = artMDStarRe.ReplaceAllString(s, "$1$2")
	return artMDUnderRe.ReplaceAllString(s, "$1$2$3")
}

// artMDInline removes Markdown inline markup, keeping the words.
func artMDInline(s string) string {
	s = artMDImageRe.ReplaceAllString(s, "")
	s = artMDLinkRe.ReplaceAllString(s, "$1")
	s = artMDEmphasis(s)
	s = artMDCodeRe.ReplaceAllString(s, "$1")
	// Only tags that are really HTML go: "Vec<T>" is a title, not markup.
	if locs := artMDTagRe.FindAllStringIndex(s, -1); locs != nil {
		var b strings.Builder
		last, m := 0, newMarkupScan(s)
		for _, l := range locs {
			b.WriteString(s[last:l[0]])
			if tag := s[l[0]:l[1]]; !artMDIsMarkup(m, l[0], tag) {
				b.WriteString(tag)
			}
			last = l[1]
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return artClean(html.UnescapeString(s))
}

// artMDIsMarkup says whether the tag at s[i] is inline HTML to drop: a
// comment, or an HTML element's tag, where a one-letter name ("<T>", "<B>")
// counts only when used as markup ("<b>bold</b>", "<a href=…>").
func artMDIsMarkup(m *markupScan, i int, tag string) bool {
	if strings.HasPrefix(tag, "<!--") {
		return true
	}
	name, _ := tagNameAt(strings.TrimPrefix(tag[1:], "/"))
	if name == "" || !isHTMLName(name) {
		return false
	}
	return len(name) > 1 || tag[1] == '/' || m.tagAt(i)
}

// artMarkdownUnits reads optional YAML-style front matter (title, date,
// author, canonical URL, tags), then the Markdown body.
func artMarkdownUnits(src string) ([]artUnit, artMeta) {
	var meta artMeta
	trimmed := strings.TrimLeft(src, " \t\n")
	if rest, ok := strings.CutPrefix(trimmed, "---\n"); ok {
		if end := strings.Index(rest, "\n---"); end >= 0 && end < 8192 {
			meta = artFrontMatter(rest[:end])
			src = rest[end+4:]
		}
	}
	return artTextUnits(src, true), meta
}

func artFrontMatter(fm string) artMeta {
	var meta artMeta
	for line := range strings.SplitSeq(fm, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = artClean(strings.Trim(strings.TrimSpace(v), `"'`))
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "title":
			meta.title = v
		case "date", "published", "pubdate", "published_at":
			if m, ok := artFindDate(v); ok {
				meta.date = m.t
			}
		case "author", "by":
			meta.author = v
		case "url", "canonical", "canonical_url", "link", "source":
			if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
				meta.url = v
			}
		case "tags", "categories", "keywords":
			meta.tags = artSplitTags(strings.Trim(v, "[]"))
		}
	}
	return meta
}
