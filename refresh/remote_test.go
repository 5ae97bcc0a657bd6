package refresh

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// harness is a Refresher on a real temp SQLite store with a settable clock.
type harness struct {
	db   *store.DB
	r    *Refresher
	path string
	now  time.Time
}

const testInterval = 30 * time.Minute

func newHarness(t *testing.T, sources ...feed.Source) *harness {
	t.Helper()
	return newHarnessAt(t, filepath.Join(t.TempDir(), "x.db"), sources...)
}

// newHarnessAt is newHarness on the database at path (a PostgreSQL URL too).
func newHarnessAt(t *testing.T, path string, sources ...feed.Source) *harness {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	topics := []*feed.Topic{{Name: feed.AllTopic}}
	if err := db.SyncTopics(ctx, topics); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncSources(ctx, sources); err != nil {
		t.Fatal(err)
	}
	h := &harness{db: db, path: path, now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
	h.r = &Refresher{
		Ingester:    &Ingester{DB: db, Topics: topics, NearDistance: 12, Sources: sources},
		Client:      fetch.NewClient(fetch.Options{AllowPrivate: true, Timeout: 10 * time.Second}),
		Untrusted:   fetch.NewClient(fetch.Options{Timeout: 10 * time.Second}),
		Concurrency: 4,
		Now:         func() time.Time { return h.now },
		Default:     testInterval,
	}
	return h
}

// pass refreshes what is due (everything with force) and returns the
// results by source name.
func (h *harness) pass(t *testing.T, force bool) map[string]Result {
	t.Helper()
	due, err := h.r.Due(t.Context(), force, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Result{}
	for _, res := range h.r.Pass(t.Context(), due) {
		out[res.Source] = res
	}
	return out
}

func (h *harness) source(t *testing.T, name string) store.SourceInfo {
	t.Helper()
	all, err := h.db.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("source %s not stored", name)
	return store.SourceInfo{}
}

func (h *harness) items(t *testing.T) int {
	t.Helper()
	n, err := h.db.CountItems(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// dueNames lists the sources Due(false) returns at the harness's clock.
func (h *harness) dueNames(t *testing.T) []string {
	t.Helper()
	due, err := h.r.Due(t.Context(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range due {
		names = append(names, s.Name)
	}
	return names
}

func TestRefreshConditionalGET(t *testing.T) {
	up := newUpstream(t)
	up.handle("/feed.xml", feedHandler(`"v1"`, rssBody("a", "b", "c")))
	h := newHarness(t, feed.Source{Name: "wire", URL: up.URL + "/feed.xml"})

	res := h.pass(t, false)["wire"]
	if res.Err != nil || res.Status != 200 || res.New != 3 {
		t.Fatalf("first refresh: %+v, want 200 and 3 new", res)
	}
	s := h.source(t, "wire")
	if s.ETag != `"v1"` || s.LastModified != "Mon, 02 Mar 2026 10:00:00 GMT" {
		t.Errorf("stored validators %q %q, want the response's", s.ETag, s.LastModified)
	}
	first := up.hits("/feed.xml")[0]
	if first.IfNoneMatch != "" || first.IfModifiedSince != "" {
		t.Errorf("first request was conditional: %+v", first)
	}
	if !strings.Contains(first.UserAgent, "topicfeed/") || !strings.Contains(first.UserAgent, "+https://github.com/topicfeed/topicfeed") {
		t.Errorf("User-Agent %q does not name topicfeed and its URL", first.UserAgent)
	}
	if !strings.Contains(first.AcceptEncoding, "gzip") {
		t.Errorf("Accept-Encoding %q, want gzip", first.AcceptEncoding)
	}

	res = h.pass(t, true)["wire"]
	if res.Err != nil || !res.NotModified || res.Status != 304 || res.IngestResult != (store.IngestResult{}) {
		t.Fatalf("second refresh: %+v, want a 304 that ingests nothing", res)
	}
	hits := up.hits("/feed.xml")
	if len(hits) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(hits))
	}
	if hits[1].IfNoneMatch != `"v1"` || hits[1].IfModifiedSince != "Mon, 02 Mar 2026 10:00:00 GMT" {
		t.Errorf("second request %+v, want If-None-Match and If-Modified-Since from the first answer", hits[1])
	}
	s = h.source(t, "wire")
	if n := h.items(t); n != 3 || s.Items != 3 || s.Status != 304 || s.ETag != `"v1"` || s.Error != "" {
		t.Errorf("after 304: %d items, source %+v; want 3 items, last_status 304, validators kept", n, s)
	}
}

func TestRefreshRedirectUpdatesURL(t *testing.T) {
	for _, tc := range []struct {
		code   int
		stored bool // whether the new URL replaces the old
	}{
		{http.StatusMovedPermanently, true},
		{http.StatusPermanentRedirect, true},
		{http.StatusFound, false},
		{http.StatusTemporaryRedirect, false},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			up := newUpstream(t)
			up.handle("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", tc.code) })
			up.handle("/new", feedHandler(`"n1"`, rssBody("x")))
			h := newHarness(t, feed.Source{Name: "moved", URL: up.URL + "/old"})
			if res := h.pass(t, false)["moved"]; res.Err != nil || res.New != 1 {
				t.Fatalf("first refresh: %+v", res)
			}
			want := up.URL + "/old"
			if tc.stored {
				want = up.URL + "/new"
			}
			if got := h.source(t, "moved").URL; got != want {
				t.Errorf("stored URL %s, want %s", got, want)
			}
			h.pass(t, true)
			oldHits, newHits := len(up.hits("/old")), len(up.hits("/new"))
			if tc.stored && (oldHits != 1 || newHits != 2) {
				t.Errorf("after a %d: old URL asked %d times, new %d; want 1 and 2 (next refresh direct)", tc.code, oldHits, newHits)
			}
			if !tc.stored && (oldHits != 2 || newHits != 2) {
				t.Errorf("after a %d: old URL asked %d times, new %d; want 2 and 2", tc.code, oldHits, newHits)
			}
		})
	}
}

