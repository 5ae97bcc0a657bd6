package refresh

import (
	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

// scrapeFor is the selectors of a scrape source, nil for a feed.
func (r *Refresher) scrapeFor(s store.SourceInfo) *feed.Scrape {
	if s.Kind == feed.KindScrape && s.Scrape != nil {
		return s.Scrape
	}
	if c := r.configured(s.Name); c.Kind == feed.KindScrape {
		return c.Scrape
	}
	return nil
}

// configured is a source as the config has it (Ingester.Sources): its
// kind, selectors and full_content live there, not in the store.
func (r *Refresher) configured(name string) feed.Source {
	r.sourcesOnce.Do(func() {
		r.sources = make(map[string]feed.Source, len(r.Ingester.Sources))
		for _, c := range r.Ingester.Sources {
			r.sources[c.Name] = c
		}
	})
	return r.sources[name]
}
