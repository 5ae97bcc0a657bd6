package fetch

import (
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// artResult is an article after the heuristics: what becomes a feed.Item.
type artResult struct {
	title, url, author string
	date               time.Time
	tags               []string
	body               []string
}

var (
	artBylineRe  = regexp.MustCompile(`^(?i:by:?|written by|words by|reporting by|author:?)\s+(\S.*)$`)
	artBylineCut = regexp.MustCompile(` [·|•—–-] |, | (?i:on|at|in|for) |\s*\(|:`)
	artMetaURLRe = regexp.MustCompile(`^(?i:canonical(?: url| link)?|source(?: url| link)?|` +
		`original(?: article| url| link| story)?|url|link|permalink|originally published (?:at|on|in))` +
		`\s*[:\-–—]?\s*<?(https?://[^\s<>]+?)>?$`)
	artTagsRe    = regexp.MustCompile(`^(?i:tags|tagged|tagged with|filed under|topics|categories|keywords)\s*:\s*(.{1,200})$`)
	artNameWords = artWordSet("and|&|de|da|del|della|di|du|van|von|der|den|al|el|bin|ibn|la|le|" +
		"staff|correspondent|reporter|desk|writer|editor|team")
	artAbbrevs = artWordSet("mr|mrs|ms|dr|prof|st|sen|rep|gen|col|lt|sgt|capt|gov|pres|jr|sr|inc|ltd|co|" +
		"corp|no|vs|etc|e.g|i.e|approx|dept|est|fig|jan|feb|mar|apr|aug|sept|sep|oct|nov|dec|mt|ft|gov't")
)

// artAssemble applies the heuristics to the units of one article: read
// date, byline and link lines, drop chrome line by line, then lists of
// other headlines and lines repeated at the start and the end, pick the
// headline, trim the tail.
func artAssemble(units []artUnit, meta artMeta) artResult {
	r := artResult{url: meta.url, author: meta.author, date: meta.date, tags: meta.tags}
	var kept []artUnit
	var lineDate time.Time
	byline := false // the unit before was a byline: a job title may follow
	for _, u := range units {
		if u.text == "" {
			continue
		}
		after := byline
		byline = false
		if url, tags, ok := artMetaLine(u.text); ok {
			r.url = artOr(r.url, url)
			r.tags = append(r.tags, tags...)
			continue
		}
		if u.heading == 0 {
			if author, d, ok := artByline(u.text); ok {
				r.author = artOr(r.author, author)
				lineDate = artOrTime(lineDate, d)
				byline = true
				continue
			}
			if d, ok := artDateLine(u.text); ok {
				lineDate = artOrTime(lineDate, d)
				byline = after
				continue
			}
			if artCreditLine(u.text) {
				if d, ok := artFindDate(u.text); ok {
					lineDate = artOrTime(lineDate, d.t)
				}
				byline = true
				continue
			}
			if after && artRoleLine(u.text) { // "Ledger Staff Writer" under "By Dale Ruskin"
				byline = true
				continue
			}
		}
		// Chrome stays in sequence for now: a chrome label such as
		// "READ MORE:" takes the headlines below it along.
		u.chrome = u.chrome || (!u.checked && artIsChrome(u.text)) || (u.emph && artEmphPrompt(u.text))
		kept = append(kept, u)
	}
	artDemoteSiteName(kept)
	kept = artDropHeadlineLists(kept)
	if lineDate.IsZero() {
		lineDate = artHeaderDate(kept)
	}
	r.date = artOrTime(r.date, lineDate)
	kept = artDropRepeats(kept)
	r.title, kept = artHeadline(kept, meta.title)
	kept = artTrimTail(kept)
	for _, u := range kept {
		r.body = append(r.body, u.text)
	}
	for _, p := range r.body {
		if r.title != "" {
			break
		}
		r.title = artFirstSentence(p)
	}
	return r
}

var (
	// Credit lines: "News provided by Corvid Energy plc", "Photographs by …",
	// "Words and photos: Tom Alderney | 6 November 2026".
	artCreditRe = regexp.MustCompile(`^(?i:(?:news |content |story |article |release |this (?:story|article) (?:was )?)?` +
		`(?:provided|distributed|supplied|presented|produced|posted|written|edited|compiled|reported|photographed|` +
		`illustrated|brought to you) by|(?:additional )?(?:words|text|photos?|photographs|photography|pictures|images|` +
		`illustrations?|interview|reporting|video|graphics)(?: and (?:photos?|pictures|photographs|words|video|reporting))?` +
		`\s*(?:by\b|:))\s*\S`)
	artRoleWords = artWordSet("writer|reporter|correspondent|editor|staff|contributor|columnist|photographer|" +
		"producer|journalist|intern|freelance|freelancer|stringer")
)

// artDemoteSiteName handles a site's name set as the page's first "#"
// heading, with its menu right under it and the story's own heading
// further down, before any text: "# Ashcombe Parish Council", a menu,
// "## 20mph limit through the village approved". The name becomes chrome
// and the story's heading the headline.
func artDemoteSiteName(units []artUnit) {
	h1 := -1
	for i, u := range units {
		if u.chrome {
			continue
		}
		if u.heading == 1 {
			h1 = i
		}
		if h1 >= 0 || artIsProse(u) {
			break
		}
	}
	if h1 < 0 || h1+1 >= len(units) {
		return
	}
	// "THE MARSH WEEKLY" underlined with "=" at the top of a text file,
	// then the story's headline.
	if h1 == 0 && units[0].setext && artIsAllCaps(units[0].text) && artWordCount(units[0].text) <= 5 {
		for j := 1; j < len(units); j++ {
			u := units[j]
			if u.chrome || u.heading > 0 {
				continue
			}
			if artIsProse(u) {
				return
			}
			if artHeadlineLike(u.text) {
				units[0].heading, units[0].chrome = 0, true
				units[j].heading = 1
				return
			}
		}
		return
	}
	if !units[h1+1].chrome || !artNameLike(units[h1].text) {
		return
	}
	for j := h1 + 2; j < len(units); j++ {
		u := units[j]
		if u.chrome || u.heading == 0 && !artIsProse(u) {
			continue
		}
		if u.heading >= 2 && artHeadlineLike(u.text) && artWordCount(u.text) > artWordCount(units[h1].text) {
			units[h1].heading, units[h1].chrome = 0, true
			units[j].heading = 1
		}
		return
	}
}

func artIsAllCaps(s string) bool {
	return strings.IndexFunc(s, unicode.IsLower) < 0 && strings.IndexFunc(s, unicode.IsUpper) >= 0
}

// artNameLike: a short name in title case, "Ashcombe Parish Council".
func artNameLike(s string) bool {
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > 5 || strings.IndexFunc(s, unicode.IsDigit) >= 0 || artEndsSentence(s) {
		return false
	}
	for i, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && (i == 0 || !artSmallWords[strings.ToLower(w)]) {
			return false
		}
	}
	return true
}

