package publish

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/topicfeed/topicfeed/feed"
)

// fakeSearcher matches its items with the rule, as the store does after
// its full-text pre-selection.
type fakeSearcher struct {
	items []*feed.Item
	err   error
	limit int // last limit asked for
	calls int
}

func (s *fakeSearcher) Search(_ context.Context, r *feed.Rule, limit int) ([]*feed.Item, error) {
	s.limit = limit
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	var out []*feed.Item
	for _, it := range s.items {
		if len(out) < limit && r.Match(feed.ItemDoc(it)) {
			out = append(out, it)
		}
	}
	return out, nil
}

func newFakeSearcher() *fakeSearcher {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return &fakeSearcher{items: []*feed.Item{
		{ID: 2, Title: "Pakistan and US sign deal", Text: "Washington agreed.", Sources: []string{"dawn"}, Published: at, Updated: at},
		{ID: 1, Title: "Let us talk", Text: "Pakistan asked us.", Sources: []string{"desk"}, Published: at.Add(-time.Hour), Updated: at.Add(-time.Hour)},
	}}
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w
}

func TestSearchHandlerFeeds(t *testing.T) {
	h := NewSearchHandler(newFakeSearcher(), "http://feeds.example.org/", nil, SearchLimits{})
	q := `Pakistan AND US AND "a&b co"`
	for _, f := range []feed.Format{feed.RSS, feed.Atom, feed.JSON} {
		target := "/search." + string(f) + "?q=" + url.QueryEscape(q)
		w := get(t, h, target)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", target, w.Code, w.Body)
		}
		if ct := w.Header().Get("Content-Type"); ct != f.ContentType() {
			t.Errorf("%s: Content-Type %q, want %q", f, ct, f.ContentType())
		}
		parsed, err := gofeed.NewParser().ParseString(w.Body.String())
		if err != nil {
			t.Fatalf("%s: gofeed cannot read the feed: %v", f, err)
		}
		if want := "Search: " + q; parsed.Title != want {
			t.Errorf("%s: title %q, want %q", f, parsed.Title, want)
		}
		if len(parsed.Items) != 0 {
			t.Errorf("%s: %d items, want 0 (no item says \"a&b co\")", f, len(parsed.Items))
		}
		self := "http://feeds.example.org/search." + string(f) + "?q=" + url.QueryEscape(q)
		if parsed.FeedLink != self && !strings.Contains(w.Body.String(), strings.ReplaceAll(self, "&", "&amp;")) {
			t.Errorf("%s: self link %q missing from the feed", f, self)
		}
		etag := w.Header().Get("ETag")
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("If-None-Match", etag)
		w2 := httptest.NewRecorder()
		h.ServeHTTP(w2, req)
		if etag == "" || w2.Code != http.StatusNotModified {
			t.Errorf("%s: conditional GET with ETag %q: status %d, want 304", f, etag, w2.Code)
		}
	}
	w := get(t, h, "/search.json?q=Pakistan+AND+US")
	parsed, err := gofeed.NewParser().ParseString(w.Body.String())
	if err != nil || len(parsed.Items) != 1 || parsed.Items[0].Title != "Pakistan and US sign deal" {
		t.Errorf("Pakistan AND US: got %v (%v), want the one item with the acronym", parsed, err)
	}
}

// TestSearchHandlerCache: a saved search polled again before the database
// changes is answered from the rendering kept, byte for byte; a change, or
// another query, format or limit, searches again.
func TestSearchHandlerCache(t *testing.T) {
	s := newFakeSearcher()
	var gen uint64 = 1
	h := NewSearchHandler(s, "http://x", func() uint64 { return gen }, SearchLimits{})
	first := get(t, h, "/search.rss?q=Pakistan")
	again := get(t, h, "/search.rss?q=Pakistan")
	if s.calls != 1 || again.Body.String() != first.Body.String() || again.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Fatalf("second poll: %d searches, same body %v; want 1 search and the same feed",
			s.calls, again.Body.String() == first.Body.String())
	}
	for i, target := range []string{"/search.atom?q=Pakistan", "/search.rss?q=Pakistan&limit=1", "/search.rss?q=pakistan"} {
		if get(t, h, target); s.calls != 2+i {
			t.Errorf("%s: %d searches in all, want %d", target, s.calls, 2+i)
		}
	}
	s.items = s.items[1:] // the store changes; the publisher counts it
	gen++
	after := get(t, h, "/search.rss?q=Pakistan")
	if s.calls != 5 || after.Body.String() == first.Body.String() {
		t.Errorf("after a change: %d searches, body changed %v; want 5 and a new feed", s.calls, after.Body.String() != first.Body.String())
	}
	if w := get(t, h, "/search.rss?q=Pakistan"); s.calls != 5 || w.Body.String() != after.Body.String() {
		t.Errorf("polled again after the change: %d searches, want 5", s.calls)
	}
}

