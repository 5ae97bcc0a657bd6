package publish

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/topicfeed/topicfeed/feed"
)

func TestCountTerms(t *testing.T) {
	tests := []struct {
		q    string
		want int
	}{
		{"", 0},
		{"tariff", 1},
		{`Pakistan AND ("United States" OR US OR Washington) NOT cricket`, 6},
		{"title:tariff OR body:x", 2},
		{"and or not", 3}, // lower case: words, not operators
		{"US-China Pakistan’s", 4},
		{"Shehbāz Müller 東京", 3},
		{"((((", 0},
	}
	for _, tc := range tests {
		if got := countTerms(tc.q); got != tc.want {
			t.Errorf("countTerms(%q) = %d, want %d", tc.q, got, tc.want)
		}
	}
}

// TestSearchQueryCaps: a query over the length or word cap is a short
// 400 that quotes none of it, and no search runs; one at the caps runs.
func TestSearchQueryCaps(t *testing.T) {
	s := newFakeSearcher()
	h := NewSearchHandler(s, "http://x", nil, SearchLimits{})
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("w ", n)) }
	huge := strings.Repeat("Pakistan ", 100<<10/9)
	tests := []struct {
		name, q string
		code    int
		body    string
	}{
		{"100 KB", huge, 400, "query string is 102395 bytes long; a search takes at most 500 bytes of q"},
		{"100 KB of multi-byte letters", strings.Repeat("é", 50<<10), 400, "query string is"},
		{"over the byte cap", strings.Repeat("a", DefaultMaxQuery+1), 400, "q is 501 bytes long"},
		{"at the byte cap", strings.Repeat("a", DefaultMaxQuery), 200, ""},
		{"over the word cap", words(DefaultMaxTerms + 1), 400, "q has 33 words; a search takes at most 32"},
		{"at the word cap, operators free", strings.ReplaceAll(words(DefaultMaxTerms), " ", " OR "), 200, ""},
		{"long parse error", "(" + strings.Repeat("a", 400) + ":x", 400, "q: column 2: unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := s.calls
			w := get(t, h, "/search.rss?q="+url.QueryEscape(tc.q))
			body := w.Body.String()
			if w.Code != tc.code || !strings.HasPrefix(body, tc.body) {
				t.Fatalf("status %d %.100q, want %d %q…", w.Code, body, tc.code, tc.body)
			}
			if tc.code != 400 {
				return
			}
			if len(body) > 200 || strings.Contains(body, strings.Repeat("a", 200)) {
				t.Errorf("a %d-byte 400 body: %.100q…; want a short message", len(body), body)
			}
			if s.calls != before {
				t.Errorf("the store was searched for a refused query")
			}
		})
	}
}

// TestSearchFeedTitleShort: a long query (within the caps) names the
// search feed in a short title, and whole in the self link.
func TestSearchFeedTitleShort(t *testing.T) {
	h := NewSearchHandler(newFakeSearcher(), "http://x", nil, SearchLimits{})
	q := strings.TrimSpace(strings.Repeat("Pakistanis ", 30))
	w := get(t, h, "/search.atom?q="+url.QueryEscape(q))
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	f, err := gofeed.NewParser().ParseString(w.Body.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Title) > len("Search: ")+searchTitleMax+len("…") || !strings.HasSuffix(f.Title, "…") {
		t.Errorf("title %q (%d bytes): want at most %d bytes of the query and an ellipsis", f.Title, len(f.Title), searchTitleMax)
	}
	if self := "http://x/search.atom?q=" + url.QueryEscape(q); f.FeedLink != self {
		t.Errorf("self link %q, want %q", f.FeedLink, self)
	}
}

// TestSearchRateLimit: past its burst a client gets 429 with Retry-After;
// another client does not; a search kept since the last change is free.
func TestSearchRateLimit(t *testing.T) {
	var gen uint64 = 1
	h := NewSearchHandler(newFakeSearcher(), "http://x", func() uint64 { return gen },
		SearchLimits{Rate: 0.01, Burst: 3})
	from := func(addr, q string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/search.rss?q="+q, nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 3 {
		if w := from("192.0.2.1:1000", "a"+strconv.Itoa(i)); w.Code != 200 {
			t.Fatalf("search %d within the burst: %d", i+1, w.Code)
		}
	}
	w := from("192.0.2.1:1001", "b")
	if ra, _ := strconv.Atoi(w.Header().Get("Retry-After")); w.Code != http.StatusTooManyRequests || ra < 1 {
		t.Errorf("past the burst: %d, Retry-After %q; want 429 and a delay in seconds", w.Code, w.Header().Get("Retry-After"))
	}
	if w := from("192.0.2.1:1002", "a0"); w.Code != 200 {
		t.Errorf("a search kept since the last change: %d, want 200 without counting", w.Code)
	}
	if w := from("198.51.100.7:1000", "b"); w.Code != 200 {
		t.Errorf("another client: %d, want 200", w.Code)
	}
	// IPv6 clients are counted by /64: a host cannot rotate addresses.
	for i := range 4 {
		w := from(fmt.Sprintf("[2001:db8::%x]:1000", i+1), "c"+strconv.Itoa(i))
		if want := map[bool]int{true: 200, false: 429}[i < 3]; w.Code != want {
			t.Errorf("IPv6 address %d of one /64: %d, want %d", i+1, w.Code, want)
		}
	}
	gen++ // a change: the kept renderings are gone, the limit stays
	if w := from("192.0.2.1:1003", "a0"); w.Code != http.StatusTooManyRequests {
		t.Errorf("after a change, past the burst: %d, want 429", w.Code)
	}
}

