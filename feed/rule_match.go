package feed

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Doc is an item prepared for rule matching: the words of all its fields in
// one stream, with an index from folded word to positions. Build it once
// with NewDoc and match any number of rules against it; Match does not
// allocate. A Doc is read-only after NewDoc and safe for concurrent use.
type Doc struct {
	// Entries, one per word in text order. NewDoc keeps every position,
	// with "" between fields and categories; a Vocab's Doc (NewDocTerms,
	// Vocab.ItemDoc) keeps only the Vocab's words, and pos says where
	// each stood.
	folded []string    // lower-cased word
	exact  []string    // the same word with its case, for ALL-CAPS rule words
	field  []fieldMask // the field it belongs to
	pos    []int32     // its position, or nil when entry i is position i
	first  map[string]int32
	next   []int32 // next entry holding the same folded word, or -1
}

// NewDoc tokenises an item's fields for matching (see rule.go for what a
// word is). source is matched by source:, so pass the source names joined
// by spaces.
func NewDoc(title, body, source, author string, categories []string) *Doc {
	size := len(title) + len(body) + len(source) + len(author)
	for _, c := range categories {
		size += len(c)
	}
	// English averages about six bytes a word with its separator; sizing
	// up front saves most of the slice growth.
	est := size/5 + 8
	d := &Doc{
		folded: make([]string, 0, est),
		exact:  make([]string, 0, est),
		field:  make([]fieldMask, 0, est),
	}
	bounds := make([]int, 0, est)
	eachField(title, body, source, author, categories, func(f fieldMask, text string) {
		bounds = d.add(f, text, bounds)
	})
	d.index()
	return d
}

// eachField calls add with each field of an item in the order a Doc's
// positions run.
func eachField(title, body, source, author string, categories []string, add func(fieldMask, string)) {
	add(fieldTitle, title)
	add(fieldBody, body)
	add(fieldSource, source)
	add(fieldAuthor, author)
	for _, c := range categories {
		add(fieldCategory, c)
	}
}

// add appends the words of text, using bounds as scratch space. The
// leading "" boundary equals no rule word, so a phrase never runs from one
// field or category into the next.
func (d *Doc) add(f fieldMask, text string, bounds []int) []int {
	s := StripAccents(text)
	if len(d.folded) > 0 {
		d.folded = append(d.folded, "")
		d.exact = append(d.exact, "")
		d.field = append(d.field, f)
	}
	// All folded words of a field share one backing string.
	buf := make([]byte, 0, len(s))
	bounds = bounds[:0]
	forEachWord(s, func(i, j int) {
		d.exact = append(d.exact, s[i:j])
		d.field = append(d.field, f)
		bounds = append(bounds, len(buf))
		buf = appendLower(buf, s[i:j])
	})
	folded := string(buf)
	for k, i := range bounds {
		j := len(folded)
		if k+1 < len(bounds) {
			j = bounds[k+1]
		}
		d.folded = append(d.folded, folded[i:j])
	}
	return bounds
}

// index chains the entries of each folded word, built backwards so that
// every chain runs in text order.
func (d *Doc) index() {
	d.first = make(map[string]int32, len(d.folded))
	d.next = make([]int32, len(d.folded))
	for i := len(d.folded) - 1; i >= 0; i-- {
		w := d.folded[i]
		d.next[i] = -1
		if w == "" {
			continue
		}
		if j, ok := d.first[w]; ok {
			d.next[i] = j
		}
		d.first[w] = int32(i)
	}
}

// has reports whether leaf n occurs in one of its fields.
func (d *Doc) has(n *node) bool {
	p, ok := d.first[n.words[0].folded]
	if !ok {
		return false
	}
	for ; p >= 0; p = d.next[p] {
		if d.field[p]&n.fields != 0 && d.matchAt(int(p), n.words) {
			return true
		}
	}
	return false
}

// matchAt reports whether the words ws start at entry p. In a sparse Doc
// they must also stand at consecutive positions: a word left out between
// two entries breaks the phrase.
func (d *Doc) matchAt(p int, ws []word) bool {
	if p+len(ws) > len(d.folded) {
		return false
	}
	for i, w := range ws {
		if d.folded[p+i] != w.folded || w.exact != "" && d.exact[p+i] != w.exact {
			return false
		}
		if d.pos != nil && d.pos[p+i] != d.pos[p]+int32(i) {
			return false
		}
	}
	return true
}

// Match reports whether the rule accepts d.
func (r *Rule) Match(d *Doc) bool {
	return r.root.eval(d)
}

func (n *node) eval(d *Doc) bool {
	switch n.op {
	case opAnd:
		for _, k := range n.kids {
			if !k.eval(d) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if k.eval(d) {
				return true
			}
		}
		return false
	case opNot:
		return !n.kids[0].eval(d)
	}
	return d.has(n)
}

// Explain lists the leaves of the rule found in d, in rule order and
// without repeats, in canonical form with any field prefix ("title:tariffs",
// "\"United States\""). A leaf under an odd number of NOTs is listed as
// "NOT leaf", so an operator can see why an item was excluded. It reports
// leaves whether or not the whole rule matches.
func (r *Rule) Explain(d *Doc) []string {
	var out []string
	r.root.explain(d, false, &out)
	return out
}

