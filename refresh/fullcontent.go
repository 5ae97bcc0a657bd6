package refresh

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// pageWorkers bounds one source's page fetches at a time; the fetch slots
// and the client's per-host limit bound them further.
const pageWorkers = 4

// fullContentOn reports whether source is a full_content source.
func (r *Refresher) fullContentOn(source string) bool {
	if r.FullContent != nil {
		return r.FullContent[source]
	}
	return r.configured(source).FullContent
}

// catchUp bounds the pages a refresh fetches besides those of the items
// it stored as new: edited items, and items whose page was never fetched
// because the process stopped after storing them (stored within
// catchUpAge).
const (
	catchUp    = 50
	catchUpAge = 3 * 24 * time.Hour
)

// pageJob is one page to fetch for an item.
type pageJob struct {
	item int64
	url  string
	text string // the item's text: the article must be longer
	// etag and lastModified make the request conditional; content and
	// article are what a 304 puts back.
	etag, lastModified string
	content, article   string
}

// fullContent fetches the page of every item of items that the store has
// just stored as new (ID set), for a full_content source, and stores the
// article extracted from it in place of the feed's summary. It also
// fetches, at most catchUp of each, the pages of the source's items whose
// entry was edited since their page was fetched (the edit put the feed's
// text back: a conditional request, and a 304 restores the article kept
// with the page) and of items stored lately whose page was never fetched
// (the process stopped first). It runs after the feed's transaction
// committed, so no write lock is held while pages load; an unchanged item
// has its page fetched once, never on a later refresh. A page that fails
// keeps the item's summary and is recorded, with the reason, on the
// source; one that failed for a while (no answer, 5xx, 429, robots.txt
// unreachable) is not marked as fetched, so the catch-up asks again.
// Pages are links from the feed, fetched with linkClient.
func (r *Refresher) fullContent(ctx context.Context, source string, items []feed.Item) {
	client, err := r.linkClient()
	if err != nil {
		r.logger().ErrorContext(ctx, "full content", "source", source, "err", err)
		return
	}
	var todo []pageJob
	fresh := map[int64]bool{}
	for i := range items {
		if it := &items[i]; it.ID != 0 && it.URL != "" {
			todo = append(todo, pageJob{item: it.ID, url: it.URL, text: it.Text})
			fresh[it.ID] = true
		}
	}
	// The items just stored have no page yet either: ask for enough.
	due, err := r.Ingester.DB.PagesDue(ctx, source, catchUpAge, catchUp+len(fresh))
	if err != nil && ctx.Err() == nil {
		r.logger().ErrorContext(ctx, "pages due", "source", source, "err", err)
	}
	edited, missed := 0, 0
	for _, d := range due {
		n := &missed
		if d.Edited {
			n = &edited
		}
		if fresh[d.Item] || *n == catchUp {
			continue
		}
		*n++
		todo = append(todo, pageJob{item: d.Item, url: d.URL, text: d.Text, etag: d.ETag, lastModified: d.LastModified,
			content: d.Content, article: d.Article})
	}
	if len(todo) == 0 {
		return
	}
	pages := make([]store.Page, len(todo))
	sem := make(chan struct{}, pageWorkers)
	var wg sync.WaitGroup
	for i, job := range todo {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			pages[i] = r.page(ctx, client, job)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return // shutting down: a page cut short is no page error, and the next refresh catches up
	}
	failed := 0
	for _, p := range pages {
		if p.Err != "" {
			failed++
		}
	}
	err = r.write(ctx, func() error { return r.Ingester.DB.SavePages(ctx, source, pages, r.ingestOptions()) })
	if err != nil {
		r.logger().ErrorContext(ctx, "store full content", "source", source, "err", err)
		return
	}
	r.logger().DebugContext(ctx, "full content", "source", source, "pages", len(pages), "edited", edited,
		"caught_up", missed, "kept_summary", failed)
}

// page fetches one item's page and extracts its article, or on a 304 takes
// the article kept from the last fetch. The article replaces the item's
// content only when it says more than the feed did.
func (r *Refresher) page(ctx context.Context, client *fetch.Client, job pageJob) store.Page {
	p := store.Page{Item: job.item, URL: job.url}
	release, err := r.fetchSlot(ctx)
	if err != nil {
		release()
		p.Err = err.Error()
		return p
	}
	resp, err := client.Page(ctx, fetch.Request{URL: job.url, ETag: job.etag, LastModified: job.lastModified})
	release()
	if err != nil {
		// A failure that may pass leaves the page due (store.Page.Transient).
		p.Err = err.Error()
		p.Transient = fetch.IsKind(err, fetch.KindTransient) || fetch.IsKind(err, fetch.KindRateLimited)
		return p
	}
	p.ETag, p.LastModified = resp.ETag, resp.LastModified
	var content, text string
	switch {
	case resp.NotModified && job.content != "":
		content, text = job.content, job.article
	case resp.NotModified:
		// Not asked for: a 304 to an unconditional request.
		err = fmt.Errorf("%s: not modified, and no article kept", redact(resp.URL))
	default:
		r.cpu <- struct{}{} // extraction is parsing: it waits for a core like a feed does
		content, text, err = fetch.ExtractPage(redact(resp.URL), resp.Body, resp.ContentType)
		<-r.cpu
	}
	switch {
	case err != nil:
		p.Err = err.Error()
	case len(text) <= len(job.text):
		p.Err = fmt.Sprintf("%s: the page's article is no longer than the feed's text", redact(resp.URL))
	default:
		p.Content, p.Text = content, text
	}
	return p
}
