package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSourcesShowPoll: after a refresh, `topicfeed sources` shows each
// source's poll interval and why: a daily feed is polled daily, a source
// with its own interval keeps it, and a scrape source configured in the
// file is read through its selectors.
func TestSourcesShowPoll(t *testing.T) {
	newest := time.Now().Add(-2 * time.Hour).UTC()
	var daily strings.Builder
	daily.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour daily</title><link>http://example.org/</link>`)
	for i := range 6 {
		fmt.Fprintf(&daily, `<item><guid>d%d</guid><title>Harbour report %d</title><link>http://example.org/d%d</link>`+
			`<description>The harbour master's report for day %d.</description><pubDate>%s</pubDate></item>`,
			i, i, i, i, newest.Add(-time.Duration(i)*24*time.Hour).Format(time.RFC1123Z))
	}
	daily.WriteString(`</channel></rss>`)
	page, err := os.ReadFile("../../testdata/scrape/listing.html")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/daily.xml", "/pinned.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(daily.String()))
		case "/news/":
			w.Header().Set("Content-Type", "text/html")
			w.Write(page)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`sources:
  - name: daily
    url: %[1]s/daily.xml
  - name: pinned
    url: %[1]s/pinned.xml
    interval: 45m
  - name: council
    url: %[1]s/news/
    kind: scrape
    scrape: {item: li.story, title: h3, link: h3 a, date: "time, .date", summary: .teaser}
`, srv.URL))
	code, out, errs := run(t, "", "refresh", "-config", cfg)
	if code != exitOK || !strings.Contains(out, "3 sources refreshed") {
		t.Fatalf("refresh: status %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "1 empty") {
		t.Errorf("refresh summary %q, want the scraped story with no link counted as empty", out)
	}
	code, out, errs = run(t, "", "sources", "-config", cfg)
	if code != exitOK {
		t.Fatalf("sources: status %d: %s", code, errs)
	}
	for name, want := range map[string]string{
		"daily":   "every 24h (publishes ~every 24h)",
		"pinned":  "every 45m (interval set for the source; publishes ~every 24h)",
		"council": "every ", // three dates a week apart: read, whatever they give
	} {
		line := ""
		for l := range strings.SplitSeq(out, "\n") {
			if strings.HasPrefix(l, name+" ") {
				line = l
			}
		}
		if !strings.Contains(line, want) {
			t.Errorf("sources line for %s = %q, want it to hold %q", name, line, want)
		}
	}
	if !strings.Contains(out, "POLLED") {
		t.Errorf("sources output lacks the POLLED column:\n%s", out)
	}
}

// TestCheckScrapeSelector: an invalid selector is a config problem on its line.
func TestCheckScrapeSelector(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("sources:\n  - name: council\n    url: https://council.example.org/news/\n    kind: scrape\n"+
		"    scrape:\n      item: li.story\n      link: 'a[href'\n"), 0o644)
	code, _, errs := run(t, "", "check", "-config", bad)
	want := bad + `:7: source council: scrape.link: invalid selector "a[href"`
	if code != exitBadConfig || !strings.Contains(errs, want) {
		t.Errorf("check: status %d, stderr %q; want 2 and %q", code, errs, want)
	}
}
