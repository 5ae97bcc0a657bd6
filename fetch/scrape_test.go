package fetch

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

const listingBase = "https://council.example.org/news/"

var listingSelectors = &feed.Scrape{Item: "li.story", Title: "h3", Link: "h3 a", Date: "time, .date", Summary: ".teaser"}

func readListing(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/scrape/listing.html")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseScrapeListing(t *testing.T) {
	p, err := ParseScrape(listingBase, readListing(t), listingBase, "", listingSelectors)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		url, title, date, text string
	}{
		{"https://council.example.org/news/2026/ferry-timetable", "Winter ferry timetable published", "2026-03-02T09:30:00Z",
			"The island ferry runs hourly from November, with a late sailing on Fridays."},
		{"https://council.example.org/news/news/2026/harbour-wall", "Harbour wall repairs begin next week", "2026-02-27T12:00:00Z", // a date alone reads as noon, as in article files
			"Contractors close the east quay for six weeks while the wall is rebuilt."},
		{"https://library.example.org/events/reading-club", "Library reading club returns", "2026-02-20T12:00:00Z", // datetime="2026-02-20" too
			"Meetings restart on the first Tuesday of each month in the reading room."},
	}
	if len(p.Items) != len(want) || p.Empty != 1 {
		t.Fatalf("got %d items, %d skipped; want %d items, 1 skipped (the story with no link)", len(p.Items), p.Empty, len(want))
	}
	for i, w := range want {
		it := p.Items[i]
		if it.URL != w.url || it.GUID != w.url {
			t.Errorf("item %d: url %q guid %q, want both %q", i, it.URL, it.GUID, w.url)
		}
		if it.Title != w.title {
			t.Errorf("item %d: title %q, want %q", i, it.Title, w.title)
		}
		if got := it.Published.Format(time.RFC3339); got != w.date {
			t.Errorf("item %d: published %s, want %s", i, got, w.date)
		}
		if it.Text != w.text || !strings.Contains(it.Content, "<p>") {
			t.Errorf("item %d: text %q content %q, want text %q as a paragraph", i, it.Text, it.Content, w.text)
		}
		if it.Site.Name != "Harbour Town Council — News" || it.Site.URL != listingBase {
			t.Errorf("item %d: site %+v, want the page's title and URL", i, it.Site)
		}
	}
}

