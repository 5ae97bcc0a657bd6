package fetch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// fileURL is the Item.Feed (and article GUID) of a fixture file.
func fileURL(t *testing.T, name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	return "file://" + filepath.ToSlash(abs)
}

// TestFeedFixtures reads each file of testdata/feeds as `topicfeed ingest`
// does (ReadFile) and checks what a reader would get: the exact titles,
// links, text, the feed a GUID is scoped to, or the one-line refusal.
func TestFeedFixtures(t *testing.T) {
	const self = "(file)" // Feed is the file itself
	tests := []struct {
		file   string
		err    string   // the refusal after "NAME: "
		titles []string // every item's title, in order
		urls   []string // every item's URL, when given
		text   string   // the first item's text, when given
		feed   string   // Item.Feed of every item
	}{
		// (a) JSON Feeds found by parsing.
		{file: "jsonfeed-escaped-slash.json",
			titles: []string{"Winter ferry timetable published"},
			urls:   []string{"https://harbour.example/2026/ferry-timetable"},
			text:   "The harbour office published the winter timetable for the island ferry.",
			feed:   "https://harbour.example/feed.json"},
		{file: "jsonfeed-version-late.json",
			titles: []string{"Orchard diary, week 1", "Orchard diary, week 2", "Orchard diary, week 3", "Orchard diary, week 4",
				"Orchard diary, week 5", "Orchard diary, week 6", "Orchard diary, week 7", "Orchard diary, week 8",
				"Orchard diary, week 9", "Orchard diary, week 10", "Orchard diary, week 11", "Orchard diary, week 12"},
			feed: "https://orchard.example/diary/"},
		{file: "not-a-feed.json", err: "not a feed: JSON without a jsonfeed.org version"},

		// (b) Encodings.
		{file: "rss-utf16le-bom.xml",
			titles: []string{"Zürich tram line 4 reopens"},
			urls:   []string{"https://tram.example/line-4"},
			text:   "Trams run again between Bellevue and Tiefenbrunnen after the summer works.",
			feed:   "https://tram.example/"},
		{file: "atom-utf16be-bom.atom",
			titles: []string{"Łódź library extends opening hours"},
			text:   "The central library in Łódź now opens until nine on weekdays.",
			feed:   "https://library.example/atom.xml"}, // the self link, canonical
		{file: "rss-utf32le-bom.xml",
			titles: []string{"Café de la Gare closes for renovation"},
			text:   "The station café closes for six weeks; the kiosk stays open.",
			feed:   self}, // no self or channel link
		{file: "rss-iso-8859-1.xml",
			titles: []string{"Crème brûlée festival in Besançon"},
			text:   "Pâtissiers from the Doubs gather on the Place Granvelle.",
			feed:   "https://besancon.example/"},
		{file: "misdeclared-utf8.xml",
			titles: []string{"Café opens on the quay"},
			text:   "The new café serves crêpes from eight.",
			feed:   "https://quay.example/"},
		{file: "latin1-undeclared.txt",
			titles: []string{"Señora Núñez Opens a Bakery on Calle Mayor"},
			text: "The new bakery on Calle Mayor opened on Monday morning, and señora Núñez sold out of ensaïmadas before ten o'clock.\n\n" +
				"Neighbours said the queue reached the café at the corner; the bakery will open at seven every day except Sunday.",
			feed: self},
		{file: "cp1252-meta.html",
			titles: []string{"Museum pass – “€5 Fridays”"},
			text: "From March the city museums sell a “€5 Friday” pass that covers all four collections — the glass works included.\n\n" +
				"The pass is sold at each museum’s desk and online; children under twelve enter free.",
			feed: self},
		{file: "iso-8859-2-http-equiv.html",
			titles: []string{"Łódź tram depot opens to visitors"},
			text: "The old tram depot in Łódź opens its doors on Sunday; visitors can ride a restored car along Piotrkowska Street.\n\n" +
				"Entry is free, and the café in the depot serves żurek until the last tour.",
			feed: self},

		// (c) Plain text stays plain text.
		{file: "vec-rss.xml",
			titles: []string{"Vec<T> and Option<T>", "Why Box matters", "HashMap<K, V> in practice", "AT&T and R&D"},
			feed:   "https://rust-notes.example/"},
		{file: "vec-atom.atom",
			titles: []string{"Vec<T> and Option<T>", "Result<T, E> without a type", "Borrowing rules & lifetimes",
				"Slice<T> explained", "The Drop trait"},
			feed: "https://rust-notes.example/atom.xml"},
		{file: "vec-jsonfeed.json",
			titles: []string{"Vec<T> and Option<T>"},
			text:   "Use Vec<T> for lists & Option<T> for maybe.",
			feed:   "https://rust-notes.example/"},
		{file: "vec-article.txt",
			titles: []string{"Vec<T> and Option<T>"},
			text: "The standard library offers two generic containers that every programmer meets early on, and this post explains how they work together in practice.\n\n" +
				"A vector of options, Vec<Option<T>>, keeps a slot for every index even when some are empty.",
			feed: self},
		{file: "vec-article.md",
			titles: []string{"Vec<T> and Option<T>"},
			text: "The standard library offers two generic containers that every programmer meets early on, and this post explains how they work together in practice.\n\n" +
				"A vector of options, Vec<Option<T>>, keeps a slot for every index even when some are empty.",
			feed: self},

		// (d) A link-only entry is kept, titled by its link.
		{file: "link-only.xml",
			titles: []string{"https://links.example/note/17", "Second bookmark"},
			urls:   []string{"https://links.example/note/17", "https://links.example/note/18"},
			text:   "",
			feed:   "https://links.example/"},

		// (a) XML that is not a feed, or is one under a prefix.
		{file: "cdf-channel.cdf", err: "not a feed: XML root <CHANNEL> is not RSS, Atom or RDF"},
		{file: "prefixed-rss.xml",
			titles: []string{"Prefixed root still reads"},
			urls:   []string{"https://prefixed.example/one"},
			text:   "The items of an r:rss document are read.",
			feed:   "https://prefixed.example/"},
		{file: "comment-only.xml", err: "not a feed: XML with no root element"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			name := filepath.Join("testdata", "feeds", tt.file)
			got := ReadFile(context.Background(), name, nil)
			if tt.err != "" {
				if got.Err == nil || got.Err.Error() != name+": "+tt.err {
					t.Fatalf("err = %v, want %q; items %+v", got.Err, name+": "+tt.err, got.Items)
				}
				return
			}
			if got.Err != nil {
				t.Fatal(got.Err)
			}
			var titles, urls []string
			for _, it := range got.Items {
				titles = append(titles, it.Title)
				urls = append(urls, it.URL)
			}
			if !slices.Equal(titles, tt.titles) {
				t.Errorf("titles = %q, want %q", titles, tt.titles)
			}
			if tt.urls != nil && !slices.Equal(urls, tt.urls) {
				t.Errorf("urls = %q, want %q", urls, tt.urls)
			}
			if tt.text != "" || tt.urls != nil {
				if len(got.Items) > 0 && got.Items[0].Text != tt.text {
					t.Errorf("text = %q, want %q", got.Items[0].Text, tt.text)
				}
			}
			want := tt.feed
			if want == self {
				want = fileURL(t, name)
			}
			for _, it := range got.Items {
				if it.Feed != want {
					t.Errorf("%q: Feed = %q, want %q", it.Title, it.Feed, want)
				}
			}
		})
	}
	// Every fixture is in the table or in a test of its own.
	files, _ := filepath.Glob(filepath.Join("testdata", "feeds", "*"))
	for _, f := range files {
		if base := filepath.Base(f); !seen[base] && !map[string]bool{
			"fragment-blog.xml": true, "rss-windows-1251-nodecl.xml": true,
		}[base] {
			t.Errorf("fixture %s has no test", base)
		}
	}
}

