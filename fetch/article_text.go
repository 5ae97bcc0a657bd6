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

// artTextUnits splits plain text, or Markdown when md is set, into units.
// Blank lines separate blocks. Inside a block, hard-wrapped lines are joined
// again, while lines that stand alone (headings, list items, chrome, date and
// byline lines) stay apart even with no blank line around them.
func artTextUnits(src string, md bool) []artUnit {
	var units []artUnit
	var run []string
	runList := false
	flush := func() {
		units = append(units, artJoinRun(run, runList)...)
		run, runList = run[:0], false
	}
	for raw := range strings.SplitSeq(src, "\n") {
		line := artClean(raw)
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
			line = artMDInline(strings.TrimLeft(line, "> "))
		}
		switch {
		case line == "":
			flush()
			continue
		case artIsRule(line):
			// A lone line underlined with === or --- is a heading (setext style).
			if len(run) == 1 && (line[0] == '=' || line[0] == '-') && !strings.Contains(line, " ") {
				units = append(units, artUnit{text: run[0], heading: 1 + artBtoi(line[0] == '-')})
				run = run[:0]
			}
			flush()
			continue
		}
		continued := len(run) > 0 && artContinues(run[len(run)-1], line, raw)
		// "1. " after a line cut mid-sentence is a wrapped "… rose to\n15. Then".
		if loc := artListRe.FindStringIndex(line); loc != nil && !(continued && artIsDigit(line[0])) {
			flush()
			run, runList = append(run, line[loc[1]:]), true
			continue
		}
		if !continued && artStandsAlone(line) {
			flush()
			units = append(units, artUnit{text: line})
			continue
		}
		if runList && !continued {
			flush()
		}
		run = append(run, line)
	}
	flush()
	return units
}

func artIsDigit(b byte) bool { return b >= '0' && b <= '9' }

func artBtoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// artContinues reports whether line carries on the wrapped line prev: it
// starts in lower case, is indented, or prev stopped mid-sentence at a
// typical wrap width.
func artContinues(prev, line, raw string) bool {
	r, _ := utf8.DecodeRuneInString(line)
	return unicode.IsLower(r) || (raw != "" && (raw[0] == ' ' || raw[0] == '\t')) ||
		(utf8.RuneCountInString(prev) >= 40 && !artEndsSentence(prev))
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
	_, _, ok := artMetaLine(line)
	return ok
}

// artJoinRun turns consecutive lines of one block into paragraphs. A break
// is a wrap when the next line's first word would not have fitted on the
// line (greedy wrapping at width W, estimated from the block itself);
// otherwise the lines were meant to stand apart, like a masthead above a menu.
func artJoinRun(run []string, list bool) []artUnit {
	if len(run) == 0 {
		return nil
	}
	w := 0
	for _, l := range run[:len(run)-1] {
		w = max(w, utf8.RuneCountInString(l))
	}
	var units []artUnit
	var cur strings.Builder
	cur.WriteString(run[0])
	for i, next := range run[1:] {
		prev := run[i]
		first, _, _ := strings.Cut(next, " ")
		fit := utf8.RuneCountInString(prev) + 1 + utf8.RuneCountInString(first)
		if list || (w >= 40 && utf8.RuneCountInString(next) <= w+20 && 5*fit > 4*w) {
			if !artHyphenated(prev, next) {
				cur.WriteByte(' ')
			}
			cur.WriteString(next)
			continue
		}
		units = append(units, artUnit{text: cur.String(), list: list})
		cur.Reset()
		cur.WriteString(next)
	}
	return append(units, artUnit{text: cur.String(), list: list})
}

// artHyphenated reports a word split at the line end ("energy-" +
// "hungry"); it is joined keeping the hyphen, since a hard hyphen is likelier.
func artHyphenated(a, b string) bool {
	ra, _ := utf8.DecodeLastRuneInString(strings.TrimSuffix(a, "-"))
	rb, _ := utf8.DecodeRuneInString(b)
	return strings.HasSuffix(a, "-") && unicode.IsLetter(ra) && unicode.IsLower(rb)
}

// artMDInline removes Markdown inline markup, keeping the words.
func artMDInline(s string) string {
	s = artMDImageRe.ReplaceAllString(s, "")
	s = artMDLinkRe.ReplaceAllString(s, "$1")
	s = artMDStrongRe.ReplaceAllString(s, "$2")
	s = artMDStarRe.ReplaceAllString(s, "$1$2")
	s = artMDUnderRe.ReplaceAllString(s, "$1$2$3")
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
