package refresh

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
)

// articleSite is a loopback site with a summary-only feed and article
// pages in several shapes; it counts the requests for each path.
type articleSite struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

const storyPara = "The regional council approved the new tram line on Tuesday after a two year review of costs, routes and noise. "

func story(words string) string {
	return strings.Repeat(storyPara, 4) + words
}

func newArticleSite(t *testing.T) *articleSite {
	t.Helper()
	s := &articleSite{hits: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n")
	})
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("ETag", `"page1"`)
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("/a/article-tag", page(`<!doctype html><html><head><title>Tram line approved | Daily</title></head><body>
		<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
		<article><h1>Tram line approved</h1><p>`+story("Article tag marker.")+`</p>
		<p>Construction starts in the spring and is to finish within three years, the council said.</p></article>
		<footer>Copyright Daily 2026. All rights reserved.</footer></body></html>`))
	mux.HandleFunc("/a/div-soup", page(`<html><body><div class="wrap"><div class="c"><div><h1>Bridge reopens</h1></div>
		<div><div>`+story("Div soup marker.")+`</div><div>Engineers replaced two bearings and resurfaced the deck over six weeks.</div></div></div></div></body></html>`))
	mux.HandleFunc("/a/chrome", page(`<html><body><header class="masthead">Daily News | Subscribe | Log in</header>
		<div class="sidebar"><ul><li><a href="/x">Most read: something else</a></li><li><a href="/y">Another story</a></li></ul></div>
		<main><h1>Library extends hours</h1><p>`+story("Chrome marker.")+`</p><p>Share this on Facebook</p>
		<p>The library will open until nine on weekdays from next month, funded by a grant.</p></main>
		<div class="comments">Leave a comment</div><footer>Follow us on Twitter</footer></body></html>`))
	mux.HandleFunc("/a/missing", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux.HandleFunc("/private/secret", page(`<html><body><article><h1>Secret</h1><p>`+story("Private marker.")+`</p></article></body></html>`))
	mux.HandleFunc("/a/report.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		fmt.Fprint(w, "%PDF-1.4 binary")
	})
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Daily</title><link>`+s.srv.URL+`/</link>`)
		for i, p := range []string{"/a/article-tag", "/a/div-soup", "/a/chrome", "/a/missing", "/private/secret", "/a/report.pdf"} {
			fmt.Fprintf(w, `<item><title>Story %d</title><link>%s%s</link><guid>g%d</guid><description>Short teaser %d about the town.</description></item>`,
				i, s.srv.URL, p, i, i)
		}
		fmt.Fprint(w, `</channel></rss>`)
	})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *articleSite) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func TestFullContent(t *testing.T) {
	site := newArticleSite(t)
	h := newHarness(t, feed.Source{Name: "daily", URL: site.srv.URL + "/feed", FullContent: true})
	h.allowPrivate() // the pages are on loopback
	res := h.pass(t, true)["daily"]
	if res.Err != nil || res.New != 6 {
		t.Fatalf("first refresh: %+v", res)
	}
	items := h.itemsByTitle(t)
	for title, marker := range map[string]string{"Story 0": "Article tag marker.", "Story 1": "Div soup marker.", "Story 2": "Chrome marker."} {
		it := items[title]
		if it == nil || !strings.Contains(it.Text, marker) {
			t.Errorf("%s: text %q, want the page's article with %q", title, short(it), marker)
			continue
		}
		if !strings.Contains(it.Summary, "Short teaser") {
			t.Errorf("%s: summary %q, want the feed's teaser", title, it.Summary)
		}
		for _, chrome := range []string{"Home", "Copyright", "Most read", "Follow us", "Leave a comment"} {
			if strings.Contains(it.Text, chrome) {
				t.Errorf("%s: kept chrome %q: %q", title, chrome, it.Text)
			}
		}
	}
	for _, title := range []string{"Story 3", "Story 4", "Story 5"} {
		if it := items[title]; it == nil || !strings.HasPrefix(it.Text, "Short teaser") {
			t.Errorf("%s: text %q, want the summary kept", title, short(it))
		}
	}
	if n := site.count("/private/secret"); n != 0 {
		t.Errorf("robots.txt disallowed page fetched %d times", n)
	}
	src := h.source(t, "daily")
	if src.PageFailures != 3 {
		t.Errorf("PageFailures = %d, want 3 (404, robots, PDF)", src.PageFailures)
	}
	if src.PageError == "" {
		t.Errorf("PageError empty, want the last failure")
	}
	// Search sees the whole story.
	found, err := h.db.Search(t.Context(), mustRule(t, `"Div soup marker"`), 10)
	if err != nil || len(found) != 1 {
		t.Errorf("search for the page's text: %d hits, %v", len(found), err)
	}

	// A second refresh fetches no page again, and the feed's summaries
	// are not taken for edits of the full articles.
	res = h.pass(t, true)["daily"]
	if res.Err != nil || res.Unchanged != 6 {
		t.Fatalf("second refresh: %+v", res)
	}
	for _, p := range []string{"/a/article-tag", "/a/div-soup", "/a/chrome", "/a/missing", "/a/report.pdf", "/robots.txt"} {
		if n := site.count(p); n != 1 {
			t.Errorf("%s fetched %d times, want 1", p, n)
		}
	}
	if it := h.itemsByTitle(t)["Story 0"]; !strings.Contains(it.Text, "Article tag marker.") {
		t.Errorf("after the second refresh: %q", it.Text)
	}
}

func TestFullContentOffFetchesNoPage(t *testing.T) {
	site := newArticleSite(t)
	h := newHarness(t, feed.Source{Name: "daily", URL: site.srv.URL + "/feed"})
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.New != 6 {
		t.Fatalf("refresh: %+v", res)
	}
	site.mu.Lock()
	defer site.mu.Unlock()
	if len(site.hits) != 1 {
		t.Errorf("requests %v, want the feed alone", site.hits)
	}
	if src := h.source(t, "daily"); src.PageFailures != 0 || src.PageError != "" {
		t.Errorf("page state %q/%d on a plain source", src.PageError, src.PageFailures)
	}
}

// allowPrivate is the test's refresh.allow_private: true, for pages and
// hubs on loopback; the harness's Untrusted client refuses them.
func (h *harness) allowPrivate() {
	h.r.Untrusted = fetch.NewClient(fetch.Options{AllowPrivate: true, Timeout: 10 * time.Second})
}

// TestFullContentRefusesPrivateLinks: a trusted feed's item links are the
// feed's word, not the operator's. Without allow_private a page (or its
// robots.txt) on a loopback address is not fetched: the item keeps its
// summary and the refusal is recorded, once.
func TestFullContentRefusesPrivateLinks(t *testing.T) {
	site := newArticleSite(t)
	h := newHarness(t, feed.Source{Name: "daily", URL: site.srv.URL + "/feed", FullContent: true})
	for range 2 {
		if res := h.pass(t, true)["daily"]; res.Err != nil {
			t.Fatalf("refresh: %+v", res)
		}
	}
	site.mu.Lock()
	hits := fmt.Sprint(site.hits)
	site.mu.Unlock()
	if hits != "map[/feed:2]" {
		t.Errorf("requests %s, want the feed's alone", hits)
	}
	for title, it := range h.itemsByTitle(t) {
		if !strings.HasPrefix(it.Text, "Short teaser") {
			t.Errorf("%s: text %q, want the summary kept", title, short(it))
		}
	}
	src := h.source(t, "daily")
	if src.PageFailures != 6 || !strings.Contains(src.PageError, "private") {
		t.Errorf("page state %q/%d, want 6 refused as private", src.PageError, src.PageFailures)
	}
}

// TestFullContentRetriesTransient: a page that fails for a while (a 503)
// is asked again by the next refresh and then brings its article; one
// that is not there (a 404) is not asked again.
func TestFullContentRetriesTransient(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		n := hits[r.URL.Path]
		mu.Unlock()
		switch {
		case r.URL.Path == "/feed":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Daily</title><link>%[1]s/</link>
				<item><title>Flaky</title><link>%[1]s/a/flaky</link><guid>g1</guid><description>Short teaser about the tram.</description></item>
				<item><title>Gone</title><link>%[1]s/a/gone</link><guid>g2</guid><description>Short teaser about the bridge.</description></item>
				</channel></rss>`, srv.URL)
		case r.URL.Path == "/a/flaky" && n == 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case r.URL.Path == "/a/flaky":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, articlePage("Flaky page marker."))
		default: // robots.txt too: none there allows everything
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, feed.Source{Name: "daily", URL: srv.URL + "/feed", FullContent: true})
	h.allowPrivate() // the pages are on loopback

	if res := h.pass(t, true)["daily"]; res.Err != nil || res.New != 2 {
		t.Fatalf("first refresh: %+v", res)
	}
	if it := h.itemsByTitle(t)["Flaky"]; it == nil || !strings.HasPrefix(it.Text, "Short teaser") {
		t.Fatalf("after the 503: %q, want the summary", short(it))
	}
	if src := h.source(t, "daily"); !strings.Contains(src.PageError, "503") && !strings.Contains(src.PageError, "404") {
		t.Errorf("page error %q, want the failure recorded", src.PageError)
	}
	for range 2 {
		h.now = h.now.Add(time.Hour)
		if res := h.pass(t, true)["daily"]; res.Err != nil || res.Unchanged != 2 {
			t.Fatalf("later refresh: %+v", res)
		}
	}
	if it := h.itemsByTitle(t)["Flaky"]; it == nil || !strings.Contains(it.Text, "Flaky page marker.") {
		t.Errorf("after the retry: %q, want the page's article", short(it))
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["/a/flaky"] != 2 || hits["/a/gone"] != 1 {
		t.Errorf("requests %v, want /a/flaky twice (503, then 200) and /a/gone once", hits)
	}
}

func (h *harness) itemsByTitle(t *testing.T) map[string]*feed.Item {
	t.Helper()
	its, err := h.db.TopicItems(t.Context(), feed.AllTopic, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*feed.Item{}
	for _, it := range its {
		out[it.Title] = it
	}
	return out
}

func short(it *feed.Item) string {
	if it == nil {
		return "<missing>"
	}
	return it.Text[:min(len(it.Text), 80)]
}

func mustRule(t *testing.T, s string) *feed.Rule {
	t.Helper()
	r, err := feed.ParseRule(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
