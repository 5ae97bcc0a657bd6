package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"syscall"

	"github.com/mmcdole/gofeed"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/refresh"
	"github.com/topicfeed/topicfeed/store"
)

// floor times what a pass cannot do without, side by side with the pass in
// the same run: every feed fetched with the pass's client and concurrency
// and parsed, nothing stored. withItems also turns each entry into a
// topicfeed item (sanitised HTML, plain text), as the pass does before
// storing; without it the parse is gofeed's alone.
func floor(ctx context.Context, r *refresh.Refresher, sources []store.SourceInfo, withItems bool) (passStats, error) {
	before := now(syscall.RUSAGE_SELF)
	st := passStats{sources: len(sources)}
	var mu sync.Mutex
	sem := make(chan struct{}, max(1, r.Concurrency))
	var wg sync.WaitGroup
	for _, s := range sources {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			n, err := fetchParse(ctx, r.Client, s.URL, withItems)
			mu.Lock()
			defer mu.Unlock()
			st.nw += n
			if err != nil {
				st.failed++
				if st.firstErr == nil {
					st.firstErr = fmt.Errorf("source %s: %w", s.Name, err)
				}
			}
		})
	}
	wg.Wait()
	after := now(syscall.RUSAGE_SELF)
	st.wall, st.cpu = after.wall.Sub(before.wall), after.cpu-before.cpu
	return st, nil
}

func fetchParse(ctx context.Context, c *fetch.Client, url string, withItems bool) (int, error) {
	resp, err := c.Fetch(ctx, fetch.Request{URL: url})
	if err != nil {
		return 0, err
	}
	if withItems {
		items, err := fetch.ParseFeedCharset(url, resp.Body, resp.URL, resp.Charset())
		return len(items), err
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(resp.Body))
	if err != nil {
		return 0, err
	}
	return len(f.Items), nil
}
