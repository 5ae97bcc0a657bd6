package store

import (
	"cmp"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/topicfeed/topicfeed/feed"
)

// preparedItem is what storing an item needs that comes from the item
// alone: its fingerprint, the topics that take it as a new item of the
// batch's source, and its search terms. The words these come from (a Doc,
// ~10 times the text) are dropped once they are made.
type preparedItem struct {
	fp      feed.Fingerprint
	units   feed.Sentences // for the source's boilerplate (boilerplate.go)
	learnt  bool           // fp leaves out what the source repeats
	skip    []bool         // by units.Units: left out of fp
	drop    map[int]bool   // paragraphs of boilerplate left out of the stored item
	accepts []bool         // by topic, as in prepared.topics
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
	prepareAll(one, opt).Wait()
	b.prep = one[0].prep
}

// fingerprint is the part of preparing an item the writer needs before
// it stores anything: every fingerprint of a batch is looked up at once.
func fingerprint(it *feed.Item) feed.Fingerprint {
	return feed.NewFingerprint(it.Title, it.Text)
}

// classify makes the rest of an item's preparation, which only storing
// it as new reads: the topics that take it and its search terms. vocab
// is the topics' rule words, nil when no topic has a rule.
func classify(p *preparedItem, it *feed.Item, source string, topics []*feed.Topic, vocab *feed.Vocab) {
	p.accepts = make([]bool, len(topics))
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

// prepareAll prepares every batch not prepared for opt's topics. Items
// longer than opt's content cap are shortened (feed.Item.Cap) before
// anything is made from them. Fingerprints are made on every core before
// it returns; the rest is made in the
// background, in item order, on every core but the caller's, so that the
// writer stores the batch while it is classified. Wait on the result
// before reading an item's accepts or terms, and before the batches are
// handed back.
func prepareAll(batches []Batch, opt IngestOptions) *sync.WaitGroup {
	topics, maxContent := opt.Topics, opt.maxContent()
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
	parallel(len(todo), 16, func(k int) {
		b := &batches[todo[k].b]
		it, p := &b.Items[todo[k].i], &b.prep.items[todo[k].i]
		it.Cap(maxContent, cmp.Or(it.Site.Name, b.Source))
		p.fp = fingerprint(it)
		p.units = feed.Units(it.Title, it.Text)
	})
	vocab := topicVocab(topics)
	var wg sync.WaitGroup
	var next atomic.Int64 // the next chunk of todo to classify
	chunks := (len(todo) + prepChunk - 1) / prepChunk
	for range min(max(1, runtime.GOMAXPROCS(0)-1), chunks) {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				for _, r := range todo[c*prepChunk : min(len(todo), (c+1)*prepChunk)] {
					b := &batches[r.b]
					classify(&b.prep.items[r.i], &b.Items[r.i], b.Source, topics, vocab)
				}
			}
		})
	}
	return &wg
}

// prepChunk is how many items a background worker takes at a time.
const prepChunk = 16
