package refresh

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
)

// inFlight counts concurrent requests and remembers the most seen at once.
type inFlight struct{ now, peak atomic.Int32 }

func (f *inFlight) wrap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := f.now.Add(1)
		defer f.now.Add(-1)
		for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
		}
		h(w, r)
	}
}

// TestRunSlowSourceDoesNotHoldBackOthers starts the daemon's scheduler on
// sources never fetched: all are due at once, at most Concurrency are
// fetched at a time, each exactly once, and one that stalls does not hold
// back the rest.
func TestRunSlowSourceDoesNotHoldBackOthers(t *testing.T) {
	const others, concurrency = 11, 3
	up := newUpstream(t)
	var flight inFlight
	release := make(chan struct{})
	up.handle("/slow", flight.wrap(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		feedHandler(`"s"`, rssBody("slow1"))(w, r)
	}))
	done := make(chan string, others)
	srcs := []feed.Source{{Name: "slow", URL: up.URL + "/slow"}}
	for i := range others {
		path := fmt.Sprintf("/f%02d", i)
		up.handle(path, flight.wrap(func(w http.ResponseWriter, r *http.Request) {
			feedHandler(`"e"`, rssBody(path+"-1", path+"-2"))(w, r)
			done <- path
		}))
		srcs = append(srcs, feed.Source{Name: fmt.Sprintf("f%02d", i), URL: up.URL + path})
	}
	h := newHarness(t, srcs...)
	h.r.Concurrency = concurrency
	h.r.Client = fetch.NewClient(fetch.Options{AllowPrivate: true, PerHost: 100, Timeout: 30 * time.Second})

	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { h.r.Run(ctx, 10*time.Millisecond, nil) })
	bound := time.After(20 * time.Second) // a hang guard, not a timing assertion
	for range others {
		select {
		case <-done:
		case <-bound:
			cancel()
			wg.Wait()
			t.Fatal("other sources were held back while one stalled")
		}
	}
	close(release)
	waitAllStored(t, h, srcs)
	cancel()
	wg.Wait()

	if p := flight.peak.Load(); p > concurrency {
		t.Errorf("%d requests at once, want at most %d", p, concurrency)
	}
	for _, s := range srcs {
		if n := len(up.hits("/" + s.Name)); n != 1 {
			t.Errorf("source %s fetched %d times, want once", s.Name, n)
		}
	}
	if n := h.items(t); n != 2*others+1 {
		t.Errorf("%d items stored, want %d", n, 2*others+1)
	}
}

// waitAllStored waits, boundedly, until every source's fetch is stored: a
// response sent is not yet a response stored.
func waitAllStored(t *testing.T, h *harness, srcs []feed.Source) {
	t.Helper()
	for range 2000 {
		stored := true
		for _, s := range srcs {
			stored = stored && h.source(t, s.Name).Status == 200
		}
		if stored {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("sources never all stored")
}

// TestPassSpreadsNextFetch: sources fetched together come due again spread
// over ±10% of their interval, not all at the same second.
func TestPassSpreadsNextFetch(t *testing.T) {
	up := newUpstream(t)
	up.handle("/f", feedHandler(`"x"`, rssBody("x1")))
	var srcs []feed.Source
	for i := range 30 {
		srcs = append(srcs, feed.Source{Name: fmt.Sprintf("s%02d", i), URL: up.URL + "/f"})
	}
	h := newHarness(t, srcs...)
	if due := h.dueNames(t); len(due) != len(srcs) {
		t.Fatalf("%d sources due before any fetch, want all %d", len(due), len(srcs))
	}
	start := h.now
	h.pass(t, false)
	if due := h.dueNames(t); len(due) != 0 {
		t.Errorf("due right after a pass: %v", due)
	}
	seen := map[time.Time]bool{}
	lo, hi := start.Add(testInterval*9/10).Add(-time.Second), start.Add(testInterval*11/10)
	for _, s := range srcs {
		next := h.source(t, s.Name).NextFetch
		if next.Before(lo) || next.After(hi) {
			t.Errorf("source %s next fetch %v, want within %v..%v", s.Name, next, lo, hi)
		}
		seen[next] = true
	}
	if len(seen) < 2 {
		t.Errorf("all %d sources come due at the same second %v", len(srcs), start.Add(testInterval))
	}
	h.now = start.Add(testInterval * 11 / 10)
	if due := h.dueNames(t); len(due) != len(srcs) {
		t.Errorf("%d due after 110%% of the interval, want all", len(due))
	}
}

// TestRunRefreshNow: a request fetches the named source at once though it
// is not due, conditionally, and leaves the others alone.
func TestRunRefreshNow(t *testing.T) {
	up := newUpstream(t)
	up.handle("/a", feedHandler(`"a"`, rssBody("a1")))
	up.handle("/b", feedHandler(`"b"`, rssBody("b1")))
	srcs := []feed.Source{{Name: "a", URL: up.URL + "/a"}, {Name: "b", URL: up.URL + "/b"}}
	h := newHarness(t, srcs...)
	requests := make(chan []string)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { h.r.Run(ctx, time.Hour, requests) })
	defer func() { cancel(); wg.Wait() }()
	waitAllStored(t, h, srcs)
	requests <- []string{"a"}
	for i := 0; len(up.hits("/a")) < 2; i++ {
		if i == 2000 {
			t.Fatal("refresh now did not fetch a")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := up.hits("/a")[1].IfNoneMatch; got != `"a"` {
		t.Errorf("refresh now sent If-None-Match %q, want the stored ETag", got)
	}
	if n := len(up.hits("/b")); n != 1 {
		t.Errorf("b fetched %d times, want once", n)
	}
}