func TestRefreshGoneDisables(t *testing.T) {
	up := newUpstream(t)
	up.handle("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	up.handle("/live", feedHandler(`"l"`, rssBody("l1")))
	h := newHarness(t, feed.Source{Name: "dead", URL: up.URL + "/gone"}, feed.Source{Name: "live", URL: up.URL + "/live"})
	if res := h.pass(t, false)["dead"]; !fetch.IsKind(res.Err, fetch.KindGone) || res.Status != 410 {
		t.Fatalf("410: %+v, want a gone error", res)
	}
	if s := h.source(t, "dead"); !s.Disabled || s.Status != 410 {
		t.Errorf("after 410: %+v, want disabled", s)
	}
	h.now = h.now.Add(7 * 24 * time.Hour)
	if got := h.dueNames(t); len(got) != 1 || got[0] != "live" {
		t.Errorf("due a week later: %v, want only live", got)
	}
	h.pass(t, true)
	if n := len(up.hits("/gone")); n != 1 {
		t.Errorf("disabled source asked %d times, want 1", n)
	}
}

func TestRefreshRetryAfter(t *testing.T) {
	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			up := newUpstream(t)
			up.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "7200")
				w.WriteHeader(code)
			})
			h := newHarness(t, feed.Source{Name: "busy", URL: up.URL + "/feed"})
			start := h.now
			if res := h.pass(t, false)["busy"]; !fetch.IsKind(res.Err, fetch.KindRateLimited) {
				t.Fatalf("%d: %v, want rate limited", code, res.Err)
			}
			s := h.source(t, "busy")
			if want := start.Add(2 * time.Hour); s.NextFetch.Before(want) || s.Failures != 1 {
				t.Errorf("next fetch %v (failures %d), want at or after %v (Retry-After 7200)", s.NextFetch, s.Failures, want)
			}
			h.now = start.Add(2*time.Hour - time.Minute)
			if due := h.dueNames(t); len(due) != 0 {
				t.Errorf("due before Retry-After ran out: %v", due)
			}
			h.now = s.NextFetch
			if due := h.dueNames(t); len(due) != 1 {
				t.Errorf("not due once Retry-After ran out")
			}
			if n := len(up.hits("/feed")); n != 1 {
				t.Errorf("server asked %d times, want 1", n)
			}
		})
	}
}

