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
	artBylineRe  = regexp.MustCompile(`^(?i:by|written by|words by|reporting by|author:?)\s+(\S.*)$`)
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

// artAssemble applies the heuristics to the units of one article: drop
// chrome, read date, byline and link lines, pick the headline, trim the tail.
func artAssemble(units []artUnit, meta artMeta) artResult {
	r := artResult{url: meta.url, author: meta.author, date: meta.date, tags: meta.tags}
	var kept []artUnit
	var lineDate time.Time
	for _, u := range units {
		if u.text == "" {
			continue
		}
		if url, tags, ok := artMetaLine(u.text); ok {
			r.url = artOr(r.url, url)
			r.tags = append(r.tags, tags...)
			continue
		}
		if artIsChrome(u.text) {
			continue
		}
		if u.heading == 0 {
			if author, d, ok := artByline(u.text); ok {
				r.author = artOr(r.author, author)
				lineDate = artOrTime(lineDate, d)
				continue
			}
			if d, ok := artDateLine(u.text); ok {
				lineDate = artOrTime(lineDate, d)
				continue
			}
		}
		kept = append(kept, u)
	}
	r.date = artOrTime(r.date, lineDate)
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
		if artHeadlineLike(units[i].text) {
			return units[i].text, units[i+1:]
		}
	}
	return "", units[top:]
}

func artSameText(a, b string) bool {
	return strings.EqualFold(artClean(a), artClean(b))
}

// artIsProse reports a paragraph of running text, as opposed to the short
// unpunctuated lines of mastheads, menus and headlines.
func artIsProse(u artUnit) bool {
	if u.heading > 0 {
		return false
	}
	n := utf8.RuneCountInString(u.text)
	if u.list || n >= 150 {
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
	if (strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "...")) || strings.HasSuffix(s, ":") {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsLetter(first) && !unicode.IsDigit(first) && !strings.ContainsRune("\"'“‘¿¡$€£", first) {
		return false
	}
	return strings.IndexFunc(s, unicode.IsLower) >= 0 || strings.IndexFunc(s, artIsCJK) >= 0
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
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// artTrimTail drops short unpunctuated lines after the last paragraph: the
// leftovers of footers ("The Quarry Times", "Terms").
func artTrimTail(units []artUnit) []artUnit {
	for len(units) > 1 {
		u := units[len(units)-1]
		if u.heading > 0 || u.list || artIsProse(u) || artEndsSentence(u.text) ||
			artWordCount(u.text) > 6 || utf8.RuneCountInString(u.text) > 60 {
			break
		}
		units = units[:len(units)-1]
	}
	return units
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
