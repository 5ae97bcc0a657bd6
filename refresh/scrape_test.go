package refresh

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// TestRefreshScrape: a scrape source's listing page goes through the same
// fetch and ingest as a feed: its items are stored, the same page again
// stores nothing new, a page with one more story stores that one, and a
// page the item selector no longer matches is a one-line source error.
func TestRefreshScrape(t *testing.T) {
	page, err := os.ReadFile("../testdata/scrape/listing.html")
	if err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t)
	serve := func(body string) {
		up.handle("/news/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(body))
		})
	}
	serve(string(page))
	src := feed.Source{Name: "council", URL: up.URL + "/news/", Kind: feed.KindScrape,
		Scrape: &feed.Scrape{Item: "li.story", Title: "h3", Link: "h3 a", Date: "time, .date", Summary: ".teaser"}}
	h := newHarness(t, src)
	// The store knows the source by name and URL only; the selectors come
	// from the config, as the daemon's Ingester has them.
	h.r.Ingester.Sources = []feed.Source{src}

	res := h.pass(t, true)["council"]
	if res.Err != nil || res.New != 3 || res.Empty != 1 {
		t.Fatalf("first fetch: %+v (err %v), want 3 new and 1 skipped", res.IngestResult, res.Err)
	}
	if n := h.items(t); n != 3 {
		t.Errorf("%d items stored, want 3", n)
	}
	res = h.pass(t, true)["council"]
	if res.Err != nil || res.New != 0 || res.Unchanged != 3 {
		t.Errorf("same page again: %+v (err %v), want 0 new, 3 unchanged", res.IngestResult, res.Err)
	}

	more := strings.Replace(string(page), `<ul class="news">`, `<ul class="news">
  <li class="story"><h3><a href="/news/2026/tram-consultation">Tram consultation opens</a></h3>
  <time datetime="2026-03-03T08:00:00Z">3 March</time><p class="teaser">Residents can comment on the route until April.</p></li>`, 1)
	serve(more)
	res = h.pass(t, true)["council"]
	if res.Err != nil || res.New != 1 || res.Unchanged != 3 {
		t.Errorf("page with a new story: %+v (err %v), want 1 new, 3 unchanged", res.IngestResult, res.Err)
	}
	if n := h.items(t); n != 4 {
		t.Errorf("%d items stored, want 4", n)
	}
	if s := h.source(t, "council"); s.PollInterval == 0 || s.PollReason == "" {
		t.Errorf("poll %v %q, want an interval and its reason", s.PollInterval, s.PollReason)
	}

	serve(`<html><body><p>We moved our news to a new site.</p></body></html>`)
	res = h.pass(t, true)["council"]
	want := `scrape: selector "li.story" matched no items on ` + up.URL + "/news/"
	if res.Err == nil || res.Err.Error() != want {
		t.Errorf("redesigned page: error %v, want %q", res.Err, want)
	}
	if s := h.source(t, "council"); s.Error != want || s.Failures != 1 {
		t.Errorf("stored error %q (failures %d), want %q", s.Error, s.Failures, want)
	}
	if n := h.items(t); n != 4 {
		t.Errorf("%d items after the failed fetch, want the 4 kept", n)
	}
}
