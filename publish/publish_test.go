package publish_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/store"
)

const base = "http://feeds.example.org"

var t0 = time.Date(2026, 5, 20, 9, 30, 0, 0, time.UTC)

// fixture is a real store (SQLite or PostgreSQL) holding a few items in two
// topics, "harbour" (rule-matched) and "all".
type fixture struct {
	db     *store.DB
	topics []*feed.Topic
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return openFixture(t, testDBPath(t), nil)
}

// openFixture builds newFixture's store in the database at path, on the
// clock now unless that is nil.
func openFixture(t testing.TB, path string, now func() time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if now != nil {
		db.Now = now
	}
	t.Cleanup(func() { db.Close() })
	rule, err := feed.ParseRule("harbour OR port")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, topics: []*feed.Topic{
		{Name: "harbour", Title: "Harbour news", Description: "Ships, berths & ferries", Match: rule, Limit: 50},
		{Name: feed.AllTopic, Title: "Everything", Limit: 50},
	}}
	if err := db.SyncTopics(ctx, f.topics); err != nil {
		t.Fatal(err)
	}
	f.ingest(t, "dawn", story("d1", "Harbour Terminal Approved", "The harbour authority approved a second container terminal after three years of hearings.", 0))
	f.ingest(t, "dawn", story("d2", "Heatwave Grips the Valley", "Temperatures passed forty degrees in the valley for the sixth day running.", -24*time.Hour))
	f.ingest(t, "wires", story("w1", "Port Pilot Boat Launched", "A new pilot boat joined the port fleet on Monday, the third this year.", -48*time.Hour))
	return f
}

func story(guid, title, text string, age time.Duration) feed.Item {
	return feed.Item{GUID: guid, URL: "https://news.example.org/" + guid, Title: title, Text: text,
		Content: "<p>" + text + "</p>", Published: t0.Add(age)}
}

func (f *fixture) ingest(t testing.TB, source string, items ...feed.Item) {
	t.Helper()
	if _, err := f.db.Ingest(context.Background(), source, items, store.IngestOptions{Topics: f.topics}); err != nil {
		t.Fatal(err)
	}
}

// countingStore counts every call the publisher makes to the store.
type countingStore struct {
	publish.Store
	calls     atomic.Int64
	lastLimit atomic.Int64
}

func (c *countingStore) TopicItems(ctx context.Context, topic string, limit int) ([]*feed.Item, error) {
	c.calls.Add(1)
	c.lastLimit.Store(int64(limit))
	return c.Store.TopicItems(ctx, topic, limit)
}

func (c *countingStore) TopicStats(ctx context.Context) (map[string]feed.TopicStat, error) {
	c.calls.Add(1)
	return c.Store.TopicStats(ctx)
}

func (c *countingStore) Item(ctx context.Context, id int64) (*feed.Item, error) {
	c.calls.Add(1)
	return c.Store.Item(ctx, id)
}

func (c *countingStore) Ping(ctx context.Context) error { c.calls.Add(1); return c.Store.Ping(ctx) }

func (f *fixture) publisher(o publish.Options) *publish.Publisher {
	o.BaseURL = base
	if o.MaxAge == 0 {
		o.MaxAge = 5 * time.Minute
	}
	return publish.NewPublisher(f.db, f.topics, o)
}

