package refresh

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// editSite is a loopback site whose feed entries and article pages a test
// changes between refreshes. Pages answer If-None-Match with a 304 while
// their ETag is the same; the feed does too when feedETag is set. It
// records every request's path and If-None-Match.
type editSite struct {
	srv      *httptest.Server
	mu       sync.Mutex
	feedETag bool
	entries  []editEntry
	pages    map[string]editPage // by path
	hits     map[string]int
	inm      map[string][]string // the If-None-Match of each request, by path
}

type editEntry struct{ guid, title, teaser, path string }

type editPage struct{ etag, body string }

func newEditSite(t *testing.T) *editSite {
	t.Helper()
	s := &editSite{pages: map[string]editPage{}, hits: map[string]int{}, inm: map[string][]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *editSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits[r.URL.Path]++
	s.inm[r.URL.Path] = append(s.inm[r.URL.Path], r.Header.Get("If-None-Match"))
	switch r.URL.Path {
	case "/robots.txt":
		fmt.Fprint(w, "User-agent: *\nDisallow:\n")
	case "/feed":
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0"><channel><title>Daily</title><link>%s/</link>`, s.srv.URL)
		for _, e := range s.entries {
			fmt.Fprintf(&b, `<item><title>%s</title><link>%s%s</link><guid>%s</guid><description>%s</description></item>`,
				e.title, s.srv.URL, e.path, e.guid, e.teaser)
		}
		b.WriteString(`</channel></rss>`)
		if s.feedETag {
			etag := fmt.Sprintf(`"feed-%d"`, len(b.String()))
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, b.String())
	default:
		p, ok := s.pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", p.etag)
		if r.Header.Get("If-None-Match") == p.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, p.body)
	}
}

// set replaces the feed's entries and pages (nil keeps the pages).
func (s *editSite) set(entries []editEntry, pages map[string]editPage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = entries
	for path, p := range pages {
		s.pages[path] = p
	}
}

// requests returns the requests since the last call, path by path, and
// the If-None-Match headers they carried; then forgets them.
func (s *editSite) requests() (map[string]int, map[string][]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hits, inm := s.hits, s.inm
	s.hits, s.inm = map[string]int{}, map[string][]string{}
	return hits, inm
}

func articlePage(marker string) string {
	return `<!doctype html><html><head><title>Tram line | Daily</title></head><body>
		<nav><a href="/">Home</a> <a href="/news">News</a></nav>
		<article><h1>Tram line approved</h1><p>` + story(marker) + `</p>
		<p>Construction starts in the spring and is to finish within three years, the council said.</p></article>
		<footer>Copyright Daily 2026.</footer></body></html>`
}

// wantRequests fails unless the requests since the last check were want.
func wantRequests(t *testing.T, site *editSite, when string, want map[string]int) map[string][]string {
	t.Helper()
	hits, inm := site.requests()
	if fmt.Sprint(hits) != fmt.Sprint(want) {
		t.Errorf("%s: requests %v, want %v", when, hits, want)
	}
	return inm
}