// TestParseScrapeDefaults: with only an item selector, the first link of
// each item is its link and its text the title.
func TestParseScrapeDefaults(t *testing.T) {
	p, err := ParseScrape(listingBase, readListing(t), listingBase, "", &feed.Scrape{Item: "li.story"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 3 || p.Empty != 1 {
		t.Fatalf("got %d items, %d skipped; want 3 and 1", len(p.Items), p.Empty)
	}
	if it := p.Items[0]; it.Title != "Winter ferry timetable published" || !it.Published.IsZero() || it.Text != "" {
		t.Errorf("first item %q (published %v, text %q): want the link's text, no date, no summary", it.Title, it.Published, it.Text)
	}
}

func TestParseScrapeCases(t *testing.T) {
	cases := []struct {
		name, page string
		sel        feed.Scrape
		urls       []string
		empty      int
	}{
		{"base href", `<html><head><base href="https://cdn.example.net/blog/"></head><body>
			<div class=p><a href="post-1">One</a></div></body></html>`,
			feed.Scrape{Item: "div.p"}, []string{"https://cdn.example.net/blog/post-1"}, 0},
		{"not web links", `<div class=p><a href="javascript:void(0)">Share</a></div>
			<div class=p><a href="mailto:desk@example.org">Mail</a></div><div class=p><a href="#top">Top</a></div>`,
			feed.Scrape{Item: "div.p"}, nil, 3},
		{"listed twice", `<div class=p><a href="/a">Lead story</a></div><div class=p><a href="/a?utm_medium=x">Lead story</a></div>`,
			feed.Scrape{Item: "div.p"}, []string{"https://council.example.org/a"}, 0},
		{"item is the link", `<a class=p href="/x">X marks</a><a class=p href="/y">Y not</a>`,
			feed.Scrape{Item: "a.p"}, []string{"https://council.example.org/x", "https://council.example.org/y"}, 0},
		{"link selector on a container", `<div class=p><h2 class=t>Title</h2><span class=l><a href="/deep">more</a></span></div>`,
			feed.Scrape{Item: "div.p", Title: ".t", Link: ".l"}, []string{"https://council.example.org/deep"}, 0},
		{"empty title", `<div class=p><a href="/x"><img src="x.png"></a></div>`,
			feed.Scrape{Item: "div.p"}, nil, 1},
		{"fragments tell items apart", `<h2 class=p><a href="/changelog#v1.2">Version 1.2</a></h2>
			<h2 class=p><a href="/changelog#v1.1">Version 1.1</a></h2><h2 class=p><a href="/changelog#v1.0">Version 1.0</a></h2>
			<h2 class=p><a href="/changelog#v1.0">Version 1.0 again</a></h2>`,
			feed.Scrape{Item: "h2.p"}, []string{"https://council.example.org/changelog#v1.2",
				"https://council.example.org/changelog#v1.1", "https://council.example.org/changelog#v1.0"}, 0},
		{"a fragment alone is dropped", `<div class=p><a href="/a#comments">A story</a></div><div class=p><a href="/b#top">B story</a></div>`,
			feed.Scrape{Item: "div.p"}, []string{"https://council.example.org/a", "https://council.example.org/b"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseScrape("page", []byte(c.page), listingBase, "", &c.sel)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range p.Items {
				got = append(got, it.URL)
				if it.GUID != it.URL {
					t.Errorf("%s: GUID %q, want its URL", it.Title, it.GUID)
				}
			}
			if strings.Join(got, " ") != strings.Join(c.urls, " ") || p.Empty != c.empty {
				t.Errorf("got %v, %d skipped; want %v, %d skipped", got, p.Empty, c.urls, c.empty)
			}
		})
	}
}

func TestParseScrapeCharset(t *testing.T) {
	page := []byte("<div class=p><a href=\"/c\">Caf\xe9 opens</a></div>") // windows-1252
	p, err := ParseScrape("page", page, listingBase, "windows-1252", &feed.Scrape{Item: "div.p"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 1 || p.Items[0].Title != "Café opens" {
		t.Errorf("items %+v, want one titled %q", p.Items, "Café opens")
	}
}

func TestParseScrapeErrors(t *testing.T) {
	_, err := ParseScrape(listingBase, readListing(t), listingBase, "", &feed.Scrape{Item: "article.post"})
	want := `scrape: selector "article.post" matched no items on ` + listingBase
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	_, err = ParseScrape(listingBase, readListing(t), listingBase, "", &feed.Scrape{Item: "li[", Title: "h3"})
	var se *ScrapeSelectorError
	if !errors.As(err, &se) || se.Field != "item" || !strings.HasPrefix(err.Error(), listingBase+": scrape.item: invalid selector") {
		t.Errorf("error %v, want a scrape.item selector error naming the page", err)
	}
}

func TestCheckScrape(t *testing.T) {
	cases := []struct {
		sel   *feed.Scrape
		field string // "" when valid
	}{
		{listingSelectors, ""},
		{&feed.Scrape{Item: "li.story"}, ""},
		{nil, "item"},
		{&feed.Scrape{Title: "h3"}, "item"},
		{&feed.Scrape{Item: "li", Title: "h3 >"}, "title"},
		{&feed.Scrape{Item: "li", Link: "a[href"}, "link"},
		{&feed.Scrape{Item: "li", Date: ":nth-child("}, "date"},
		{&feed.Scrape{Item: "li", Summary: "p,,"}, "summary"},
	}
	for _, c := range cases {
		err := CheckScrape(c.sel)
		var se *ScrapeSelectorError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("CheckScrape(%+v) = %v, want ok", c.sel, err)
		case c.field != "" && (!errors.As(err, &se) || se.Field != c.field):
			t.Errorf("CheckScrape(%+v) = %v, want an error in scrape.%s", c.sel, err, c.field)
		}
	}
}

// TestListing: a scrape page is fetched as it is (no autodiscovery, though
// it links a feed), asking for HTML, and conditionally.
func TestListing(t *testing.T) {
	page := readListing(t)
	page = append([]byte(`<link rel="alternate" type="application/rss+xml" href="/feed.xml">`), page...)
	var accepts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accepts = append(accepts, r.Header.Get("Accept"))
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Cache-Control", "max-age=3600")
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer srv.Close()
	c := NewClient(Options{AllowPrivate: true})
	res, err := c.Listing(t.Context(), Request{URL: srv.URL + "/news/"})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != string(page) || res.PermanentURL != "" || res.ETag != `"v1"` {
		t.Errorf("got %d bytes, moved to %q, etag %q; want the page itself with its ETag", len(res.Body), res.PermanentURL, res.ETag)
	}
	if res.Cache.Every != time.Hour {
		t.Errorf("cache hint %+v, want 1h from max-age", res.Cache)
	}
	res, err = c.Listing(t.Context(), Request{URL: srv.URL + "/news/", ETag: res.ETag})
	if err != nil || !res.NotModified {
		t.Errorf("second fetch: %+v, %v; want 304", res, err)
	}
	if len(accepts) != 2 || !strings.HasPrefix(accepts[0], "text/html") {
		t.Errorf("Accept headers %q, want two asking for HTML first", accepts)
	}
}