// do serves one request through h and returns the recorded response.
func do(h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestFeedHeaders(t *testing.T) {
	h := newFixture(t).publisher(publish.Options{}).Handler()
	tests := []struct {
		name, path, contentType string
	}{
		{"rss", "/topics/harbour.rss", "application/rss+xml; charset=utf-8"},
		{"atom", "/topics/harbour.atom", "application/atom+xml; charset=utf-8"},
		{"json", "/topics/harbour.json", "application/feed+json; charset=utf-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(h, "GET", tc.path)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			hdr := w.Result().Header
			for key, want := range map[string]string{"Content-Type": tc.contentType, "Cache-Control": "max-age=300",
				"Vary": "Accept-Encoding", "Last-Modified": t0.Format(http.TimeFormat)} {
				if got := hdr.Get(key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if etag := hdr.Get("ETag"); !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
				t.Errorf("ETag = %q, want a strong quoted tag", etag)
			}
			pf, err := gofeed.NewParser().Parse(w.Body)
			if err != nil {
				t.Fatalf("gofeed: %v", err)
			}
			if len(pf.Items) != 2 || pf.Items[0].Title != "Harbour Terminal Approved" {
				t.Errorf("items = %d, first %q; want 2, newest first", len(pf.Items), pf.Items[0].Title)
			}
			if pf.FeedLink != base+tc.path && tc.name != "rss" {
				t.Errorf("self link = %q, want %q", pf.FeedLink, base+tc.path)
			}
		})
	}
	if body := do(h, "GET", "/topics/harbour.rss").Body.String(); !strings.Contains(body, `href="`+base+`/topics/harbour.rss" rel="self"`) {
		t.Errorf("rss lacks atom:link rel=self:\n%s", body)
	}
}

func TestFeedConditional(t *testing.T) {
	h := newFixture(t).publisher(publish.Options{}).Handler()
	first := do(h, "GET", "/topics/harbour.atom")
	etag, lastMod := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
	gzETag := do(h, "GET", "/topics/harbour.atom", "Accept-Encoding", "gzip").Header().Get("ETag")
	tests := []struct {
		name string
		hdr  []string
		want int
	}{
		{"matching etag", []string{"If-None-Match", etag}, 304},
		{"etag among several", []string{"If-None-Match", `"nope", ` + etag}, 304},
		{"gzip etag with gzip", []string{"If-None-Match", gzETag, "Accept-Encoding", "gzip"}, 304},
		{"plain etag with gzip is another variant", []string{"If-None-Match", etag, "Accept-Encoding", "gzip"}, 200},
		{"stale etag", []string{"If-None-Match", `"stale"`}, 200},
		{"same last-modified", []string{"If-Modified-Since", lastMod}, 304},
		{"later date", []string{"If-Modified-Since", t0.Add(time.Hour).Format(http.TimeFormat)}, 304},
		{"earlier date", []string{"If-Modified-Since", t0.Add(-time.Hour).Format(http.TimeFormat)}, 200},
		{"etag wins over date", []string{"If-None-Match", `"stale"`, "If-Modified-Since", lastMod}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(h, "GET", "/topics/harbour.atom", tc.hdr...)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == 304 && w.Body.Len() != 0 {
				t.Errorf("304 with a %d-byte body", w.Body.Len())
			}
		})
	}
}

func TestFeedGzip(t *testing.T) {
	f := newFixture(t)
	cs := &countingStore{Store: f.db}
	h := publish.NewPublisher(cs, f.topics, publish.Options{BaseURL: base}).Handler()
	plain := do(h, "GET", "/topics/all.json")
	tests := []struct {
		name, accept string
		gzipped      bool
	}{
		{"gzip", "gzip", true},
		{"gzip among others", "br, gzip;q=0.8, deflate", true},
		{"gzip refused", "gzip;q=0, identity", false},
		{"none", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(h, "GET", "/topics/all.json", "Accept-Encoding", tc.accept)
			body := w.Body.Bytes()
			if got := w.Header().Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzipped = %v, want %v", got, tc.gzipped)
			}
			if tc.gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				body, _ = io.ReadAll(zr)
			}
			if !bytes.Equal(body, plain.Body.Bytes()) {
				t.Error("decoded body differs from the plain one")
			}
		})
	}
	if n := cs.calls.Load(); n != 1 {
		t.Errorf("%d store calls for one feed in two encodings, want 1 (both cached)", n)
	}
}

func TestFeedLimit(t *testing.T) {
	f := newFixture(t)
	cs := &countingStore{Store: f.db}
	h := publish.NewPublisher(cs, f.topics, publish.Options{BaseURL: base}).Handler()
	tests := []struct {
		query     string
		status    int
		items     int
		storeSeen int64
	}{
		{"", 200, 3, 50},
		{"?limit=1", 200, 1, 1},
		{"?limit=10000", 200, 3, feed.MaxLimit},
		{"?limit=0", 400, 0, 0},
		{"?limit=ten", 400, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			cs.lastLimit.Store(0)
			w := do(h, "GET", "/topics/all.rss"+tc.query)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if got := cs.lastLimit.Load(); got != tc.storeSeen {
				t.Errorf("store asked for %d items, want %d", got, tc.storeSeen)
			}
			if tc.status != 200 {
				return
			}
			pf, err := gofeed.NewParser().Parse(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			if len(pf.Items) != tc.items {
				t.Errorf("%d items, want %d", len(pf.Items), tc.items)
			}
		})
	}
}