// TestSearchHandlerGzip: a saved search is served gzipped to readers
// that take it, as topic feeds are, with its own ETag, and its 304.
func TestSearchHandlerGzip(t *testing.T) {
	s := newFakeSearcher()
	h := NewSearchHandler(s, "http://x", func() uint64 { return 1 }, SearchLimits{})
	plain := get(t, h, "/search.rss?q=Pakistan")
	gzGet := func(inm string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/search.rss?q=Pakistan", nil)
		r.Header.Set("Accept-Encoding", "gzip, deflate")
		if inm != "" {
			r.Header.Set("If-None-Match", inm)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := gzGet("")
	if w.Code != http.StatusOK || w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("status %d, Content-Encoding %q, Vary %q; want 200, gzip, Accept-Encoding",
			w.Code, w.Header().Get("Content-Encoding"), w.Header().Get("Vary"))
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || string(body) != plain.Body.String() {
		t.Errorf("gunzipped body differs from the plain one (%v)", err)
	}
	etag := w.Header().Get("ETag")
	if etag == "" || etag == plain.Header().Get("ETag") {
		t.Errorf("gzip ETag %q, plain %q: want one of its own", etag, plain.Header().Get("ETag"))
	}
	if again := gzGet(etag); again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match %s: status %d, want 304", etag, again.Code)
	}
	if s.calls != 1 {
		t.Errorf("%d searches for one query polled three times, want 1", s.calls)
	}
}

func TestSearchHandlerErrors(t *testing.T) {
	s := newFakeSearcher()
	h := NewSearchHandler(s, "http://x", nil, SearchLimits{})
	tests := []struct {
		name, target string
		code         int
		body         string
	}{
		{"missing q", "/search.rss", 400, "missing q"},
		{"blank q", "/search.rss?q=++", 400, "missing q"},
		{"bad rule", "/search.rss?q=" + url.QueryEscape("Pakistan AND (US OR x))"), 400, `q: column 23: unexpected ")"`},
		{"unknown field", "/search.atom?q=foo:x", 400, `q: column 1: unknown field "foo"`},
		{"multi-line rule", "/search.atom?q=" + url.QueryEscape("a AND\n\"b\nc"), 400, "q: column 7: unterminated phrase"},
		{"bad limit", "/search.rss?q=x&limit=-1", 400, "limit must be a positive whole number"},
		{"unknown format", "/search.xml?q=x", 404, "search feeds are"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, h, tc.target)
			body := w.Body.String()
			if w.Code != tc.code || !strings.HasPrefix(body, tc.body) {
				t.Errorf("status %d %q, want %d %q…", w.Code, body, tc.code, tc.body)
			}
			if strings.Count(strings.TrimSuffix(body, "\n"), "\n") != 0 {
				t.Errorf("body is not one line: %q", body)
			}
		})
	}
	get(t, h, "/search.rss?q=x&limit=100000")
	if s.limit != feed.MaxLimit {
		t.Errorf("limit 100000 asked the store for %d, want %d", s.limit, feed.MaxLimit)
	}
	get(t, h, "/search.rss?q=x")
	if s.limit != feed.DefaultSearchLimit {
		t.Errorf("no limit asked the store for %d, want %d", s.limit, feed.DefaultSearchLimit)
	}
	s.err = errors.New("disk on fire")
	if w := get(t, h, "/search.rss?q=x"); w.Code != 500 || strings.Contains(w.Body.String(), "fire") {
		t.Errorf("store failure: status %d %q, want 500 without internals", w.Code, w.Body)
	}
}

