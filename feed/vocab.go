package feed

import "strings"

// Vocab is the set of words a group of rules asks for. A Doc made by
// NewDocTerms for a Vocab keeps only those words, which is all Match and
// Explain read for those rules, and so costs a fraction of a full Doc: an
// article has a few hundred distinct words and topic rules a few dozen.
type Vocab struct {
	// slots is an open-addressing set of the words' hashes (wordHash of
	// the folded word), at most a quarter full: nearly every word of a
	// text is not in it, and a miss is then one probe. A Go map lookup
	// was a fifth of making a Doc.
	slots []uint64
}

// NewVocab collects the words of rules; nil rules are skipped.
func NewVocab(rules ...*Rule) *Vocab {
	var hs []uint64
	for _, r := range rules {
		if r != nil {
			r.root.vocab(&hs)
		}
	}
	size := 16
	for size < 4*len(hs) {
		size *= 2
	}
	v := &Vocab{slots: make([]uint64, size)}
	for _, h := range hs {
		if h == 0 {
			h = 1 // 0 marks an empty slot; has maps it alike
		}
		i := v.find(h)
		v.slots[i] = h
	}
	return v
}

func (n *node) vocab(hs *[]uint64) {
	for _, k := range n.kids {
		k.vocab(hs)
	}
	for _, w := range n.words {
		*hs = append(*hs, wordHash([]byte(w.folded)))
	}
}

// find returns the slot holding h or the empty slot where it would go.
func (v *Vocab) find(h uint64) int {
	mask := len(v.slots) - 1
	i := int(h) & mask
	for v.slots[i] != h && v.slots[i] != 0 {
		i = (i + 1) & mask
	}
	return i
}

func (v *Vocab) has(h uint64) bool {
	if h == 0 {
		h = 1
	}
	return v.slots[v.find(h)] == h
}

// NewDocTerms tokenises an item once for two uses: the Doc a rule of v
// matches as it would NewDoc's, and the item's SearchTerms.
func NewDocTerms(v *Vocab, title, body, source, author string, categories []string) (*Doc, string) {
	size := len(title) + len(body) + len(source) + len(author)
	for _, c := range categories {
		size += len(c)
	}
	t := newTermSet(size)
	return v.doc(t, title, body, source, author, categories), t.String()
}

// ItemDoc is feed.ItemDoc for the rules of v: a search checks each
// candidate with one rule, whose few words are all it needs to tokenise.
func (v *Vocab) ItemDoc(it *Item) *Doc {
	return v.doc(nil, it.Title, it.Text, strings.Join(it.Sources, " "), it.Author, it.Categories)
}

// doc makes a Doc that keeps only v's words, with their positions, so
// that a phrase cannot run over a word left out; a hash collision only
// keeps a word more. It adds the item's search terms to t unless t is nil.
func (v *Vocab) doc(t *termSet, title, body, source, author string, categories []string) *Doc {
	d := &Doc{pos: []int32{}}
	var buf []byte
	// The kept words, folded, end to end: one string for all of them.
	var kept []byte
	var ends []int
	var at int32 // position of the next word
	add := func(f fieldMask, text string) {
		s := StripAccents(text)
		at++ // a gap between fields and categories, as NewDoc's ""
		forEachWord(s, func(i, j int) {
			buf = appendLower(buf[:0], s[i:j])
			h := wordHash(buf)
			if t != nil {
				t.add(f, h)
			}
			if v.has(h) {
				kept = append(kept, buf...)
				ends = append(ends, len(kept))
				d.exact = append(d.exact, s[i:j])
				d.field = append(d.field, f)
				d.pos = append(d.pos, at)
			}
			at++
		})
	}
	eachField(title, body, source, author, categories, add)
	all := string(kept)
	d.folded = make([]string, len(ends))
	for k, end := range ends {
		start := 0
		if k > 0 {
			start = ends[k-1]
		}
		d.folded[k] = all[start:end]
	}
	d.index()
	return d
}