// TestUnchangedPollTouchesNoSQL counts store calls: between changes, feed
// polls (200 or 304, plain or gzip) are served from memory.
func TestUnchangedPollTouchesNoSQL(t *testing.T) {
	f := newFixture(t)
	cs := &countingStore{Store: f.db}
	pub := publish.NewPublisher(cs, f.topics, publish.Options{BaseURL: base})
	h := pub.Handler()
	etag := do(h, "GET", "/topics/harbour.rss").Header().Get("ETag")
	before := cs.calls.Load()
	for range 5 {
		do(h, "GET", "/topics/harbour.rss")
		do(h, "GET", "/topics/harbour.rss", "Accept-Encoding", "gzip")
		do(h, "GET", "/topics/harbour.rss", "If-None-Match", etag)
		do(h, "HEAD", "/topics/harbour.rss")
	}
	if n := cs.calls.Load() - before; n != 0 {
		t.Errorf("%d store calls while nothing changed, want 0", n)
	}
	f.ingest(t, "wires", story("w2", "Harbour Dredging Starts", "Dredgers began deepening the harbour channel this week.", time.Hour))
	pub.Invalidate() // what serve does when store.Changes fires
	w := do(h, "GET", "/topics/harbour.rss", "If-None-Match", etag)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Harbour Dredging Starts") {
		t.Errorf("after a change: status %d, new item shown %v", w.Code, strings.Contains(w.Body.String(), "Dredging"))
	}
	if n := cs.calls.Load() - before; n != 1 {
		t.Errorf("%d store calls to re-render once, want 1", n)
	}
}

// TestLastModifiedAfterHide: hiding an item makes no item newer, but the
// feed changed, so If-Modified-Since must not answer 304.
func TestLastModifiedAfterHide(t *testing.T) {
	f := newFixture(t)
	pub := f.publisher(publish.Options{})
	h := pub.Handler()
	first := do(h, "GET", "/topics/harbour.atom")
	id, err := f.db.ItemForGUID(context.Background(), "wires", "w1")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.Curate(context.Background(), "harbour", id, store.Hide); err != nil {
		t.Fatal(err)
	}
	pub.Invalidate()
	w := do(h, "GET", "/topics/harbour.atom", "If-Modified-Since", first.Header().Get("Last-Modified"))
	if w.Code != 200 || strings.Contains(w.Body.String(), "Pilot Boat") {
		t.Errorf("after hide: status %d, hidden item shown %v", w.Code, strings.Contains(w.Body.String(), "Pilot Boat"))
	}
	if w.Header().Get("ETag") == first.Header().Get("ETag") {
		t.Error("ETag unchanged after hide")
	}
}

// hub is a fake WebSub hub recording publish pings.
type hub struct {
	mu     sync.Mutex
	pinged []string
	status int
}

func (hb *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	hb.mu.Lock()
	defer hb.mu.Unlock()
	if r.Method == "POST" && r.PostForm.Get("hub.mode") == "publish" {
		hb.pinged = append(hb.pinged, r.PostForm.Get("hub.url"))
	}
	w.WriteHeader(hb.status)
}

func (hb *hub) take() []string {
	hb.mu.Lock()
	defer hb.mu.Unlock()
	p := hb.pinged
	hb.pinged = nil
	return p
}

func TestHubPing(t *testing.T) {
	hb := &hub{status: http.StatusNoContent}
	srv := httptest.NewServer(hb)
	defer srv.Close()
	f := newFixture(t)
	pub := f.publisher(publish.Options{Hub: srv.URL + "/hub"})
	ctx := context.Background()
	if body := do(pub.Handler(), "GET", "/topics/harbour.atom").Body.String(); !strings.Contains(body, `href="`+srv.URL+`/hub" rel="hub"`) {
		t.Errorf("atom feed lacks the hub link:\n%s", body)
	}
	steps := []struct {
		name   string
		change func()
		want   []string
	}{
		{"start-up only records", func() {}, nil},
		{"nothing changed", func() {}, nil},
		{"a heatwave story changes only all", func() {
			f.ingest(t, "dawn", story("d3", "Valley Reservoir Low", "The valley reservoir fell to a third of its capacity.", time.Hour))
		}, []string{base + "/topics/all.rss", base + "/topics/all.atom", base + "/topics/all.json"}},
		{"a harbour story changes both", func() {
			f.ingest(t, "dawn", story("d4", "Harbour Fees Rise", "Harbour fees rise in June for the first time since 2019.", 2*time.Hour))
		}, []string{base + "/topics/harbour.rss", base + "/topics/harbour.atom", base + "/topics/harbour.json",
			base + "/topics/all.rss", base + "/topics/all.atom", base + "/topics/all.json"}},
	}
	for _, st := range steps {
		st.change()
		if err := pub.Changed(ctx); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := hb.take(); strings.Join(got, " ") != strings.Join(st.want, " ") {
			t.Errorf("%s: pinged %q, want %q", st.name, got, st.want)
		}
	}
	hb.status = http.StatusInternalServerError
	f.ingest(t, "dawn", story("d5", "Harbour Crane Fails", "A harbour crane failed during the night shift.", 3*time.Hour))
	if err := pub.Changed(ctx); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("hub answering 500: err = %v, want it named", err)
	}
}