func TestRefreshServerErrorBacksOff(t *testing.T) {
	up := newUpstream(t)
	up.handle("/feed", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	h := newHarness(t, feed.Source{Name: "flaky", URL: up.URL + "/feed"})
	var waits []time.Duration
	for i := 1; i <= 4; i++ {
		start := h.now
		res := h.pass(t, false)["flaky"]
		if !fetch.IsKind(res.Err, fetch.KindTransient) {
			t.Fatalf("pass %d: %v, want a transient error", i, res.Err)
		}
		s := h.source(t, "flaky")
		if s.Failures != i || !strings.Contains(s.Error, "500 Internal Server Error") {
			t.Errorf("pass %d: failures %d, error %q; want %d and the status", i, s.Failures, s.Error, i)
		}
		wait := s.NextFetch.Sub(start)
		// Equal jitter: failure n waits between half and all of interval·2^(n-1).
		hi := testInterval << (i - 1)
		if wait < hi/2 || wait > hi {
			t.Errorf("pass %d: waits %v, want between %v and %v", i, wait, hi/2, hi)
		}
		waits = append(waits, wait)
		h.now = s.NextFetch
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] < waits[i-1] {
			t.Errorf("backoff shrank: %v", waits)
		}
	}
	if n := len(up.hits("/feed")); n != 4 {
		t.Errorf("server asked %d times, want 4 (one per due time)", n)
	}
	up.handle("/feed", feedHandler(`"ok"`, rssBody("r1")))
	h.pass(t, false)
	if s := h.source(t, "flaky"); s.Failures != 0 || s.Error != "" || s.Status != 200 {
		t.Errorf("after recovery: %+v, want failures and error cleared", s)
	}
}

// TestRefreshStoreFailureKeepsValidators is yarr's lost-items bug: if the
// items of a response are not stored, neither are its validators, so the
// next request is not answered 304 and the items come again.
func TestRefreshStoreFailureKeepsValidators(t *testing.T) {
	up := newUpstream(t)
	up.handle("/feed", feedHandler(`"v1"`, rssBody("a", "b")))
	h := newHarness(t, feed.Source{Name: "wire", URL: up.URL + "/feed"})
	if res := h.pass(t, false)["wire"]; res.Err != nil || res.New != 2 {
		t.Fatalf("first refresh: %+v", res)
	}
	up.handle("/feed", feedHandler(`"v2"`, rssBody("a", "b", "c", "d")))
	breakInserts(t, h.path, true)
	if res := h.pass(t, true)["wire"]; res.Err == nil || !strings.Contains(res.Err.Error(), "disk on fire") {
		t.Fatalf("refresh with a failing store: %+v, want the store's error", res)
	}
	s := h.source(t, "wire")
	if s.ETag != `"v1"` || s.Failures != 1 || !strings.Contains(s.Error, "disk on fire") {
		t.Errorf("after failed store: etag %q failures %d error %q; want v1 kept and the error recorded", s.ETag, s.Failures, s.Error)
	}
	breakInserts(t, h.path, false)
	res := h.pass(t, true)["wire"]
	hits := up.hits("/feed")
	if got := hits[len(hits)-1].IfNoneMatch; got != `"v1"` {
		t.Errorf("request after the failure sent If-None-Match %q, want \"v1\" (not the unsaved v2)", got)
	}
	if res.Err != nil || res.New != 2 || h.items(t) != 4 {
		t.Errorf("retry: %+v with %d items stored, want the 2 lost items stored now", res, h.items(t))
	}
	if s := h.source(t, "wire"); s.ETag != `"v2"` {
		t.Errorf("etag %q after retry, want \"v2\"", s.ETag)
	}
}

