package feed

import (
	"strings"
)

// The search index (store, migration 0007) holds search terms, not text:
// one term per distinct word of an item, and one per distinct word of each
// field but the body, tagged with the field. A term is a 64-bit hash of
// the word as Doc folds it, cut to 40 bits and written as 8 base-32
// characters (a shorter term is less for FTS5 to tokenise; two words
// sharing a term only add candidates, which Match rejects), so FTS5's
// ascii tokenizer reads each as exactly one token whatever the script, and
// the words are those of rule matching by construction. The index keeps no
// positions (detail=none): FTSQuery asks for every word of a phrase, and
// Rule.Match checks the phrase. Indexing 3.5 KB of text as unicode61 words
// with positions cost FTS5 ~150 µs an item, growing with the index.
//
// The hash is part of the database format: changing it needs a migration
// that rebuilds the index.

// SearchTerms returns an item's search terms, separated by spaces.
func SearchTerms(title, body, source, author string, categories []string) string {
	t := newTermSet(len(body))
	var buf []byte
	add := func(f fieldMask, text string) {
		s := StripAccents(text)
		forEachWord(s, func(i, j int) {
			buf = appendLower(buf[:0], s[i:j])
			t.add(f, wordHash(buf))
		})
	}
	eachField(title, body, source, author, categories, add)
	return t.String()
}

// termSet writes each distinct term of an item once. It is an open
// addressing set of the terms (never 0), cheaper than a Go map for the
// few hundred terms of an article.
type termSet struct {
	slots []uint64
	n     int
	b     strings.Builder
}

func newTermSet(textLen int) *termSet {
	t := &termSet{}
	// About one word in six bytes, two in three distinct, at most half full.
	size := 64
	for size < textLen/4 {
		size *= 2
	}
	t.slots = make([]uint64, size)
	t.b.Grow(textLen + 64)
	return t
}

// add writes the any-field term of word hash h and its term in field f.
func (t *termSet) add(f fieldMask, h uint64) {
	t.put(termHash(0, h))
	if term := termHash(f, h); term != 0 {
		t.put(term)
	}
}

func (t *termSet) put(term uint64) {
	mask := len(t.slots) - 1
	for i := int(term) & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case term:
			return
		case 0:
			t.slots[i] = term
			if t.n++; 2*t.n > len(t.slots) {
				t.grow()
			}
			if t.b.Len() > 0 {
				t.b.WriteByte(' ')
			}
			writeTerm(&t.b, term)
			return
		}
	}
}

func (t *termSet) grow() {
	old := t.slots
	t.slots = make([]uint64, 2*len(old))
	mask := len(t.slots) - 1
	for _, term := range old {
		if term == 0 {
			continue
		}
		i := int(term) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = term
	}
}

func (t *termSet) String() string { return t.b.String() }

// wordHash is FNV-1a of a folded word.
func wordHash(w []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range w {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// termHash is the term of word hash h in field f, or in any field for
// f == 0. The body has no term of its own (0): a body: leaf asks for the
// any-field term, a superset.
func termHash(f fieldMask, h uint64) uint64 {
	if f == fieldBody {
		return 0
	}
	t := mix64(h^uint64(f)*0x9e3779b97f4a7c15) & (1<<(5*termChars) - 1)
	if t == 0 {
		t = 1
	}
	return t
}

const termAlphabet = "0123456789abcdefghijklmnopqrstuv"

// termChars is how many base-32 characters a term has: 40 bits.
const termChars = 8

// writeTerm writes the low 40 bits of t in lower-case base-32.
func writeTerm(b *strings.Builder, t uint64) {
	var out [termChars]byte
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = termAlphabet[t&31]
		t >>= 5
	}
	b.Write(out[:])
}

// ftsWord is the FTS5 expression for one rule word in fields m: the
// any-field term when m includes the body (or is every field), else any
// of the fields' own terms.
func ftsWord(m fieldMask, w string) string {
	h := wordHash([]byte(w))
	var terms []string
	if m == 0 || m&fieldBody != 0 {
		terms = append(terms, quotedTerm(termHash(0, h)))
	} else {
		for i := range fieldNames {
			if f := fieldMask(1 << i); m&f != 0 {
				terms = append(terms, quotedTerm(termHash(f, h)))
			}
		}
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

func quotedTerm(t uint64) string {
	var b strings.Builder
	b.WriteByte('"')
	writeTerm(&b, t)
	b.WriteByte('"')
	return b.String()
}