// TestClientRatesBounded: the table of client addresses stays within its
// size whatever number of addresses searches.
func TestClientRatesBounded(t *testing.T) {
	c := newClientRates(1, 2, 64)
	now := time.Now()
	for i := range 10_000 {
		c.wait(fmt.Sprintf("10.%d.%d.%d:80", i>>16&255, i>>8&255, i&255), now)
		if len(c.clients) > 64 {
			t.Fatalf("after %d addresses: %d tracked, want at most 64", i+1, len(c.clients))
		}
	}
}

// blockingSearcher holds every search until release is closed or the
// search's context ends, and tells started of each.
type blockingSearcher struct {
	started chan struct{}
	release chan struct{}
}

func (s *blockingSearcher) Search(ctx context.Context, _ *feed.Rule, _ int) ([]*feed.Item, error) {
	s.started <- struct{}{}
	select {
	case <-s.release:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestSearchConcurrencyLimit: with every slot taken and the queue full, a
// search is turned away at once with 503 and Retry-After; those admitted
// finish once the store answers.
func TestSearchConcurrencyLimit(t *testing.T) {
	s := &blockingSearcher{started: make(chan struct{}, 10), release: make(chan struct{})}
	h := NewSearchHandler(s, "http://x", nil, SearchLimits{Running: 1, Waiting: 1, Rate: -1, Timeout: time.Minute})
	codes := make(chan int, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { codes <- get(t, h, "/search.rss?q=q"+strconv.Itoa(i)).Code })
		if i == 0 {
			<-s.started // the first holds the slot
		}
	}
	// The second waits for the slot: wait until it is queued.
	hs := h.(*searchHandler)
	for deadline := time.Now().Add(10 * time.Second); len(hs.gate.waiting) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second search never queued")
		}
	}
	w := get(t, h, "/search.rss?q=third")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("with the slot and the queue full: %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	close(s.release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Errorf("an admitted search: %d, want 200", c)
		}
	}
}

// TestSearchDeadline: a search that outlasts its deadline is cut off and
// answered 503.
func TestSearchDeadline(t *testing.T) {
	s := &blockingSearcher{started: make(chan struct{}, 1), release: make(chan struct{})}
	h := NewSearchHandler(s, "http://x", nil, SearchLimits{Rate: -1, Timeout: 20 * time.Millisecond})
	w := get(t, h, "/search.rss?q=slow")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "too long") {
		t.Errorf("status %d %q, want 503 saying it took too long", w.Code, w.Body)
	}
}

// TestFeedCacheBound: renderings of every topic, format and limit a
// client asks for are kept within maxFeedCache bytes, older generations
// dropped first.
func TestFeedCacheBound(t *testing.T) {
	p := NewPublisher(nil, nil, Options{})
	big := func(gen uint64) *rendered { return &rendered{gen: gen, body: make([]byte, maxFeedCache/5+1)} }
	p.keep(cacheKey{"old", feed.RSS, 1}, big(0))
	for limit := 1; limit <= 20; limit++ {
		p.keep(cacheKey{"t", feed.RSS, limit}, big(1))
		if p.cached > maxFeedCache || p.cached != sumBodies(p.cache) {
			t.Fatalf("after limit %d: %d bytes counted, %d kept, want at most %d", limit, p.cached, sumBodies(p.cache), maxFeedCache)
		}
	}
	if p.cache[cacheKey{"old", feed.RSS, 1}] != nil {
		t.Error("a rendering of an older generation outlived newer ones")
	}
	if p.cache[cacheKey{"t", feed.RSS, 20}] == nil {
		t.Error("the last rendering kept is gone")
	}
}

func sumBodies(m map[cacheKey]*rendered) int {
	n := 0
	for _, r := range m {
		n += len(r.body)
	}
	return n
}

// BenchmarkSearchRefused is what an over-long or over-wordy query costs
// before it is refused: the caps are checked before anything is parsed.
func BenchmarkSearchRefused(b *testing.B) {
	h := NewSearchHandler(newFakeSearcher(), "http://x", nil, SearchLimits{})
	for _, c := range []struct{ name, q string }{
		{"100KB", strings.Repeat("Pakistan ", 100<<10/9)},
		{"501B", strings.Repeat("a", DefaultMaxQuery+1)},
		{"33words", strings.TrimSpace(strings.Repeat("w ", DefaultMaxTerms+1))},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/search.rss?q="+url.QueryEscape(c.q), nil)
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusBadRequest {
					b.Fatalf("status %d", w.Code)
				}
			}
			b.ReportMetric(float64(len(req.URL.RawQuery)), "query-bytes")
		})
	}
}