// artHeaderDate is the fallback when no line is a date line: the first
// date printed in a short line above the story, such as a newsletter's
// "Issue 88 · Thursday 19 November 2026 · Straining the week's news".
func artHeaderDate(units []artUnit) time.Time {
	for _, u := range units {
		if artIsProse(u) {
			break
		}
		if utf8.RuneCountInString(u.text) > 160 || artEndsSentence(u.text) || u.list {
			continue
		}
		if d, ok := artFindDate(u.text); ok {
			return d.t
		}
	}
	return time.Time{}
}

// artCreditLine reports a credit: who wrote, photographed or distributed
// the story. It is not story text, and not the headline.
func artCreditLine(line string) bool {
	if utf8.RuneCountInString(line) > 120 || !artCreditRe.MatchString(line) {
		return false
	}
	return len(strings.Fields(line)) <= 14 && len(artSentences(line)) == 1
}

// artRoleLine: a job title on its own line below a byline.
func artRoleLine(line string) bool {
	words := strings.Fields(strings.ToLower(line))
	if len(words) == 0 || len(words) > 6 || artEndsSentence(line) {
		return false
	}
	return artRoleWords[strings.Trim(words[len(words)-1], ",.;")]
}

// artProseSpan returns the first and last units of running text, or -1, -1.
func artProseSpan(units []artUnit) (int, int) {
	first, last := -1, -1
	for i, u := range units {
		if artIsProse(u) && !u.list {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last
}

// artDropRepeats drops short lines that open and close the file alike: a
// masthead or tagline printed again in the footer.
func artDropRepeats(units []artUnit) []artUnit {
	first, last := artProseSpan(units)
	if first < 0 {
		return units
	}
	// Mastheads sit near the very top and the very bottom: look at the
	// first and last few lines only.
	const near = 40
	head := map[string][]int{}
	for i := 0; i < min(first, near); i++ {
		if k := artSameKey(units[i].text); k != "" {
			head[k] = append(head[k], i)
		}
	}
	drop := map[int]bool{}
	for j := max(last+1, len(units)-near); j < len(units); j++ {
		t := units[j]
		if artIsProse(t) || artWordCount(t.text) > 15 {
			continue
		}
		for _, i := range head[artSameKey(t.text)] {
			drop[j] = true
			if units[i].heading != 1 {
				drop[i] = true
			}
		}
	}
	return artWithout(units, drop)
}

func artWithout(units []artUnit, drop map[int]bool) []artUnit {
	if len(drop) == 0 {
		return units
	}
	out := units[:0:0]
	for i, u := range units {
		if !drop[i] {
			out = append(out, u)
		}
	}
	return out
}

// artDropHeadlineLists drops lists of other stories: a short label
// followed by lines shaped like headlines. A label that points away from
// the story ("Most read", "Related walks:", "相关阅读") takes its list
// anywhere, as does any label ending in a colon with one headline after
// it; any short label does at the end of the article. A run of two or
// more linked headlines at the end goes too.
func artDropHeadlineLists(units []artUnit) []artUnit {
	n := len(units)
	drop := map[int]bool{}
	solidAfter := make([]bool, n+1) // is there running text at or after i?
	items := make([]int, n+1)       // how many list items in a row start at i
	links := make([]int, n+1)       // how many linked list items in a row start at i
	for i := n - 1; i >= 0; i-- {
		u := units[i]
		solidAfter[i] = solidAfter[i+1] || (!u.chrome && artIsProse(u) && !u.list)
		if artIsListItem(u) {
			items[i] = items[i+1] + 1
			if u.link {
				links[i] = links[i+1] + 1
			}
		}
	}
	for i := 0; i < n; i++ {
		if units[i].chrome {
			drop[i] = true
		}
		k := items[i+1]
		label := units[i]
		t := strings.TrimSpace(label.text)
		atEnd := !solidAfter[i+1+k]
		isLabel := label.heading != 1 && items[i] == 0 && artWordCount(t) <= 8 && !artEndsSentence(t)
		if isLabel && k >= 1 {
			colon := strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：")
			pointer := artIsPointerLabel(t, 6)
			if (colon && pointer) || (k >= 2 && pointer) || (k >= 2 && atEnd && artWordCount(t) <= 4) {
				for j := i; j <= i+k; j++ {
					drop[j] = true
				}
				i += k
				continue
			}
		}
		// Linked headlines with no label, at the end.
		if l := links[i]; l >= 2 && !solidAfter[i+l] {
			for j := i; j < i+l; j++ {
				drop[j] = true
			}
			i += l - 1
		}
	}
	return artWithout(units, drop)
}

// artIsListItem reports a unit shaped like another story's headline.
func artIsListItem(u artUnit) bool {
	return u.heading != 1 && !u.chrome && artHeadlineItem(u.text)
}

// artOr returns a unless it is empty.
func artOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func artOrTime(a, b time.Time) time.Time {
	if !a.IsZero() {
		return a
	}
	return b
}

// artHeadline picks the title and returns the body units. Everything before
// the first paragraph of prose is the page top: masthead, menus, the
// headline and the deck. A level-1 heading there is the headline; else the
// markup's own title; else any heading there; else the last headline-like
// line (mastheads come first). Top lines before the headline are chrome.
func artHeadline(units []artUnit, metaTitle string) (string, []artUnit) {
	top := len(units)
	for i, u := range units {
		if artIsProse(u) {
			top = i
			break
		}
	}
	for i, u := range units[:top] {
		if u.heading == 1 {
			return u.text, units[i+1:]
		}
	}
	if metaTitle != "" {
		body := units[top:]
		for i, u := range body {
			if artSameText(u.text, metaTitle) {
				body = append(body[:i:i], body[i+1:]...)
				break
			}
		}
		return metaTitle, body
	}
	for i, u := range units[:top] {
		if u.heading > 0 && len(strings.Fields(u.text)) > 1 { // not "Latest"
			return u.text, units[i+1:]
		}
	}
	for i := top - 1; i >= 0; i-- {
		if artHeadlineLike(units[i].text) || (i > 0 && artCapsHeadline(units[i].text)) {
			return units[i].text, units[i+1:]
		}
	}
	return "", units[top:]
}

func artSameText(a, b string) bool {
	return strings.EqualFold(artClean(a), artClean(b))
}

// artSameKey is what artSameText compares, as a map key.
func artSameKey(s string) string { return strings.ToLower(artClean(s)) }

// artIsProse reports a paragraph of running text, as opposed to the short
// unpunctuated lines of mastheads, menus and headlines.
func artIsProse(u artUnit) bool {
	if u.heading > 0 {
		return false
	}
	n := utf8.RuneCountInString(u.text)
	if u.list {
		// "FAQ", "Login": a menu's items are not running text.
		return artWordCount(u.text) > 3 || artEndsSentence(u.text)
	}
	if n >= 150 {
		return true
	}
	if !artEndsSentence(u.text) || artWordCount(u.text) < 4 {
		return false
	}
	end := strings.TrimRight(u.text, "\"'”’)]» ")
	return strings.HasSuffix(end, ".") || strings.HasSuffix(end, "…") || strings.HasSuffix(end, "。") || n >= 80
}

// artHeadlineLike: a short line of several words, not ALL CAPS, not ending
// in a full stop or colon.
func artHeadlineLike(s string) bool {
	n := utf8.RuneCountInString(s)
	words := artWordCount(s)
	if words < 3 || n > 200 || strings.Contains(s, " | ") {
		return false
	}
	if (strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "...")) || strings.HasSuffix(s, ":") || artScoreRe.MatchString(s) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(first) && !unicode.IsDigit(first) && !strings.ContainsRune("\"'“‘¿¡$€£", first) {
		return false
	}
	return strings.IndexFunc(s, unicode.IsLower) >= 0 || strings.IndexFunc(s, artIsCJK) >= 0
}

// artCapsHeadline: a headline set in capitals, "THE SALT MARSH
// SHEPHERDS" — below the masthead, never the first line of the page.
func artCapsHeadline(s string) bool {
	if strings.IndexFunc(s, unicode.IsLower) >= 0 || artIsMasthead(s) {
		return false
	}
	if w := artWordCount(s); w < 3 || w > 15 || strings.HasSuffix(s, ".") || strings.HasSuffix(s, ":") {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(first) || unicode.IsDigit(first) || strings.ContainsRune("\"'“‘", first)
}

// artWordCount counts words as a reader would: Chinese and Japanese
// write no spaces between them, so each of their characters is one.
func artWordCount(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		cjk := 0
		for _, r := range f {
			if artIsCJK(r) {
				cjk++
			}
		}
		n += max(1, cjk)
	}
	return n
}

func artIsCJK(r rune) bool {
	return r >= 0x2E80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// artTrimTail drops the short lines left after the last paragraph of
// running text: footers, sign-offs, profile boxes ("The Quarry Times",
// "Posts: 1,204", "Who is online") and "Label: Title Case Name." lines.
// List items and sentences stay.
func artTrimTail(units []artUnit) []artUnit {
	last := -1
	for i, u := range units {
		if artIsProse(u) && !artTitleCaseLabel(u.text) {
			last = i
		}
	}
	if last < 0 {
		last = 0
	}
	drop := map[int]bool{}
	for i := last + 1; i < len(units); i++ {
		u := units[i]
		switch {
		case u.heading > 0, artTitleCaseLabel(u.text):
			drop[i] = true
		case u.list || artEndsSentence(u.text):
		case artWordCount(u.text) <= 12 && utf8.RuneCountInString(u.text) <= 100:
			drop[i] = true
		}
	}
	return artWithout(units, drop)
}

var artSmallWords = artWordSet("a|an|the|of|and|for|in|on|to|at|by|with|&")

// artTitleCaseLabel: "Our Standards: The Meridian Trust Principles." — a
// label and a name, not a sentence, though it ends in a full stop.
func artTitleCaseLabel(s string) bool {
	label, rest, ok := strings.Cut(s, ": ")
	if !ok || len(strings.Fields(label)) > 3 || !strings.HasSuffix(rest, ".") || strings.Count(rest, ".") != 1 {
		return false
	}
	words := strings.Fields(strings.TrimSuffix(rest, "."))
	if len(words) < 3 || len(words) > 8 {
		return false
	}
	for i, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && (i == 0 || !artSmallWords[w]) {
			return false
		}
	}
	return true
}

// artFirstSentence returns the first sentence of p without its final full
// stop, cut at a word boundary if longer than artMaxTitle.
func artFirstSentence(p string) string {
	s := p
	word := false // a letter or digit so far: "..." alone is no sentence
	for i, r := range p {
		if r != '.' && r != '!' && r != '?' {
			word = word || artIsWordRune(r)
			continue
		}
		j := i + 1
		for j < len(p) && strings.ContainsRune("\"'”’)]", rune(p[j])) {
			j++
		}
		if q, size := utf8.DecodeRuneInString(p[j:]); q == '”' || q == '’' {
			j += size
		}
		if j < len(p) && p[j] != ' ' {
			continue
		}
		if !word || (r == '.' && artIsAbbrev(p[:i])) {
			continue
		}
		s = p[:i]
		if r != '.' {
			s = p[:i+1]
		}
		s += p[i+1 : j]
		break
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if utf8.RuneCountInString(s) <= artMaxTitle {
		return s
	}
	cut := s[:artRuneOffset(s, artMaxTitle)]
	if sp := strings.LastIndexByte(cut, ' '); sp > 0 {
		cut = cut[:sp]
	}
	return strings.TrimRight(cut, " ,;:–—-")
}

func artIsWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func artRuneOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// artIsAbbrev reports whether text ends in an abbreviation or initial, so a
// following full stop does not end the sentence.
func artIsAbbrev(before string) bool {
	w := before[strings.LastIndexAny(before, " (\"“")+1:]
	if strings.Contains(w, ".") { // "U.S", "e.g"
		return true
	}
	if utf8.RuneCountInString(w) == 1 {
		r, _ := utf8.DecodeRuneInString(w)
		return unicode.IsUpper(r)
	}
	return artAbbrevs[strings.ToLower(w)]
}

// artByline reads "By Jane Doe", "By Harbour Post staff · 7 March 2024".
func artByline(line string) (string, time.Time, bool) {
	m := artBylineRe.FindStringSubmatch(line)
	if m == nil || utf8.RuneCountInString(line) > 120 || (artEndsSentence(line) && len(line) > 40) {
		return "", time.Time{}, false
	}
	name, rest := m[1], ""
	if loc := artBylineCut.FindStringIndex(name); loc != nil {
		name, rest = name[:loc[0]], name[loc[0]:]
	}
	if d, ok := artFindDate(name); ok {
		name, rest = name[:d.start], name[d.start:]
	}
	name = strings.TrimSpace(name)
	words := strings.Fields(name)
	if len(words) == 0 || len(words) > 6 {
		return "", time.Time{}, false
	}
	for i, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && (i == 0 || !artNameWords[strings.ToLower(w)]) {
			return "", time.Time{}, false
		}
	}
	var t time.Time
	if d, ok := artFindDate(rest); ok {
		t = d.t
	}
	return name, t, true
}

// artMetaLine reads "Canonical: https://…" and "Tags: a, b" lines.
func artMetaLine(line string) (string, []string, bool) {
	if m := artMetaURLRe.FindStringSubmatch(line); m != nil {
		return m[1], nil, true
	}
	if m := artTagsRe.FindStringSubmatch(line); m != nil {
		return "", artSplitTags(m[1]), true
	}
	return "", nil, false
}

func artSplitTags(s string) []string {
	var tags []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",;|·", r) }) {
		if t = strings.Trim(strings.TrimSpace(t), `#"'`); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}
