package fetch

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/topicfeed/topicfeed/internal/synth"
)

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func rssWith(item string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>` +
		`<link>https://site.example/news/</link><description>d</description>` + item + `</channel></rss>`
}

// TestParseFeedSanitises: content from the internet is republished with
// no scripts, handlers or javascript: links, and with absolute links.
func TestParseFeedSanitises(t *testing.T) {
	body := `<p onclick="steal()">Hello <a href="javascript:alert(1)">x</a> <a href="/about">about</a>` +
		`<script>alert(2)</script><img src="pic.png" onerror="alert(3)"><img src="data:image/png;base64,iVBORw0KGgo=">` +
		`<a href="data:text/html;base64,PHNjcmlwdD4=">d</a><iframe src="https://evil.example/"></iframe><style>p{}</style></p>`
	items, err := ParseFeed("hostile.rss", []byte(rssWith(`<item><title>Hi &lt;b&gt;there&lt;/b&gt;</title><link>/story?utm_source=x</link>`+
		`<description><![CDATA[`+body+`]]></description></item>`)), "https://site.example/news/feed")
	if err != nil {
		t.Fatal(err)
	}
	c := items[0].Content
	for _, bad := range []string{"<script", "onclick", "onerror", "javascript:", "data:text/html", "<iframe", "<style", "alert("} {
		if strings.Contains(c, bad) {
			t.Errorf("content keeps %q: %s", bad, c)
		}
	}
	for _, good := range []string{`href="https://site.example/about"`, `src="https://site.example/news/pic.png"`, `src="data:image/png;base64,`} {
		if !strings.Contains(c, good) {
			t.Errorf("content lacks %q: %s", good, c)
		}
	}
	if got := items[0].URL; got != "https://site.example/story" {
		t.Errorf("URL = %q, want resolved and canonical", got)
	}
	if got := items[0].Title; got != "Hi there" {
		t.Errorf("Title = %q, want the text without markup", got)
	}
}

// TestParseFeedBadInput: each bad document is one error naming the input,
// or (for decodable encodings) parsed right; never a panic or a hang.
func TestParseFeedBadInput(t *testing.T) {
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
		`<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">` +
		`<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">` +
		`<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">` +
		`<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">` +
		`<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">` +
		`<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>` +
		`<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><description>x</description></item></channel></rss>`
	latin1 := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>T</title>" +
		"<item><title>Caf\xe9 M\xfcller</title><description>d</description></item></channel></rss>"
	tests := []struct {
		name, doc string
		wantErr   bool
		title     string // when parsed
	}{
		{"malformed.xml", rssWith(`<item><title>x</title>`)[:80], true, ""},
		{"empty.xml", "   \n", true, ""},
		{"binary.xml", "\x00\x01\x02\xff\xfe garbage \x00", true, ""},
		{"bomb.xml", bomb, false, ""},
		{"latin1.xml", latin1, false, "Café Müller"},
		{"bom.xml", "\xef\xbb\xbf" + rssWith(`<item><title>With BOM</title><description>d</description></item>`), false, "With BOM"},
		{"invalid-utf8.xml", rssWith("<item><title>Bad \xff byte</title><description>d</description></item>"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := ParseFile(tt.name, []byte(tt.doc), fixedTime)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error; items %+v", items)
				}
				if msg := err.Error(); !strings.HasPrefix(msg, tt.name+": ") || strings.Contains(msg, "\n") {
					t.Errorf("error %q is not one line naming the input", msg)
				}
				return
			}
			if err != nil {
				// Refusing is acceptable for a bomb, if the message is clear.
				if !strings.HasPrefix(err.Error(), tt.name+": ") {
					t.Errorf("error %q does not name the input", err)
				}
				return
			}
			for _, it := range items {
				if len(it.Title) > 10_000 {
					t.Errorf("title expanded to %d bytes: entities must not be expanded", len(it.Title))
				}
			}
			if tt.title != "" && (len(items) == 0 || items[0].Title != tt.title) {
				t.Errorf("items = %+v, want title %q", items, tt.title)
			}
		})
	}
}

// An HTML page fetched where a feed was expected is an error naming it
// (a local .html file is an article instead: see ParseArticle).
func TestParseFeedHTMLPage(t *testing.T) {
	_, err := ParseFeed("https://site.example/", []byte("<!doctype html><html><body><p>not a feed</p></body></html>"), "")
	if err == nil || !strings.HasPrefix(err.Error(), "https://site.example/: not a feed") {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkParseFeed parses the refresh benchmark's 50-item feeds: gofeed
// alone, and ParseFeed, which also sanitises each entry and extracts its
// text. The difference is what topicfeed adds to every fetched item.
func BenchmarkParseFeed(b *testing.B) {
	feeds := make([][]byte, 16)
	for i := range feeds {
		feeds[i] = synth.RSS(i, 50)
	}
	run := func(b *testing.B, parse func([]byte) int) {
		items := 0
		for i := 0; b.Loop(); i++ {
			items += parse(feeds[i%len(feeds)])
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(items), "µs/item")
	}
	b.Run("gofeed", func(b *testing.B) {
		run(b, func(data []byte) int {
			f, err := gofeed.NewParser().Parse(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			return len(f.Items)
		})
	})
	b.Run("ParseFeed", func(b *testing.B) {
		run(b, func(data []byte) int {
			items, err := ParseFeed("bench", data, "https://site.example/feed")
			if err != nil {
				b.Fatal(err)
			}
			return len(items)
		})
	})
}