// TestArticleFileScope: a plain article's GUID and Feed are its file, so
// an edit updates it; from stdin it has neither.
func TestArticleFileScope(t *testing.T) {
	name := filepath.Join("testdata", "feeds", "vec-article.txt")
	got := ReadFile(context.Background(), name, nil)
	if got.Err != nil || len(got.Items) != 1 {
		t.Fatalf("%+v", got)
	}
	if want := fileURL(t, name); got.Items[0].GUID != want || got.Items[0].Feed != want {
		t.Errorf("GUID, Feed = %q, %q; want both %q", got.Items[0].GUID, got.Items[0].Feed, want)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	got = ReadFile(context.Background(), "-", strings.NewReader(string(data)))
	if got.Err != nil || len(got.Items) != 1 || got.Items[0].GUID != "" || got.Items[0].Feed != "" {
		t.Errorf("stdin article = %+v, %v", got.Items, got.Err)
	}
}

// TestFeedScopeStdin: a feed read from stdin with no links of its own is
// scoped to "stdin"; a remote feed (ParseFeed with a base URL) to nothing,
// since its source's URL is the feed.
func TestFeedScopeStdin(t *testing.T) {
	doc := `<rss version="2.0"><channel><title>t</title><item><title>One</title><guid>1</guid></item></channel></rss>`
	got := ReadFile(context.Background(), "-", strings.NewReader(doc))
	if got.Err != nil || len(got.Items) != 1 || got.Items[0].Feed != "stdin" {
		t.Errorf("stdin feed = %+v, %v", got.Items, got.Err)
	}
	items, err := ParseFeed("https://site.example/feed", []byte(rssWith(`<item><title>One</title><guid>1</guid></item>`)), "https://site.example/feed")
	if err != nil || len(items) != 1 || items[0].Feed != "" {
		t.Errorf("remote items = %+v, %v", items, err)
	}
}

// TestFragmentBlog: a one-page blog whose 48 posts share one URL and
// differ by fragment keeps 48 distinct URLs; links that a fragment does not
// tell apart lose it, as before.
func TestFragmentBlog(t *testing.T) {
	name := filepath.Join("testdata", "feeds", "fragment-blog.xml")
	got := ReadFile(context.Background(), name, nil)
	if got.Err != nil {
		t.Fatal(got.Err)
	}
	urls := map[string]bool{}
	for _, it := range got.Items {
		urls[it.URL] = true
	}
	if len(got.Items) != 48 || len(urls) != 48 {
		t.Fatalf("%d items, %d distinct URLs; want 48 and 48", len(got.Items), len(urls))
	}
	if u := got.Items[2].URL; u != "https://blog.example/2026/11/#post-3" {
		t.Errorf("third URL = %q", u)
	}

	items, err := ParseFeed("mixed.rss", []byte(rssWith(
		`<item><title>A</title><link>https://x.example/a#comments</link></item>`+
			`<item><title>B</title><link>https://x.example/b#comments</link></item>`+
			`<item><title>C</title><link>https://x.example/c?utm_source=x#top</link></item>`+
			`<item><title>C again</title><link>https://x.example/c#top</link></item>`+
			`<item><title>Page</title><link>https://x.example/p</link></item>`+
			`<item><title>Page, part 2</title><link>https://x.example/p#part%2D2</link></item>`)), "https://x.example/feed")
	if err != nil {
		t.Fatal(err)
	}
	var got2 []string
	for _, it := range items {
		got2 = append(got2, it.URL)
	}
	want := []string{"https://x.example/a", "https://x.example/b", "https://x.example/c", "https://x.example/c",
		"https://x.example/p", "https://x.example/p#part-2"}
	if !slices.Equal(got2, want) {
		t.Errorf("URLs = %q, want %q", got2, want)
	}
}

// TestParseFeedCharset: a remote feed with no declaration is read in the
// charset its Content-Type names; without it, the same bytes are guessed
// as Windows-1252. A BOM or valid UTF-8 wins over a wrong header.
func TestParseFeedCharset(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "feeds", "rss-windows-1251-nodecl.xml"))
	if err != nil {
		t.Fatal(err)
	}
	items, err := ParseFeedCharset("https://port.example/rss", data, "https://port.example/rss", "windows-1251")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Title != "Новости порта" || items[0].Text != "Паром снова ходит по расписанию." {
		t.Errorf("items = %+v", items)
	}
	items, err = ParseFeed("https://port.example/rss", data, "https://port.example/rss")
	if err != nil || len(items) != 1 || items[0].Title != "Íîâîñòè ïîðòà" {
		t.Errorf("without the charset: %+v, %v", items, err)
	}
	utf := []byte(rssWith(`<item><title>Café</title><description>d</description></item>`))
	items, err = ParseFeedCharset("u", utf, "https://site.example/feed", "iso-8859-1")
	if err != nil || len(items) != 1 || items[0].Title != "Café" {
		t.Errorf("UTF-8 sent as iso-8859-1: %+v, %v", items, err)
	}
	r := Response{ContentType: `application/rss+xml; charset="Windows-1251"`}
	if got := r.Charset(); got != "Windows-1251" {
		t.Errorf("Charset() = %q", got)
	}
	if got := (&Response{ContentType: "text/xml"}).Charset(); got != "" {
		t.Errorf("Charset() = %q, want none", got)
	}
}