// TestFullContentEdit: an edited entry has its page fetched again with a
// conditional request; a 304 puts the kept article back, a 200 brings
// the new article. Unchanged entries fetch nothing.
func TestFullContentEdit(t *testing.T) {
	site := newEditSite(t)
	one := editEntry{"g1", "Tram line approved", "Short teaser about the tram.", "/a/one"}
	two := editEntry{"g2", "Bridge reopens", "Short teaser about the bridge.", "/a/two"}
	site.set([]editEntry{one, two}, map[string]editPage{
		"/a/one": {`"one-v1"`, articlePage("First version marker.")},
		"/a/two": {`"two-v1"`, articlePage("Bridge article marker.")},
	})
	h := newHarness(t, feed.Source{Name: "daily", URL: site.srv.URL + "/feed", FullContent: true})
	h.allowPrivate() // the pages are on loopback
	check := func(when, title, marker, summary string) {
		t.Helper()
		it := h.itemsByTitle(t)[title]
		if it == nil || !strings.Contains(it.Text, marker) || !strings.Contains(it.Summary, summary) {
			t.Errorf("%s: %s has text %q, summary %q; want the article with %q and the summary %q",
				when, title, short(it), summaryOf(it), marker, summary)
		}
	}

	if res := h.pass(t, true)["daily"]; res.Err != nil || res.New != 2 {
		t.Fatalf("first refresh: %+v", res)
	}
	wantRequests(t, site, "first refresh", map[string]int{"/feed": 1, "/robots.txt": 1, "/a/one": 1, "/a/two": 1})
	check("first refresh", "Tram line approved", "First version marker.", "Short teaser about the tram.")

	if res := h.pass(t, true)["daily"]; res.Err != nil || res.Unchanged != 2 {
		t.Fatalf("unchanged refresh: %+v", res)
	}
	wantRequests(t, site, "unchanged refresh", map[string]int{"/feed": 1})

	// The entry is edited, the page is not: a conditional request, a 304,
	// and the article is back, with the edited teaser as its summary.
	one.teaser = "Short teaser about the tram, corrected."
	site.set([]editEntry{one, two}, nil)
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.Updated != 1 || res.Unchanged != 1 {
		t.Fatalf("edit refresh: %+v", res)
	}
	inm := wantRequests(t, site, "edit refresh", map[string]int{"/feed": 1, "/a/one": 1})
	if got := inm["/a/one"]; len(got) != 1 || got[0] != `"one-v1"` {
		t.Errorf("edit refresh: If-None-Match %q, want the page's ETag", got)
	}
	check("edit with a 304", "Tram line approved", "First version marker.", "corrected")
	check("edit with a 304", "Bridge reopens", "Bridge article marker.", "Short teaser about the bridge.")
	found, err := h.db.Search(t.Context(), mustRule(t, `"First version marker"`), 10)
	if err != nil || len(found) != 1 {
		t.Errorf("search for the restored article: %d hits, %v", len(found), err)
	}

	if res := h.pass(t, true)["daily"]; res.Err != nil || res.Unchanged != 2 {
		t.Fatalf("refresh after the edit: %+v", res)
	}
	wantRequests(t, site, "refresh after the edit", map[string]int{"/feed": 1})

	// Edited again, and so is the page: the 200 brings the new article,
	// whose ETag the next edit's request carries.
	one.title, one.teaser = "Tram line approved, route changed", "Short teaser about the new route."
	site.set([]editEntry{one, two}, map[string]editPage{"/a/one": {`"one-v2"`, articlePage("Second version marker.")}})
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.Updated != 1 {
		t.Fatalf("second edit: %+v", res)
	}
	inm = wantRequests(t, site, "second edit", map[string]int{"/feed": 1, "/a/one": 1})
	if got := inm["/a/one"]; len(got) != 1 || got[0] != `"one-v1"` {
		t.Errorf("second edit: If-None-Match %q, want the old ETag", got)
	}
	check("edit with a 200", "Tram line approved, route changed", "Second version marker.", "new route")
	if it := h.itemsByTitle(t)["Tram line approved, route changed"]; it != nil && strings.Contains(it.Text, "First version marker.") {
		t.Errorf("edit with a 200: the old article stayed: %q", it.Text)
	}

	one.teaser = "Short teaser about the new route, corrected."
	site.set([]editEntry{one, two}, nil)
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.Updated != 1 {
		t.Fatalf("third edit: %+v", res)
	}
	inm = wantRequests(t, site, "third edit", map[string]int{"/feed": 1, "/a/one": 1})
	if got := inm["/a/one"]; len(got) != 1 || got[0] != `"one-v2"` {
		t.Errorf("third edit: If-None-Match %q, want the new ETag", got)
	}
	check("third edit", "Tram line approved, route changed", "Second version marker.", "new route, corrected")
	if src := h.source(t, "daily"); src.PageFailures != 0 || src.PageError != "" {
		t.Errorf("page state %q/%d, want none", src.PageError, src.PageFailures)
	}
}

// TestFullContentEditOffFetchesNoPage: a summary-only source asks for its
// feed alone, edits or not.
func TestFullContentEditOffFetchesNoPage(t *testing.T) {
	site := newEditSite(t)
	one := editEntry{"g1", "Tram line approved", "Short teaser about the tram.", "/a/one"}
	site.set([]editEntry{one}, map[string]editPage{"/a/one": {`"one-v1"`, articlePage("First version marker.")}})
	h := newHarness(t, feed.Source{Name: "daily", URL: site.srv.URL + "/feed"})
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.New != 1 {
		t.Fatalf("first refresh: %+v", res)
	}
	one.teaser = "Short teaser about the tram, corrected."
	site.set([]editEntry{one}, nil)
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.Updated != 1 {
		t.Fatalf("edit refresh: %+v", res)
	}
	wantRequests(t, site, "summary-only source", map[string]int{"/feed": 2})
	if it := h.itemsByTitle(t)["Tram line approved"]; it == nil || !strings.HasPrefix(it.Text, "Short teaser about the tram, corrected.") {
		t.Errorf("summary-only edit: text %q", short(it))
	}
}

