package fetch

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/topicfeed/topicfeed/feed"
)

// fuzzSeeds are documents for each case the detection and decoding paths
// tell apart: every fixture, plus small ones written here.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, dir := range []string{"../examples/feeds", "testdata/feeds"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	for _, s := range []string{
		rssWith(`<item><title>x</title><description><![CDATA[<script>x</script><a href="/a">a</a>]]></description></item>`),
		`{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1","content_html":"<b>x</b>"}]}`,
		`{"items":[{"id":"1","title":"Vec<T>"}],"version":"https:\/\/jsonfeed.org\/version\/1"}`,
		`{"version":"https://jsonfeed.org/version/1","items":[{"url":"https://x.example/#a"},{"url":"https://x.example/#b"}]}`,
		`{"name":"pkg","version":"1.0.0"}`,
		`[1,2]`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">&lt;i&gt;t&lt;/i&gt;</title></entry></feed>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text">Vec&lt;T&gt;</title></entry></feed>`,
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><item><title>Caf\xe9</title></item></channel></rss>",
		`<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><item><title>Café</title></item></channel></rss>`,
		`<?xml version="1.0" encoding="utf-16"?><rss><channel><item><title>x</title></item></channel></rss>`,
		"\xff\xfe<\x00r\x00s\x00s\x00>\x00",
		"\xef\xbb\xbf<rss><channel><item><link>https://x.example/only-a-link</link></item></channel></rss>",
		`<r:rss xmlns:r="x"><r:channel><r:item><r:title>p</r:title></r:item></r:channel></r:rss>`,
		`<?xml version="1.0"?><CHANNEL HREF="http://x.example/"><ITEM HREF="a.html"/></CHANNEL>`,
		`<?xml version="1.0"?><!-- only a comment -->`,
		"<!DOCTYPE html><html><head><meta charset=\"windows-1252\"></head><body><h1>Caf\xe9</h1><p>Body text.</p></body></html>",
		"Caf\xe9 cr\xe8me\n\nUndeclared Latin-1 text with a body sentence.\n",
		"\x00\x01\x02binary",
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// checkItems holds for every accepted item: valid UTF-8 in every field, a
// title on one line, and no script in its content.
func checkItems(t *testing.T, items []feed.Item) {
	for _, it := range items {
		for _, s := range []string{it.Title, it.Content, it.Text, it.Summary, it.URL, it.GUID, it.Feed, it.Author} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q in %+v", s, it)
			}
		}
		if strings.ContainsAny(it.Title, "\r\n") {
			t.Fatalf("title on more than one line: %q", it.Title)
		}
		if strings.Contains(strings.ToLower(it.Content), "<script") {
			t.Fatalf("script in content: %q", it.Content)
		}
	}
}

// checkErr holds for every rejection: one line naming the input.
func checkErr(t *testing.T, name string, err error) {
	if msg := err.Error(); !strings.HasPrefix(msg, name+": ") || strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("error %q is not one line naming the input", msg)
	}
}

// FuzzParseFeed feeds arbitrary documents, with an HTTP charset, to the
// remote feed path and checks what a reader would get: no panic, errors
// that name the input on one line, and items with valid UTF-8 and no script
// in their content.
func FuzzParseFeed(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, "")
	}
	f.Add([]byte("<rss><channel><item><title>\xcf\xee\xf0\xf2</title></item></channel></rss>"), "windows-1251")
	f.Add([]byte(rssWith(`<item><title>Café</title></item>`)), "iso-8859-1")
	f.Add([]byte(rssWith(`<item><title>x</title></item>`)), "utf-16")
	f.Fuzz(func(t *testing.T, doc []byte, charset string) {
		items, err := ParseFeedCharset("fuzz.xml", doc, "https://base.example/feed", charset)
		if err != nil {
			checkErr(t, "fuzz.xml", err)
			return
		}
		checkItems(t, items)
		for _, it := range items {
			if it.Feed != "" {
				t.Fatalf("remote item scoped to %q", it.Feed)
			}
		}
	})
}

// fuzzNames are the inputs a file can be: each extension class and stdin.
var fuzzNames = []string{"fuzz.xml", "fuzz.json", "fuzz.txt", "fuzz.md", "fuzz.html", "-", "fuzz.cdf"}

// FuzzParseFile runs the local input path (decoding, then detection by
// parsing) under every kind of name. Beyond FuzzParseFeed's checks: a JSON
// object or array is never stored as an article unless its name says it
// is one, and a feed file's items are scoped to a feed.
func FuzzParseFile(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		for i := range fuzzNames {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte, which uint8) {
		name := fuzzNames[int(which)%len(fuzzNames)]
		items, isFeed, _, err := parseFile(name, doc, time.Time{})
		if err != nil {
			checkErr(t, name, err)
			return
		}
		checkItems(t, items)
		if !isFeed {
			if len(items) != 1 || items[0].Title == "" {
				t.Fatalf("article items %+v", items)
			}
			if c := firstByte(doc); (c == '{' || c == '[') && !articleExt(name) && utf8.Valid(doc) && json.Valid(doc) {
				t.Fatalf("JSON %.40q stored as an article", doc)
			}
			return
		}
		for _, it := range items {
			if it.Feed == "" {
				t.Fatalf("feed item with no Feed: %+v", it)
			}
		}
	})
}

// FuzzToUTF8: the converter returns valid UTF-8 (or refuses binary data),
// and converting its output again changes nothing.
func FuzzToUTF8(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, "", false)
	}
	f.Add([]byte("<meta charset=koi8-r><p>\xf0\xd2\xc9\xd7\xc5\xd4"), "", true)
	f.Add([]byte("\xa3\xf3d\xbc"), "iso-8859-2", false)
	f.Fuzz(func(t *testing.T, doc []byte, label string, html bool) {
		out, err := toUTF8(doc, label, html)
		if err != nil {
			if err != errBinary {
				t.Fatalf("error %v", err)
			}
			return
		}
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 out of %q: %q", doc, out)
		}
		if bytes.HasPrefix(out, []byte("\xef\xbb\xbf")) {
			return // a second BOM inside the text is text, and goes on the next pass
		}
		again, err := toUTF8(out, label, html)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("second pass changed %q to %q (%v)", out, again, err)
		}
	})
}
