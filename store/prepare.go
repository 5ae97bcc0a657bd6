package store

import (
	"slices"

	"github.com/topicfeed/topicfeed/feed"
)

// preparedItem is what storing an item needs that comes from the item
// alone: its fingerprint, the topics that take it as a new item of the
// batch's source, and its search terms. The words these come from (a Doc,
// ~10 times the text) are dropped once they are made.
type preparedItem struct {
	fp      feed.Fingerprint
	accepts []bool // by topic, as in prepared.topics
	terms   string
}

type prepared struct {
	topics []*feed.Topic
	items  []preparedItem
}

// Prepare does the part of storing b that needs no database, so that a
// caller can do it on its own goroutine before it waits for the one
// writer: a refresh prepares each feed as soon as it is parsed. opt gives
// the topics; IngestBatches prepares again any batch prepared for others.
// An item that turns out to be stored already wastes its preparation,
// which costs about what parsing it did.
func (b *Batch) Prepare(opt IngestOptions) {
	one := []Batch{*b}
	prepareAll(one, opt.Topics)
	b.prep = one[0].prep
}

// prepareItem prepares one item. vocab is the topics' rule words, nil
// when no topic has a rule.
func prepareItem(it *feed.Item, source string, topics []*feed.Topic, vocab *feed.Vocab) preparedItem {
	p := preparedItem{fp: feed.NewFingerprint(it.Title, it.Text), accepts: make([]bool, len(topics))}
	var doc *feed.Doc // only a rule reads the words
	if vocab != nil {
		doc, p.terms = feed.NewDocTerms(vocab, it.Title, it.Text, source, it.Author, it.Categories)
	} else {
		// Made from the text, the terms cost half a Doc.
		p.terms = feed.SearchTerms(it.Title, it.Text, source, it.Author, it.Categories)
	}
	// The item as insert stores it: seen in this source alone.
	sources := []string{source}
	for i, t := range topics {
		p.accepts[i] = t.Accepts(doc, sources)
	}
	return p
}

// topicVocab is the words the topics' rules ask for, or nil when no
// topic has a rule and classifying needs no words.
func topicVocab(topics []*feed.Topic) *feed.Vocab {
	var rules []*feed.Rule
	for _, t := range topics {
		if t.Match != nil || t.Exclude != nil {
			rules = append(rules, t.Match, t.Exclude)
		}
	}
	if rules == nil {
		return nil
	}
	return feed.NewVocab(rules...)
}

// preparedFor reports whether b was prepared for these topics.
func (b *Batch) preparedFor(topics []*feed.Topic) bool {
	return b.prep != nil && len(b.prep.items) == len(b.Items) && slices.Equal(b.prep.topics, topics)
}

// prepareAll prepares every batch not prepared for topics, on every core.
func prepareAll(batches []Batch, topics []*feed.Topic) {
	type ref struct{ b, i int }
	var todo []ref
	for bi := range batches {
		b := &batches[bi]
		if b.preparedFor(topics) {
			continue
		}
		b.prep = &prepared{topics: topics, items: make([]preparedItem, len(b.Items))}
		for i := range b.Items {
			todo = append(todo, ref{bi, i})
		}
	}
	vocab := topicVocab(topics)
	parallel(len(todo), 16, func(k int) {
		b := &batches[todo[k].b]
		b.prep.items[todo[k].i] = prepareItem(&b.Items[todo[k].i], b.Source, topics, vocab)
	})
}
