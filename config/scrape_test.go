package config

import (
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

func TestScrapeSource(t *testing.T) {
	src := `sources:
  - name: council
    url: https://council.example.org/news/
    kind: scrape
    scrape:
      item: li.story
      title: h3
      link: h3 a
      date: time
      summary: p.teaser
`
	c, err := Parse("topicfeed.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s := c.FeedSources()[0]
	want := feed.Scrape{Item: "li.story", Title: "h3", Link: "h3 a", Date: "time", Summary: "p.teaser"}
	if s.Kind != feed.KindScrape || s.Scrape == nil || *s.Scrape != want {
		t.Errorf("FeedSources()[0] kind %q scrape %+v, want %q %+v", s.Kind, s.Scrape, feed.KindScrape, want)
	}
	if c.Refresh.MinInterval != Duration(5*time.Minute) || c.Refresh.MaxInterval != Duration(24*time.Hour) {
		t.Errorf("default min/max interval %v/%v, want 5m/24h", time.Duration(c.Refresh.MinInterval), time.Duration(c.Refresh.MaxInterval))
	}
}

func TestScrapeProblems(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"bad selector", `sources:
  - name: council
    url: https://council.example.org/news/
    kind: scrape
    scrape:
      item: li.story
      title: "h3 >"
`, `topicfeed.yaml:7: source council: scrape.title: invalid selector "h3 >"`},
		{"no item", `sources:
  - name: council
    url: https://council.example.org/news/
    kind: scrape
    scrape: {title: h3}
`, "topicfeed.yaml:2: source council: kind scrape needs scrape.item"},
		{"unknown kind", `sources:
  - name: council
    url: https://council.example.org/news/
    kind: html
`, `topicfeed.yaml:4: source council: kind "html" is not known`},
		{"selectors without kind", `sources:
  - name: council
    url: https://council.example.org/news/
    scrape: {item: li}
`, "topicfeed.yaml:4: source council: scrape selectors need kind: scrape"},
		{"path", `sources:
  - name: council
    path: ./pages
    kind: scrape
    scrape: {item: li}
`, "topicfeed.yaml:3: source council: kind scrape reads a web page: needs url, not path"},
		{"min over max", `refresh:
  min_interval: 2h
  max_interval: 1h
`, "topicfeed.yaml:3: refresh.max_interval: 1h0m0s is less than refresh.min_interval 2h0m0s"},
		{"min zero", `refresh: {min_interval: 0s}
`, "topicfeed.yaml:1: refresh.min_interval: must be positive"},
	}
	for _, c := range cases {
		_, err := Parse("topicfeed.yaml", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to hold %q", c.name, err, c.want)
		}
	}
}
