package fetch

import (
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// FuzzParseScrape: any page either fails with an error naming it, or
// yields items that each have a one-line title and an absolute web link
// that is also their GUID, every link once.
func FuzzParseScrape(f *testing.F) {
	f.Add(string(readListing(f)))
	f.Add(`<li class=story><a href="/a">A</a><time datetime="2026-13-45">x</time></li>`)
	f.Add(`<base href="ftp://x/"><li class=story><a href="a">A</a></li>`)
	f.Add(`<li class=story><h3>` + strings.Repeat("<b>", 50) + `t</h3><a href="//h/x">x</a></li>`)
	f.Add("<li class=story><a href=\"/\xff\">\x00</a></li>")
	sels := []*feed.Scrape{
		{Item: "li.story"},
		{Item: "li.story", Title: "h3", Link: "h3 a", Date: "time, .date", Summary: ".teaser"},
	}
	f.Fuzz(func(t *testing.T, page string) {
		for _, sel := range sels {
			p, err := ParseScrape("page.html", []byte(page), listingBase, "", sel)
			if err != nil {
				if !strings.Contains(err.Error(), "page.html") || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %q does not name the page on one line", err)
				}
				continue
			}
			seen := map[string]bool{}
			for _, it := range p.Items {
				if it.Title == "" || strings.ContainsAny(it.Title, "\n\r") {
					t.Errorf("title %q: want one non-empty line", it.Title)
				}
				if it.GUID != it.URL || !(strings.HasPrefix(it.URL, "http://") || strings.HasPrefix(it.URL, "https://")) {
					t.Errorf("guid %q url %q: want the same absolute web link", it.GUID, it.URL)
				}
				if seen[it.URL] {
					t.Errorf("link %q listed twice", it.URL)
				}
				seen[it.URL] = true
			}
			if p.Empty < 0 || len(p.Items)+p.Empty == 0 {
				t.Errorf("%d items, %d skipped: a page that matched must account for its items", len(p.Items), p.Empty)
			}
		}
	})
}