// TestCanonicalURLKeepFragment: CanonicalURL's form plus the fragment,
// with its escapes normalised.
func TestCanonicalURLKeepFragment(t *testing.T) {
	for in, want := range map[string]string{
		"HTTPS://Blog.Example:443/2026/11/?utm_source=x#post-3": "https://blog.example/2026/11/#post-3",
		"https://blog.example/a#Post%2d3":                       "https://blog.example/a#Post-3",
		"https://blog.example/a#caf%c3%a9 x":                    "https://blog.example/a#caf%C3%A9%20x",
		"https://blog.example/a#":                               "https://blog.example/a",
		"https://blog.example/a":                                "https://blog.example/a",
	} {
		if got, err := feed.CanonicalURLKeepFragment(in); err != nil || got != want {
			t.Errorf("CanonicalURLKeepFragment(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := feed.CanonicalURLKeepFragment("ftp://x.example/#a"); err == nil {
		t.Error("ftp URL accepted")
	}
}

// TestParseFeedRefusals: a remote body that is no feed is refused with
// what it is.
func TestParseFeedRefusals(t *testing.T) {
	for doc, want := range map[string]string{
		"<!doctype html><html><body>x</body></html>":              "u: not a feed: an HTML page",
		`<?xml version="1.0"?><opml version="2.0"><body/></opml>`: "u: not a feed: XML root <opml> is not RSS, Atom or RDF",
		`<?xml version="1.0"?><!-- gone -->`:                      "u: not a feed: XML with no root element",
		`{"name":"pkg","version":"1.0.0"}`:                        "u: not a feed: JSON without a jsonfeed.org version",
		"just some text":                                          "u: not a feed: failed to detect feed type",
		"<!-- " + strings.Repeat("x", 5000) + " --><rss><channel><item><title>Late</title></item></channel></rss>": "",
	} {
		items, err := ParseFeed("u", []byte(doc), "https://site.example/feed")
		switch {
		case want == "" && (err != nil || len(items) != 1 || items[0].Title != "Late"):
			t.Errorf("%.30q: %+v, %v", doc, items, err)
		case want != "" && (err == nil || err.Error() != want):
			t.Errorf("%.30q: err = %v, want %q", doc, err, want)
		}
	}
}
