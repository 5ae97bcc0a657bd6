package publish_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/store"
)

func TestPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.db.SaveFetchState(ctx, "wires", &store.FetchState{Status: 503, Error: "GET https://wires.example/feed: 503 Service Unavailable",
		Failures: 3, Fetched: time.Now().Add(-2 * time.Hour)})
	f.db.SaveFetchState(ctx, "dawn", &store.FetchState{Status: 200, Fetched: time.Now().Add(-5 * time.Minute)})
	f.db.Now = func() time.Time { return t0 }
	f.ingest(t, "dawn", story("d3", "Harbour Ferry Timetable", "The harbour ferry moves to a summer timetable.", -3*time.Hour))
	ep := story("p1", "Night Shift, Episode 4", "The quay master on the night shift.", -4*time.Hour)
	ep.Site = feed.Site{Name: "Quay Sounds", URL: "https://pod.example.org/"}
	ep.Enclosures = []feed.Enclosure{{URL: "https://cdn.example.org/ep4.mp3", Type: "audio/mpeg", Length: 1234}}
	ep.Image, ep.Comments = "https://cdn.example.org/ep4.jpg", "https://news.example.org/p1#comments"
	f.ingest(t, "pods", ep)
	item, _ := f.db.ItemForGUID(ctx, "dawn", "d1")
	episode, _ := f.db.ItemForGUID(ctx, "pods", "p1")
	h := f.publisher(publish.Options{Sources: admin{f.db}}).Handler()
	tests := []struct {
		name, path string
		want       []string
		not        []string
	}{
		{"index", "/", []string{
			`<meta name="viewport"`, "Harbour news", "Ships, berths &amp; ferries", "Everything",
			`<span class="count">3 items</span>`, "latest <time",
			`href="` + base + `/topics/harbour.rss"`, `href="` + base + `/topics/harbour.atom"`, `href="` + base + `/topics/all.json"`,
			`href="` + base + `/topics.opml"`, `href="` + base + `/sources"`,
		}, []string{"<script"}},
		{"topic", "/topics/harbour", []string{
			`<link rel="alternate" type="application/rss+xml" title="Harbour news (RSS)" href="` + base + `/topics/harbour.rss">`,
			`<link rel="alternate" type="application/atom+xml" title="Harbour news (Atom)" href="` + base + `/topics/harbour.atom">`,
			`<link rel="alternate" type="application/feed+json" title="Harbour news (JSON Feed)" href="` + base + `/topics/harbour.json">`,
			"Harbour Terminal Approved", "20 May 2026", "dawn", "wires", "The harbour authority approved",
			`href="https://news.example.org/d1"`,
		}, []string{"Heatwave", "<script"}},
		{"sources", "/sources", []string{
			"<h2>dawn", "<h2>wires", `status ok`, `status bad`, "failing ×3", "HTTP 503", "2 h ago",
			"503 Service Unavailable", `<svg class="spark"`, `aria-label="items per day, oldest first:`,
		}, nil},
		{"item", fmt.Sprintf("/items/%d", item), []string{"<h1>Harbour Terminal Approved</h1>",
			`seen in <a href="https://news.example.org/d1">dawn</a>`}, nil},
		{"episode", fmt.Sprintf("/items/%d", episode), []string{`seen in <a href="https://news.example.org/p1">Quay Sounds</a>`,
			`<audio controls preload="none" src="https://cdn.example.org/ep4.mp3">`, `<a href="https://cdn.example.org/ep4.mp3">audio/mpeg</a>`,
			`<img src="https://cdn.example.org/ep4.jpg"`, `<a href="https://news.example.org/p1#comments">comments</a>`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(h, "GET", tc.path)
			body := w.Body.String()
			if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("status %d, type %q:\n%s", w.Code, w.Header().Get("Content-Type"), body)
			}
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %s", s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(body, s) {
					t.Errorf("page has %s", s)
				}
			}
		})
	}
}

func TestTopicsOPML(t *testing.T) {
	h := newFixture(t).publisher(publish.Options{}).Handler()
	w := do(h, "GET", "/topics.opml")
	if ct := w.Header().Get("Content-Type"); w.Code != 200 || ct != "text/x-opml; charset=utf-8" {
		t.Fatalf("status %d, type %q", w.Code, ct)
	}
	outs, err := feed.ReadOPML(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range outs {
		got = append(got, o.Text+" "+o.XMLURL+" "+o.HTMLURL)
	}
	want := []string{
		"Harbour news " + base + "/topics/harbour.rss " + base + "/topics/harbour",
		"Everything " + base + "/topics/all.rss " + base + "/topics/all",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outlines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
