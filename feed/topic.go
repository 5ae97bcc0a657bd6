package feed

import "strings"

// AllTopic is the built-in topic that holds every item.
const AllTopic = "all"

// Topic is a curated feed: the items its rule accepts, newest first.
type Topic struct {
	Name        string
	Title       string
	Description string
	Match       *Rule // nil accepts every item
	Exclude     *Rule // nil excludes nothing
	Sources     []string
	Limit       int
}

// Accepts reports whether an item seen in sources belongs to the topic.
func (t *Topic) Accepts(d *Doc, sources []string) bool {
	if len(t.Sources) > 0 && !overlaps(t.Sources, sources) {
		return false
	}
	if t.Match != nil && !t.Match.Match(d) {
		return false
	}
	return t.Exclude == nil || !t.Exclude.Match(d)
}

// Signature changes whenever the topic's membership could change, so the
// store knows when to recompute it for every stored item.
func (t *Topic) Signature() string {
	var b strings.Builder
	if t.Match != nil {
		b.WriteString(t.Match.String())
	}
	b.WriteString("\x00")
	if t.Exclude != nil {
		b.WriteString(t.Exclude.String())
	}
	b.WriteString("\x00")
	b.WriteString(strings.Join(t.Sources, ","))
	return b.String()
}

// ItemDoc prepares an item for rule matching. Source names are matched by
// source:, so they are joined as words.
func ItemDoc(it *Item) *Doc {
	return NewDoc(it.Title, it.Text, strings.Join(it.Sources, " "), it.Author, it.Categories)
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