// searchSeeds are the devset rules and the bad rules of feed/rule_test.go,
// copied because a test cannot import another package's test files.
var searchSeeds = []string{
	// devset rules
	`Pakistan AND ("United States" OR US OR Washington) NOT cricket`,
	`(China OR Beijing) AND (tariff OR tariffs OR soybeans OR "export controls")`,
	`"climate finance" OR ("loss and damage" AND fund)`,
	`title:tariff OR title:tariffs`,
	`body:"trade deal" AND NOT title:"trade deal"`,
	`Shehbaz`,
	`Müller AND (steel OR automakers)`,
	`bus OR buses OR metro`,
	`IT exports`,
	`WHO AND (polio OR vaccination)`,
	// bad rules
	``,
	"  \n ",
	`a AND`,
	`a OR `,
	`NOT`,
	`a AND OR b`,
	`OR a`,
	`x AND (a OR b`,
	`Pakistan AND (US OR x))`,
	`) a`,
	`a ()`,
	`a "loss and`,
	`a foo:x`,
	`and:x`,
	`a title:`,
	`title:body:x`,
	`a ""`,
	`" - "`,
	`a !!!`,
	`Pakistan -cricket`,
	`tariff*`,
	`zé*`,
	`a AND AND "b`,
	strings.Repeat("(", 101) + "a" + strings.Repeat(")", 101),
}

// FuzzSearchQuery: any q gives 200 with a feed or 400 with one line, never
// a 500 or a panic, and 400 exactly when the rule does not parse or is
// over the caps.
func FuzzSearchQuery(f *testing.F) {
	for _, r := range searchSeeds {
		f.Add(r)
	}
	f.Add("\x00\xff\u2028 title:")
	h := NewSearchHandler(newFakeSearcher(), "http://x", nil, SearchLimits{Rate: -1})
	f.Fuzz(func(t *testing.T, q string) {
		w := get(t, h, "/search.json?q="+url.QueryEscape(q))
		_, perr := feed.ParseRule(q)
		if len(q) > DefaultMaxQuery || countTerms(q) > DefaultMaxTerms {
			perr = errors.New("over the caps")
		}
		switch {
		case w.Code == http.StatusOK && perr == nil:
			if _, err := gofeed.NewParser().ParseString(w.Body.String()); err != nil {
				t.Errorf("q %q: unreadable feed: %v", q, err)
			}
		case w.Code == http.StatusBadRequest && (perr != nil || strings.TrimSpace(q) == ""):
			if body := strings.TrimSuffix(w.Body.String(), "\n"); strings.ContainsAny(body, "\r\n") {
				t.Errorf("q %q: 400 body is not one line: %q", q, body)
			}
		default:
			t.Errorf("q %q: status %d (parse error %v): %s", q, w.Code, perr, w.Body)
		}
	})
}

// TestSearchCacheBound: the kept renderings never pass maxSearchCache
// bytes, and a change drops them all.
func TestSearchCacheBound(t *testing.T) {
	h := NewSearchHandler(newFakeSearcher(), "http://x", func() uint64 { return 1 }, SearchLimits{}).(*searchHandler)
	big := func() *rendered { return &rendered{body: make([]byte, maxSearchCache/3+1)} }
	for i := range 5 {
		h.keep(searchKey{q: strconv.Itoa(i)}, 1, big())
		if h.cached > maxSearchCache || len(h.cache) > 2 {
			t.Fatalf("after %d: %d bytes in %d entries, want at most %d bytes", i+1, h.cached, len(h.cache), maxSearchCache)
		}
	}
	if h.lookup(searchKey{q: "4"}, 1) == nil {
		t.Error("the last one kept is gone")
	}
	h.keep(searchKey{q: "x"}, 2, &rendered{body: []byte("small")})
	if len(h.cache) != 1 || h.cached != 5 || h.lookup(searchKey{q: "4"}, 2) != nil {
		t.Errorf("after a change: %d entries, %d bytes; want only the new one", len(h.cache), h.cached)
	}
	h.keep(searchKey{q: "old"}, 1, &rendered{body: []byte("stale")})
	if h.lookup(searchKey{q: "old"}, 1) != nil || h.lookup(searchKey{q: "old"}, 2) != nil {
		t.Error("a result made before the change was kept")
	}
}