// TestFullContentCatchesUp: items stored without their page pass (the
// process stopped between the feed's commit and the pages) have their
// pages fetched by the next refresh, even one the feed answers with a 304,
// and once only.
func TestFullContentCatchesUp(t *testing.T) {
	site := newEditSite(t)
	site.feedETag = true
	site.set([]editEntry{
		{"g1", "Tram line approved", "Short teaser about the tram.", "/a/one"},
		{"g2", "Bridge reopens", "Short teaser about the bridge.", "/a/two"},
	}, map[string]editPage{
		"/a/one": {`"one-v1"`, articlePage("Tram article marker.")},
		"/a/two": {`"two-v1"`, articlePage("Bridge article marker.")},
	})
	h := newHarness(t, feed.Source{Name: "daily", URL: site.srv.URL + "/feed", FullContent: true})
	h.allowPrivate() // the pages are on loopback
	// The first refresh stores the feed and skips the page pass, as a
	// stop right after the commit would.
	h.r.FullContent = map[string]bool{}
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.New != 2 {
		t.Fatalf("first refresh: %+v", res)
	}
	wantRequests(t, site, "refresh without the page pass", map[string]int{"/feed": 1})
	if it := h.itemsByTitle(t)["Tram line approved"]; it == nil || !strings.HasPrefix(it.Text, "Short teaser") {
		t.Fatalf("without the page pass: text %q", short(it))
	}

	h.r.FullContent = map[string]bool{"daily": true}
	res := h.pass(t, true)["daily"]
	if res.Err != nil || !res.NotModified {
		t.Fatalf("catch-up refresh: %+v, want a 304 for the feed", res)
	}
	inm := wantRequests(t, site, "catch-up refresh", map[string]int{"/feed": 1, "/robots.txt": 1, "/a/one": 1, "/a/two": 1})
	if got := inm["/a/one"]; len(got) != 1 || got[0] != "" {
		t.Errorf("catch-up: If-None-Match %q, want an unconditional request", got)
	}
	items := h.itemsByTitle(t)
	for title, marker := range map[string]string{"Tram line approved": "Tram article marker.", "Bridge reopens": "Bridge article marker."} {
		if it := items[title]; it == nil || !strings.Contains(it.Text, marker) || !strings.HasPrefix(it.Summary, "Short teaser") {
			t.Errorf("after catching up: %s has text %q, summary %q", title, short(it), summaryOf(it))
		}
	}

	// Once caught up, nothing is due: the feed alone, a 304 or a 200.
	if res := h.pass(t, true)["daily"]; res.Err != nil || !res.NotModified {
		t.Fatalf("refresh after catching up: %+v", res)
	}
	site.mu.Lock()
	site.feedETag = false
	site.mu.Unlock()
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.Unchanged != 2 {
		t.Fatalf("refresh after catching up: %+v", res)
	}
	wantRequests(t, site, "refreshes after catching up", map[string]int{"/feed": 2})
}

func summaryOf(it *feed.Item) string {
	if it == nil {
		return "<missing>"
	}
	return it.Summary
}

// TestFullContentCatchUpBounded: a refresh catches up on at most catchUp
// pages; the next takes the rest, and the one after none.
func TestFullContentCatchUpBounded(t *testing.T) {
	site := newEditSite(t)
	var entries []editEntry
	pages := map[string]editPage{}
	for i := range catchUp + 7 {
		path := fmt.Sprintf("/a/%d", i)
		entries = append(entries, editEntry{fmt.Sprintf("g%d", i), fmt.Sprintf("Story %d", i),
			fmt.Sprintf("Short teaser %d.", i), path})
		pages[path] = editPage{fmt.Sprintf(`"p%d"`, i), articlePage(fmt.Sprintf("Marker %d.", i))}
	}
	site.set(entries, pages)
	h := newHarness(t, feed.Source{Name: "daily", URL: site.srv.URL + "/feed", FullContent: true})
	h.allowPrivate()                    // the pages are on loopback
	h.r.FullContent = map[string]bool{} // the page pass is skipped
	if res := h.pass(t, true)["daily"]; res.Err != nil || res.New != len(entries) {
		t.Fatalf("first refresh: %+v", res)
	}
	site.requests()
	h.r.FullContent = map[string]bool{"daily": true}
	pageRequests := func() int {
		hits, _ := site.requests()
		n := 0
		for path, c := range hits {
			if strings.HasPrefix(path, "/a/") {
				n += c
			}
		}
		return n
	}
	for i, want := range []int{catchUp, 7, 0} {
		if res := h.pass(t, true)["daily"]; res.Err != nil || res.Unchanged != len(entries) {
			t.Fatalf("refresh %d: %+v", i, res)
		}
		if n := pageRequests(); n != want {
			t.Errorf("refresh %d: %d pages fetched, want %d", i, n, want)
		}
	}
	items := h.itemsByTitle(t)
	for i := range entries {
		title := fmt.Sprintf("Story %d", i)
		if it := items[title]; it == nil || !strings.Contains(it.Text, fmt.Sprintf("Marker %d.", i)) {
			t.Errorf("%s: text %q, want its article", title, short(it))
		}
	}
}
