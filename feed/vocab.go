package feed

// Vocab is the set of words a group of rules asks for. A Doc made by
// NewDocTerms for a Vocab keeps only those words, which is all Match and
// Explain read for those rules, and so costs a fraction of a full Doc: an
// article has a few hundred distinct words and topic rules a few dozen.
type Vocab struct {
	words map[uint64]struct{} // wordHash of each folded word
}

// NewVocab collects the words of rules; nil rules are skipped.
func NewVocab(rules ...*Rule) *Vocab {
	v := &Vocab{words: map[uint64]struct{}{}}
	for _, r := range rules {
		if r != nil {
			r.root.vocab(v)
		}
	}
	return v
}

func (n *node) vocab(v *Vocab) {
	for _, k := range n.kids {
		k.vocab(v)
	}
	for _, w := range n.words {
		v.words[wordHash([]byte(w.folded))] = struct{}{}
	}
}

// NewDocTerms tokenises an item once for two uses: the Doc a rule of v
// matches as it would NewDoc's, and the item's SearchTerms. The Doc
// keeps only v's words, with their positions, so that a phrase cannot
// run over a word left out; a hash collision only keeps a word more.
func NewDocTerms(v *Vocab, title, body, source, author string, categories []string) (*Doc, string) {
	size := len(title) + len(body) + len(source) + len(author)
	for _, c := range categories {
		size += len(c)
	}
	d := &Doc{pos: []int32{}}
	t := newTermSet(size)
	var buf []byte
	var at int32 // position of the next word
	add := func(f fieldMask, text string) {
		s := StripAccents(text)
		at++ // a gap between fields and categories, as NewDoc's ""
		forEachWord(s, func(i, j int) {
			buf = appendLower(buf[:0], s[i:j])
			h := wordHash(buf)
			t.add(f, h)
			if _, ok := v.words[h]; ok {
				d.folded = append(d.folded, string(buf))
				d.exact = append(d.exact, s[i:j])
				d.field = append(d.field, f)
				d.pos = append(d.pos, at)
			}
			at++
		})
	}
	add(fieldTitle, title)
	add(fieldBody, body)
	add(fieldSource, source)
	add(fieldAuthor, author)
	for _, c := range categories {
		add(fieldCategory, c)
	}
	d.index()
	return d, t.String()
}