// breakInserts makes every new item fail to store, as a full disk would,
// through a second connection to the same file.
func breakInserts(t *testing.T, path string, broken bool) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := `DROP TRIGGER fail_insert`
	if broken {
		q = `CREATE TRIGGER fail_insert BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`
	}
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

func TestRefreshAutodiscovery(t *testing.T) {
	up := newUpstream(t)
	up.handle("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>News</title>
			<link rel="alternate" type="application/rss+xml" title="All news" href="/feeds/main.xml">
			</head><body>Hello</body></html>`)
	})
	up.handle("/feeds/main.xml", feedHandler(`"m"`, rssBody("p", "q")))
	h := newHarness(t, feed.Source{Name: "site", URL: up.URL + "/"})
	if res := h.pass(t, false)["site"]; res.Err != nil || res.New != 2 || res.MovedTo != up.URL+"/feeds/main.xml" {
		t.Fatalf("page refresh: %+v, want the linked feed's 2 items", res)
	}
	if got, want := h.source(t, "site").URL, up.URL+"/feeds/main.xml"; got != want {
		t.Errorf("stored URL %s, want the discovered %s", got, want)
	}
	res := h.pass(t, true)["site"]
	if len(up.hits("/")) != 1 || len(up.hits("/feeds/main.xml")) != 2 || !res.NotModified {
		t.Errorf("second refresh went to the page again (page %d, feed %d hits; %+v)",
			len(up.hits("/")), len(up.hits("/feeds/main.xml")), res)
	}
}

func TestRefreshGarbageDoesNotStopOthers(t *testing.T) {
	up := newUpstream(t)
	up.handle("/one", feedHandler(`"1"`, rssBody("o1", "o2")))
	up.handle("/junk", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, "<rss><channel><item><title>never\x00closed\n\n<<<")
	})
	up.handle("/two", feedHandler(`"2"`, rssBody("t1")))
	h := newHarness(t, feed.Source{Name: "one", URL: up.URL + "/one"},
		feed.Source{Name: "junk", URL: up.URL + "/junk"}, feed.Source{Name: "two", URL: up.URL + "/two"})
	got := h.pass(t, false)
	if got["one"].Err != nil || got["one"].New != 2 || got["two"].Err != nil || got["two"].New != 1 {
		t.Errorf("good sources in the same pass: one %+v, two %+v", got["one"], got["two"])
	}
	err := got["junk"].Err
	if err == nil {
		t.Fatal("garbage feed: no error")
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, up.URL+"/junk") {
		t.Errorf("error %q: want one line naming the URL", msg)
	}
	if s := h.source(t, "junk"); s.Error == "" || s.Failures != 1 || s.ETag != "" {
		t.Errorf("junk source state %+v, want the error recorded", s)
	}
}

func TestRefreshUntrustedRefusesPrivate(t *testing.T) {
	up := newUpstream(t)
	up.handle("/config", feedHandler(`"c"`, rssBody("c1")))
	up.handle("/api", feedHandler(`"a"`, rssBody("a1")))
	h := newHarness(t, feed.Source{Name: "cfg", URL: up.URL + "/config"})
	if err := h.db.AddSource(t.Context(), feed.Source{Name: "api", URL: up.URL + "/api"}, store.OriginAPI); err != nil {
		t.Fatal(err)
	}
	got := h.pass(t, false)
	if got["cfg"].Err != nil || got["cfg"].New != 1 {
		t.Errorf("config source: %+v, want fetched", got["cfg"])
	}
	if err := got["api"].Err; err == nil || !strings.Contains(err.Error(), "private") {
		t.Errorf("API source on 127.0.0.1: %v, want refused as private", err)
	}
	if n := len(up.hits("/api")); n != 0 {
		t.Errorf("API source's private URL was requested %d times", n)
	}
	h.r.Untrusted = nil // no untrusted client: fail closed, never the trusted one
	if err := h.pass(t, true)["api"].Err; err == nil || len(up.hits("/api")) != 0 {
		t.Errorf("without an untrusted client: %v, %d requests; want refused", err, len(up.hits("/api")))
	}
}

func TestRefreshCancelledRecordsNothing(t *testing.T) {
	up := newUpstream(t)
	ctx, cancel := context.WithCancel(t.Context())
	up.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
		cancel() // shutdown arrives mid-fetch
		<-r.Context().Done()
	})
	h := newHarness(t, feed.Source{Name: "slow", URL: up.URL + "/feed"})
	due, err := h.r.Due(ctx, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := h.r.Pass(ctx, due); len(res) != 1 || res[0].Err == nil {
		t.Fatalf("cancelled pass: %+v, want an error", res)
	}
	if s := h.source(t, "slow"); s.Failures != 0 || s.Error != "" || !s.NextFetch.IsZero() {
		t.Errorf("after shutdown mid-fetch: %+v, want nothing recorded (still due)", s)
	}
}

// TestRefreshSharedWriteIsolatesAFailure fetches eight feeds that answer
// at the same moment, so their writes queue and are stored together; one
// feed's item cannot be stored. That feed alone fails and keeps no
// validators; the other seven are stored with theirs.
func TestRefreshSharedWriteIsolatesAFailure(t *testing.T) {
	const n = 8
	up := newUpstream(t)
	var arrived sync.WaitGroup
	arrived.Add(n)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	var sources []feed.Source
	for i := range n {
		guids := []string{fmt.Sprintf("s%d-a", i), fmt.Sprintf("s%d-b", i)}
		if i == 3 {
			guids[1] = "poison"
		}
		serve := feedHandler(fmt.Sprintf(`"e%d"`, i), rssBody(guids...))
		var once sync.Once
		up.handle(fmt.Sprintf("/feed%d", i), func(w http.ResponseWriter, r *http.Request) {
			once.Do(arrived.Done)
			select { // answer together, so the writes queue up
			case <-all:
			case <-time.After(5 * time.Second):
			}
			serve(w, r)
		})
		sources = append(sources, feed.Source{Name: fmt.Sprintf("s%d", i), URL: fmt.Sprintf("%s/feed%d", up.URL, i)})
	}
	h := newHarness(t, sources...)
	h.r.Concurrency = n
	h.r.Client = fetch.NewClient(fetch.Options{AllowPrivate: true, Timeout: 10 * time.Second, PerHost: n})
	db, err := sql.Open("sqlite", "file:"+h.path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER fail_poison BEFORE INSERT ON items WHEN new.title = 'Story poison'
		BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`); err != nil {
		t.Fatal(err)
	}
	results := h.pass(t, false)
	for i := range n {
		name := fmt.Sprintf("s%d", i)
		res, s := results[name], h.source(t, name)
		if i == 3 {
			if res.Err == nil || !strings.Contains(res.Err.Error(), "disk on fire") || s.ETag != "" {
				t.Errorf("%s: %+v, etag %q; want the store's error and no validators", name, res, s.ETag)
			}
			continue
		}
		if res.Err != nil || res.New != 2 || s.ETag != fmt.Sprintf(`"e%d"`, i) {
			t.Errorf("%s: %+v, etag %q; want 2 new items and its ETag", name, res, s.ETag)
		}
	}
	if got := h.items(t); got != 2*(n-1) {
		t.Errorf("%d items stored, want %d", got, 2*(n-1))
	}
}