func TestRoutes(t *testing.T) {
	search := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "search "+r.URL.Path) })
	pub := newFixture(t).publisher(publish.Options{})
	pub.Search = search
	h := pub.Handler()
	plain := newFixture(t).publisher(publish.Options{}).Handler()
	tests := []struct {
		name, path string
		h          http.Handler
		status     int
		body       string
	}{
		{"healthz", "/healthz", h, 200, "ok"},
		{"unknown topic", "/topics/nope.rss", h, 404, "unknown topic"},
		{"unknown format", "/topics/harbour.xml", h, 404, "unknown format"},
		{"unknown path", "/nope", h, 404, ""},
		{"search hook", "/search.atom?q=harbour", h, 200, "search /search.atom"},
		{"search unset", "/search.rss?q=harbour", plain, 404, ""},
		{"no metrics unless set", "/metrics", h, 404, ""},
		{"no sources page unless set", "/sources", h, 404, ""},
		{"api off without token", "/api/topics", h, 404, `"error"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(tc.h, "GET", tc.path)
			if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.body) {
				t.Errorf("GET %s = %d %q, want %d with %q", tc.path, w.Code, w.Body, tc.status, tc.body)
			}
		})
	}
	if w := do(h, "POST", "/topics/harbour.rss"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST feed = %d, want 405", w.Code)
	}
}

func TestMetricsAndAccessLog(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := publish.NewMetrics(reg)
	var logs bytes.Buffer
	h := newFixture(t).publisher(publish.Options{Metrics: m, Log: slog.New(slog.NewJSONHandler(&logs, nil))}).Handler()
	do(h, "GET", "/topics/harbour.rss")
	do(h, "GET", "/topics/harbour.rss")
	do(h, "GET", "/nope")
	m.Fetched("304", 40*time.Millisecond)
	m.Fetched("error", 2*time.Second)
	m.Ingested(feed.IngestCounts{New: 3, Edit: 1, Merged: 2, Expired: 4, Empty: 5, Rejected: 6})
	body := do(h, "GET", "/metrics").Body.String()
	for _, want := range []string{
		`topicfeed_http_requests_total{code="200",route="GET /topics/{file}"} 2`,
		`topicfeed_http_requests_total{code="404",route="unmatched"} 1`,
		`topicfeed_fetches_total{status="304"} 1`,
		`topicfeed_fetches_total{status="error"} 1`,
		`topicfeed_items_ingested_total{kind="new"} 3`,
		`topicfeed_items_ingested_total{kind="edit"} 1`,
		`topicfeed_items_ingested_total{kind="merged"} 2`,
		`topicfeed_items_ingested_total{kind="expired"} 4`,
		`topicfeed_items_ingested_total{kind="empty"} 5`,
		`topicfeed_items_ingested_total{kind="rejected"} 6`,
		`topicfeed_duplicates_merged_total 2`,
		`topicfeed_refresh_duration_seconds_count 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	line, _, _ := strings.Cut(logs.String(), "\n")
	for _, want := range []string{`"msg":"http"`, `"method":"GET"`, `"path":"/topics/harbour.rss"`, `"status":200`, `"bytes":`, `"duration":`} {
		if !strings.Contains(line, want) {
			t.Errorf("access log %s lacks %s", line, want)
		}
	}
}

// TestHubPingForm checks the ping is the form hubs expect.
func TestHubPingForm(t *testing.T) {
	var got url.Values
	var ctype string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctype = r.Header.Get("Content-Type")
		r.ParseForm()
		got = r.PostForm
	}))
	defer srv.Close()
	f := newFixture(t)
	pub := f.publisher(publish.Options{Hub: srv.URL})
	pub.Changed(context.Background())
	f.ingest(t, "dawn", story("d9", "Harbour Tug Sinks", "A harbour tug sank at its moorings; no one was hurt.", time.Hour))
	if err := pub.Changed(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ctype != "application/x-www-form-urlencoded" || got.Get("hub.mode") != "publish" || !strings.HasPrefix(got.Get("hub.url"), base+"/topics/") {
		t.Errorf("ping: %s %v", ctype, got)
	}
}
