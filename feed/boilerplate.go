package feed

import (
	"bytes"
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Boilerplate is text a source repeats across its own items: teasers
// ("Click here to read the full story"), "The post … appeared first on
// …", podcast blurbs, signatures, share prompts. It says nothing about
// the item it sits in, so it is left out of fingerprints (two items that
// share only a teaser are not copies) and of published content.
//
// The model works on sentences. Each sentence has two hashes: Exact, of
// its normalised text with the item's own title replaced by a marker (so
// "The post TITLE appeared first on SITE" repeats), and Masked, which
// also masks every run of digits (so "improvements in v1.4.0" and "in
// v1.5.0" repeat). A store counts, per source, in how many distinct items
// each hash occurs; see Learner.

// Unit is one sentence of an item's text.
type Unit struct {
	Exact, Masked uint32
	Para          int // index of the paragraph ("\n\n"-separated) it is in
	Start, End    int // byte offsets in the text
}

// Sentences are the units of an item's text the model looks at:
// boilerplate sits at the start (teasers, bylines) and the end (footers,
// blurbs, signatures) of an item, so only the first 3 and last 8
// sentences are hashed; the middle of a long story is never boilerplate.
type Sentences struct {
	Units []Unit
	// Paras is the number of paragraphs; Whole[p] says every sentence of
	// paragraph p is among Units.
	Paras int
	Whole []bool
}

const (
	edgeHead = 3
	edgeTail = 8
)

// Units splits text into sentences and hashes those at its edges.
// Sentences end at . ! ? … or » followed by a space, at a line break and
// at a paragraph break; one with no word in it is left out.
func Units(title, text string) Sentences {
	type span struct{ start, end, para int }
	spans := make([]span, 0, 64)
	para := 0
	for start := 0; start < len(text); {
		end, next, newPara := sentenceEnd(text, start)
		if strings.TrimSpace(text[start:end]) != "" {
			spans = append(spans, span{start, end, para})
		}
		if newPara {
			para++
		}
		start = next
	}
	var out Sentences
	if len(spans) == 0 {
		return out
	}
	out.Paras = spans[len(spans)-1].para + 1
	out.Whole = make([]bool, out.Paras)
	for p := range out.Whole {
		out.Whole[p] = true
	}
	nt := []byte(NormalizeText(title))
	var buf []byte // one buffer for every sentence's normalised form
	for i, sp := range spans {
		if i >= edgeHead && i < len(spans)-edgeTail {
			out.Whole[sp.para] = false
			continue
		}
		var exact, masked uint32
		var ok bool
		if exact, masked, ok, buf = unitHashes(text[sp.start:sp.end], nt, buf[:0]); ok {
			out.Units = append(out.Units, Unit{Exact: exact, Masked: masked, Para: sp.para, Start: sp.start, End: sp.end})
		}
	}
	return out
}

// sentenceEnd finds the end of the sentence starting at i: the end offset
// (exclusive), where the next one starts, and whether a paragraph break
// lies between.
func sentenceEnd(s string, i int) (end, next int, para bool) {
	for j := i; j < len(s); {
		for j < len(s) && !sentenceByte[s[j]] {
			j++
		}
		if j == len(s) {
			break
		}
		c := s[j]
		switch {
		case c == '\n':
			k := j
			for k < len(s) && (s[k] == '\n' || s[k] == '\r' || s[k] == ' ' || s[k] == '\t') {
				k++
			}
			return j, k, strings.Count(s[j:k], "\n") > 1
		case c == '.' || c == '!' || c == '?':
			k := j + 1
			for k < len(s) && (s[k] == '"' || s[k] == '\'' || s[k] == ')') {
				k++
			}
			if k == len(s) || s[k] == ' ' || s[k] == '\n' {
				for k < len(s) && s[k] == ' ' {
					k++
				}
				return j + 1, k, false
			}
			j++
		case c >= utf8.RuneSelf:
			r, w := utf8.DecodeRuneInString(s[j:])
			if r == '…' || r == '»' || r == '。' || r == '！' || r == '？' {
				k := j + w
				if k == len(s) || s[k] == ' ' || s[k] == '\n' || r == '。' || r == '！' || r == '？' {
					for k < len(s) && s[k] == ' ' {
						k++
					}
					return j + w, k, false
				}
			}
			j += w
		default:
			j++
		}
	}
	return len(s), len(s), false
}

// sentenceByte marks the bytes sentenceEnd must look at: the ASCII ends
// and line break, and the lead bytes of », …, 。, ！ and ？.
var sentenceByte = func() (t [256]bool) {
	for _, c := range []byte{'.', '!', '?', '\n', 0xc2, 0xe2, 0xe3, 0xef} {
		t[c] = true
	}
	return t
}()

// unitHashes hashes one sentence, normalised into buf (returned for
// reuse); ok is false when it has no word.
func unitHashes(sentence string, normTitle, buf []byte) (exact, masked uint32, ok bool, _ []byte) {
	if foldIsNoop(sentence) {
		buf = collapseTo(buf, sentence)
	} else {
		buf = collapseTo(buf, Fold(sentence))
	}
	if len(buf) == 0 {
		return 0, 0, false, buf
	}
	n := buf
	if len(normTitle) > 3 && bytes.Contains(n, normTitle) {
		n = bytes.ReplaceAll(n, normTitle, []byte("\x00t"))
	}
	h, hm := uint64(fnvOffset), uint64(fnvOffset)
	digits := false
	for _, c := range n {
		h = (h ^ uint64(c)) * fnvPrime
		if '0' <= c && c <= '9' {
			if !digits {
				hm = (hm ^ '#') * fnvPrime
			}
			digits = true
			continue
		}
		digits = false
		hm = (hm ^ uint64(c)) * fnvPrime
	}
	return uint32(h ^ h>>32), uint32(hm^hm>>32) ^ 0x5bd1e995, true, buf
}

// Learner counts, for one source, in how many distinct items each unit
// hash occurs, and says which units are boilerplate.
type Learner struct {
	items map[uint32]learnedIn
}

// learnedIn holds the first distinct items a hash was seen in: no threshold
// asks for more than boilerContent, and a value, unlike a set per hash,
// costs no allocation.
type learnedIn struct {
	keys [boilerContent]int64
	n    uint8
}

// NewLearner returns an empty Learner.
func NewLearner() *Learner { return &Learner{items: map[uint32]learnedIn{}} }

// Add records that the item with key has the units' hashes. Adding the
// same item again counts it once, so copies merged into one stored item
// count as one story.
func (l *Learner) Add(key int64, hashes []uint32) {
	for _, h := range hashes {
		s := l.items[h]
		if s.n == boilerContent || slices.Contains(s.keys[:s.n], key) {
			continue
		}
		s.keys[s.n] = key
		s.n++
		l.items[h] = s
	}
}

// Count is the number of distinct items seen with hash h, at most
// boilerContent.
func (l *Learner) Count(h uint32) int {
	if l == nil {
		return 0
	}
	return int(l.items[h].n)
}

// Empty reports whether nothing was learned.
func (l *Learner) Empty() bool { return l == nil || len(l.items) == 0 }

// Thresholds: a sentence is left out of fingerprints once two distinct
// items of a source carry it, and out of published content once three
// do and it sits at the item's start or end: a sentence two real stories
// share (a quote) still keeps its place in both.
const (
	boilerFingerprint = 2
	boilerContent     = 3
)

// Boilerplate of one item, given what its source has learned.
type ItemBoilerplate struct {
	// Skip[i] is true when units[i] is left out of the fingerprint.
	Skip []bool
	// Drop are the paragraphs left out of the published content: whole
	// paragraphs of boilerplate at the start or end of the item.
	Drop map[int]bool
}

// Classify says which of an item's units are boilerplate, given for each
// unit the number of distinct items of its source that carry its Exact
// and its Masked hash, the item itself included.
func Classify(st Sentences, counts func(exact, masked uint32) (nExact, nMasked int)) ItemBoilerplate {
	var b ItemBoilerplate
	units := st.Units
	if len(units) == 0 {
		return b
	}
	var ne, nm [edgeHead + edgeTail]int // counts, so that nothing is allocated for an item with no boilerplate
	any := false
	for i, u := range units {
		ne[i], nm[i] = counts(u.Exact, u.Masked)
		any = any || nm[i] >= boilerFingerprint || ne[i] >= boilerFingerprint
	}
	if !any {
		return b
	}
	b.Skip = make([]bool, len(units))
	whole := slices.Clone(st.Whole) // paragraphs of content boilerplate only
	for i, u := range units {
		b.Skip[i] = nm[i] >= boilerFingerprint || ne[i] >= boilerFingerprint
		if ne[i] < boilerContent {
			whole[u.Para] = false
		}
	}
	// Whole paragraphs of it, from either end inwards.
	for p := 0; p < st.Paras && whole[p]; p++ {
		b.drop(p)
	}
	for p := st.Paras - 1; p >= 0 && whole[p]; p-- {
		b.drop(p)
	}
	return b
}

func (b *ItemBoilerplate) drop(p int) {
	if b.Drop == nil {
		b.Drop = map[int]bool{}
	}
	b.Drop[p] = true
}

// DistinctText is the text without the units skip marks, for
// fingerprints.
func DistinctText(text string, units []Unit, skip []bool) string {
	if skip == nil {
		return text
	}
	var b strings.Builder
	at := 0
	for i, u := range units {
		if skip[i] {
			b.WriteString(text[at:u.Start])
			b.WriteByte(' ')
			at = u.End
		}
	}
	b.WriteString(text[at:])
	return b.String()
}

// DropParagraphs removes the given paragraphs ("\n\n"-separated) from
// text, and the block elements holding exactly their text from content.
func DropParagraphs(text, content string, drop map[int]bool) (string, string) {
	if len(drop) == 0 {
		return text, content
	}
	paras := strings.Split(text, "\n\n")
	var keep, gone []string
	for i, p := range paras {
		if drop[i] {
			gone = append(gone, p)
		} else {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "\n\n"), dropBlocks(content, gone)
}

// KeyTokens are the words of text that name or count something: those
// with a digit, and capitalised words not starting a sentence. Two copies
// of one story carry the same ones; two stories from one template (match
// reports, market closes, obituaries) differ in exactly these.
//
// Only sentences of ten words or more count: a line of site chrome the
// parser left (a date and source line, a byline) is shorter, and would
// make copies from two sites look like two stories.
func KeyTokens(text string) map[string]bool {
	out := map[string]bool{}
	for _, p := range strings.Split(text, "\n\n") {
		for _, sentence := range proseSentences(p) {
			if CountWords(sentence) >= 10 {
				keyTokens(sentence, out)
			}
		}
	}
	delete(out, "")
	return out
}

// proseSentences splits a paragraph at sentence ends, not at line breaks,
// so a hard-wrapped sentence stays whole.
func proseSentences(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '.', '!', '?':
			if i+1 == len(p) || p[i+1] == ' ' || p[i+1] == '\n' {
				out = append(out, p[start:i+1])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

func keyTokens(text string, out map[string]bool) {
	start := true
	for _, w := range strings.Fields(joinDigitGroups(text)) {
		core := strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
		if core != "" {
			r, _ := utf8.DecodeRuneInString(core)
			hasDigit := strings.IndexFunc(core, unicode.IsDigit) >= 0
			if hasDigit || (!start && unicode.IsUpper(r)) {
				for _, f := range wordParts(core) {
					if !hasDigit || strings.IndexFunc(f, unicode.IsDigit) >= 0 || !isCJKWord(f) {
						out[f] = true
					}
				}
			}
		}
		start = strings.ContainsAny(w[len(w)-1:], ".!?:\"")
	}
}

// isCJKWord reports a word of one CJK character: beside a number in
// unspaced text, the characters around it are not names.
func isCJKWord(w string) bool {
	r, n := utf8.DecodeRuneInString(w)
	return n == len(w) && isCJK(r)
}

// wordParts is the normalised words of s, split at hyphens and
// apostrophes too ("Porthaven—shut" and "Porthaven – shut" agree), CJK
// text a character a word.
func wordParts(s string) []string {
	return strings.FieldsFunc(splitCJK(NormalizeText(s)), func(r rune) bool { return r == ' ' || r == '-' || r == '\'' })
}

// joinDigitGroups writes thousands without separators: "12,000",
// "12 000" (a no-break or thin space too) and "12000" are one number.
func joinDigitGroups(s string) string {
	var b []byte
	last := 0 // s[last:] is not yet copied to b
	for i := 1; i < len(s); i++ {
		c, w := s[i], 1
		switch {
		case c == ',' || c == ' ':
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0xa0: // no-break space
			w = 2
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xaf || s[i+2] == 0x89): // narrow no-break, thin
			w = 3
		default:
			continue
		}
		if isDigit(s[i-1]) && threeDigits(s[i+w:]) {
			if b == nil {
				b = make([]byte, 0, len(s))
			}
			b = append(b, s[last:i]...)
			last = i + w
		}
		i += w - 1
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

// threeDigits reports whether s starts with exactly three digits.
func threeDigits(s string) bool {
	if len(s) < 3 {
		return false
	}
	for i := range 3 {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) == 3 || s[3] < '0' || s[3] > '9'
}

// WordSet is every normalised word of text, for KeyTokens to be looked up in.
func WordSet(text string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(splitCJK(NormalizeText(joinDigitGroups(text)))) {
		out[w] = true
		// "US-China" and "Shehbaz's": the parts count too.
		for _, p := range strings.FieldsFunc(w, func(r rune) bool { return r == '-' || r == '\'' }) {
			out[p] = true
		}
	}
	return out
}

// dropBlocks removes from an HTML fragment the block elements whose text
// is one of gone. Content with no markup is the text itself.
func dropBlocks(content string, gone []string) string {
	if len(gone) == 0 {
		return content
	}
	want := map[string]bool{}
	for _, g := range gone {
		want[strings.Join(strings.Fields(g), " ")] = true
	}
	if !strings.Contains(content, "<") {
		var keep []string
		for _, p := range strings.Split(HTMLText(content), "\n\n") {
			if !want[strings.Join(strings.Fields(p), " ")] {
				keep = append(keep, html.EscapeString(p))
			}
		}
		return strings.Join(keep, "\n\n")
	}
	ctx := &xhtml.Node{Type: xhtml.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := xhtml.ParseFragment(strings.NewReader(content), ctx)
	if err != nil {
		return content
	}
	var prune func(n *xhtml.Node) bool // reports whether n goes
	prune = func(n *xhtml.Node) bool {
		if n.Type == xhtml.ElementNode && blockTags[n.Data] {
			var b strings.Builder
			nodeText(&b, n)
			if want[strings.Join(strings.Fields(b.String()), " ")] {
				return true
			}
		}
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if prune(c) {
				n.RemoveChild(c)
			}
			c = next
		}
		return false
	}
	var out strings.Builder
	for _, n := range nodes {
		if n.Type == xhtml.TextNode && want[strings.Join(strings.Fields(n.Data), " ")] {
			continue
		}
		if prune(n) {
			continue
		}
		if err := xhtml.Render(&out, n); err != nil {
			return content
		}
	}
	return out.String()
}

func nodeText(b *strings.Builder, n *xhtml.Node) {
	if n.Type == xhtml.TextNode {
		b.WriteString(n.Data)
		b.WriteByte(' ')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		nodeText(b, c)
	}
}

// CountWords is the number of words fingerprints see in text.
func CountWords(text string) int {
	return wordCount(splitCJK(NormalizeText(text)))
}

// TitleOverlap is the share of the shorter title's words found in the
// other title, 0 when either has none.
func TitleOverlap(a, b string) float64 {
	wa, wb := titleWords(a), titleWords(b)
	if len(wa) == 0 || len(wb) == 0 {
		return 0
	}
	if len(wa) > len(wb) {
		wa, wb = wb, wa
	}
	in := map[string]bool{}
	for _, w := range wb {
		in[w] = true
	}
	n := 0
	for _, w := range wa {
		if in[w] {
			n++
		}
	}
	return float64(n) / float64(len(wa))
}

func titleWords(s string) []string {
	return strings.Fields(splitCJK(NormalizeText(joinDigitGroups(s))))
}

// LedeSimilar reports whether two texts open alike: the first sentence
// of eight words or more (a byline or dateline is shorter) of one shares
// most of its words with the other's. Copies of a story keep their lede
// even under a rewritten headline; two episodes or teasers that share a
// blurb differ exactly there. A hard-wrapped line is part of a sentence,
// so one lede contained in the other counts.
//
// A sentence that is one of titles (a headline repeated in the body, or
// one the title was not taken from) is no lede.
func LedeSimilar(a, b string, titles ...string) bool {
	skip := map[string]bool{}
	for _, t := range titles {
		skip[NormalizeText(t)] = true
	}
	wa, wb := ledeWords(a, skip), ledeWords(b, skip)
	if len(wa) == 0 || len(wb) == 0 {
		return false
	}
	if len(wa) > len(wb) {
		wa, wb = wb, wa
	}
	in := map[string]bool{}
	for _, w := range wb {
		in[w] = true
	}
	common, small := 0, map[string]bool{}
	for _, w := range wa {
		if !small[w] {
			small[w] = true
			if in[w] {
				common++
			}
		}
	}
	union := len(in) + len(small) - common
	return float64(common)/float64(len(small)) >= 0.8 || float64(common)/float64(union) >= 0.5
}

func ledeWords(text string, skip map[string]bool) []string {
	var first []string
	for start := 0; start < len(text); {
		end, next, _ := sentenceEnd(text, start)
		n := NormalizeText(text[start:end])
		words := strings.Fields(splitCJK(n))
		if skip[n] || hasClockTime(text[start:end]) {
			words = nil // a headline, or an editor's "Updated at 16:30" note
		}
		if len(words) >= 8 {
			return words
		}
		if first == nil && len(words) > 0 {
			first = words
		}
		start = next
	}
	return first
}

// hasClockTime reports a time of day such as 16:30 or 9.45am.
func hasClockTime(s string) bool {
	for i := 1; i+2 < len(s); i++ {
		if (s[i] == ':' || s[i] == '.') && isDigit(s[i-1]) && isDigit(s[i+1]) && isDigit(s[i+2]) && (i+3 == len(s) || !isDigit(s[i+3])) {
			if s[i] == ':' || strings.HasPrefix(strings.ToLower(s[min(i+3, len(s)):]), "am") || strings.HasPrefix(strings.ToLower(s[min(i+3, len(s)):]), "pm") {
				return true
			}
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// TitleNumbersConflict reports whether two titles of one template differ
// in their numbers: "Episode 12" and "Episode 13", "v1.4.0" and
// "v1.5.0" are other entries of one series, whatever their text shares.
// Titles that say other things ("by 19 runs", "T20 opener") do not
// conflict on numbers.
func TitleNumbersConflict(a, b string) bool {
	na, wa := titleNumbers(a)
	nb, wb := titleNumbers(b)
	if len(na) == 0 || len(nb) == 0 {
		return false
	}
	// A rewritten headline drops a number or adds one; a series changes
	// one: each has a number the other lacks ("Band 5, Ward 7" and
	// "Band 5, Ward 9").
	onlyA, onlyB := false, false
	for n := range na {
		onlyA = onlyA || !nb[n]
	}
	for n := range nb {
		onlyB = onlyB || !na[n]
	}
	if !onlyA || !onlyB {
		return false
	}
	if len(wa) == 0 || len(wb) == 0 {
		return true // numbers alone: "2026.1" and "2026.2"
	}
	return TitleOverlap(strings.Join(wa, " "), strings.Join(wb, " ")) >= 0.5
}

// titleNumbers splits a title into its words with a digit and the rest.
func titleNumbers(s string) (nums map[string]bool, words []string) {
	nums = map[string]bool{}
	for _, w := range strings.Fields(Fold(joinDigitGroups(s))) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		switch {
		case w == "":
		case strings.ContainsAny(w, "0123456789"):
			// The number alone: "$12", "12bn" and "12" agree.
			for _, n := range strings.FieldsFunc(w, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' && r != ',' }) {
				if n = strings.Trim(n, ".,"); n != "" {
					nums[n] = true
				}
			}
		default:
			words = append(words, w)
		}
	}
	return nums, words
}
