package refresh

import (
	"context"
	"fmt"
	"sync"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// pageWorkers bounds one source's page fetches at a time; the fetch slots
// and the client's per-host limit bound them further.
const pageWorkers = 4

// fullContentOn reports whether source is a full_content source.
func (r *Refresher) fullContentOn(source string) bool {
	r.fullOnce.Do(func() {
		if r.FullContent != nil {
			return
		}
		for _, s := range r.Ingester.Sources {
			if s.FullContent {
				if r.FullContent == nil {
					r.FullContent = map[string]bool{}
				}
				r.FullContent[s.Name] = true
			}
		}
	})
	return r.FullContent[source]
}

// fullContent fetches the page of every item of items that the store has
// just stored as new (ID set), for a full_content source, and stores the
// article extracted from it in place of the feed's summary. It runs after
// the feed's transaction committed, so no write lock is held while pages
// load; an item's page is fetched this once, never on a later refresh.
// A page that fails keeps the item's summary and is recorded, with the
// reason, on the source.
func (r *Refresher) fullContent(ctx context.Context, source string, client *fetch.Client, items []feed.Item) {
	var todo []*feed.Item
	for i := range items {
		if items[i].ID != 0 && items[i].URL != "" {
			todo = append(todo, &items[i])
		}
	}
	if len(todo) == 0 {
		return
	}
	pages := make([]store.Page, len(todo))
	sem := make(chan struct{}, pageWorkers)
	var wg sync.WaitGroup
	for i, it := range todo {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			pages[i] = r.page(ctx, client, it)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return // shutting down: a page cut short is no page error
	}
	failed := 0
	for _, p := range pages {
		if p.Err != "" {
			failed++
		}
	}
	err := r.write(ctx, func() error { return r.Ingester.DB.SavePages(ctx, source, pages, r.ingestOptions()) })
	if err != nil {
		r.logger().ErrorContext(ctx, "store full content", "source", source, "err", err)
		return
	}
	r.logger().DebugContext(ctx, "full content", "source", source, "pages", len(pages), "kept_summary", failed)
}

// page fetches one item's page and extracts its article. The article
// replaces the item's content only when it says more than the feed did.
func (r *Refresher) page(ctx context.Context, client *fetch.Client, it *feed.Item) store.Page {
	p := store.Page{Item: it.ID, URL: it.URL}
	release, err := r.fetchSlot(ctx)
	if err != nil {
		release()
		p.Err = err.Error()
		return p
	}
	resp, err := client.Page(ctx, fetch.Request{URL: it.URL})
	release()
	if err != nil {
		p.Err = err.Error()
		return p
	}
	p.ETag, p.LastModified = resp.ETag, resp.LastModified
	r.cpu <- struct{}{} // extraction is parsing: it waits for a core like a feed does
	content, text, err := fetch.ExtractPage(redact(resp.URL), resp.Body, resp.ContentType)
	<-r.cpu
	switch {
	case err != nil:
		p.Err = err.Error()
	case len(text) <= len(it.Text):
		p.Err = fmt.Sprintf("%s: the page's article is no longer than the feed's text", redact(resp.URL))
	default:
		p.Content, p.Text = content, text
	}
	return p
}
