package refresh

import (
	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

// scrapeFor is the selectors of a scrape source, nil for a feed. The kind
// lives in the config, not the store: Ingester.Sources has it.
func (r *Refresher) scrapeFor(s store.SourceInfo) *feed.Scrape {
	if s.Kind == feed.KindScrape && s.Scrape != nil {
		return s.Scrape
	}
	r.scrapesOnce.Do(func() {
		for _, c := range r.Ingester.Sources {
			if c.Kind == feed.KindScrape && c.Scrape != nil {
				if r.scrapes == nil {
					r.scrapes = map[string]*feed.Scrape{}
				}
				r.scrapes[c.Name] = c.Scrape
			}
		}
	})
	return r.scrapes[s.Name]
}