func (n *node) explain(d *Doc, neg bool, out *[]string) {
	switch n.op {
	case opLeaf:
		if !d.has(n) {
			return
		}
		s := n.leafString()
		if neg {
			s = "NOT " + s
		}
		if !slices.Contains(*out, s) {
			*out = append(*out, s)
		}
	case opNot:
		n.kids[0].explain(d, !neg, out)
	default:
		for _, k := range n.kids {
			k.explain(d, neg, out)
		}
	}
}

// isWordRune includes every rune FTS5's unicode61 tokenizer keeps in a token
// (letters, numbers, private use) so FTSQuery stays a superset, and marks,
// which StripAccents leaves only where they are part of a script's letters.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r]
	}
	return isWordRuneSlow(r)
}

// isWordRuneSlow is isWordRune beyond ASCII, apart so isWordRune inlines.
func isWordRuneSlow(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Co, r)
}

// asciiWord is isWordRune for ASCII, most of the text tokenised: the
// unicode tables cost a quarter of NewDoc.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for r := range rune(utf8.RuneSelf) {
		t[r] = unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r) || unicode.Is(unicode.Co, r)
	}
	return t
}()

// forEachWord calls fn with the byte bounds of each word of s.
func forEachWord(s string, fn func(i, j int)) {
	start := -1
	for i, r := range s {
		switch {
		case isWordRune(r):
			if start < 0 {
				start = i
			}
		case start >= 0:
			fn(start, i)
			start = -1
		}
	}
	if start >= 0 {
		fn(start, len(s))
	}
}

// appendLower appends w lower-cased rune by rune, as strings.ToLower (and so
// Fold) does.
func appendLower(buf []byte, w string) []byte {
	for _, r := range w {
		switch {
		case 'A' <= r && r <= 'Z':
			buf = append(buf, byte(r)+'a'-'A')
		case r < utf8.RuneSelf:
			buf = append(buf, byte(r))
		default:
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		}
	}
	return buf
}

// ruleWords splits a rule term or phrase into words, marking the ALL-CAPS
// ones of 2–4 letters as case-sensitive.
func ruleWords(text string) []word {
	s := StripAccents(text)
	var ws []word
	forEachWord(s, func(i, j int) {
		w := word{folded: string(appendLower(nil, s[i:j]))}
		if IsAcronym(s[i:j]) {
			w.exact = s[i:j]
		}
		ws = append(ws, w)
	})
	return ws
}

// IsAcronym reports whether w is a 2–4 letter ALL-CAPS word, which a
// rule matches as written rather than case-folded.
func IsAcronym(w string) bool {
	n := utf8.RuneCountInString(w)
	if n < 2 || n > 4 {
		return false
	}
	for _, r := range w {
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// MayMatch is a cheap necessary condition for Match(ItemDoc(it)): when it
// is false the rule cannot match, and a caller can skip tokenising the
// item (ItemDoc, ~130 µs for 4 KB). Every word of a leaf must occur as a
// substring of one field the leaf looks at, in the same accent-stripped
// (and, for all but ALL-CAPS words, lower-cased) form Doc gives its words;
// NOT adds no condition. Search uses it to reject candidates such as the
// many items with "us" that the ALL-CAPS term US does not match.
func (r *Rule) MayMatch(it *Item) bool {
	p := prefilter{it: it}
	return r.root.may(&p)
}

type prefilter struct {
	it                *Item
	stripped, lowered fieldMask
	exact, folded     [5]string // by field bit
}

// text returns field bit of the item as Doc reads its words: accents
// stripped, and lower-cased when folded is asked for. Each is made at most
// once, and only if a leaf needs it.
func (p *prefilter) text(bit int, folded bool) string {
	if p.stripped&(1<<bit) == 0 {
		var raw string
		switch fieldMask(1 << bit) {
		case fieldTitle:
			raw = p.it.Title
		case fieldBody:
			raw = p.it.Text
		case fieldSource:
			raw = strings.Join(p.it.Sources, " ")
		case fieldAuthor:
			raw = p.it.Author
		case fieldCategory:
			raw = strings.Join(p.it.Categories, " ")
		}
		p.exact[bit] = StripAccents(raw)
		p.stripped |= 1 << bit
	}
	if !folded {
		return p.exact[bit]
	}
	if p.lowered&(1<<bit) == 0 {
		// strings.ToLower maps rune by rune with unicode.ToLower, as
		// appendLower does, with a fast path for ASCII.
		p.folded[bit] = strings.ToLower(p.exact[bit])
		p.lowered |= 1 << bit
	}
	return p.folded[bit]
}

func (n *node) may(p *prefilter) bool {
	switch n.op {
	case opAnd:
		for _, k := range n.kids {
			if !k.may(p) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if k.may(p) {
				return true
			}
		}
		return false
	case opNot:
		return true
	}
	for bit := range len(p.exact) {
		if n.fields&(1<<bit) == 0 {
			continue
		}
		all := true
		for _, w := range n.words {
			// An ALL-CAPS word's exact form implies its folded one.
			if w.exact != "" && !strings.Contains(p.text(bit, false), w.exact) ||
				w.exact == "" && !strings.Contains(p.text(bit, true), w.folded) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
