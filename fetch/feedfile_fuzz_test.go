package fetch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseFeed feeds arbitrary documents to the feed ingest path and
// checks what a reader would get: no panic, errors that name the input on
// one line, and items with valid UTF-8 and no script in their content.
func FuzzParseFeed(f *testing.F) {
	for _, dir := range []string{"../examples/feeds", "testdata/feeds"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(rssWith(`<item><title>x</title><description><![CDATA[<script>x</script><a href="/a">a</a>]]></description></item>`)))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"j","items":[{"id":"1","content_html":"<b>x</b>"}]}`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">&lt;i&gt;t&lt;/i&gt;</title></entry></feed>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		items, err := ParseFeed("fuzz.xml", doc, "https://base.example/feed")
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.xml: ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one line naming the input", msg)
			}
			return
		}
		for _, it := range items {
			if !utf8.ValidString(it.Title) || !utf8.ValidString(it.Content) {
				t.Fatalf("invalid UTF-8 in %+v", it)
			}
			if strings.Contains(strings.ToLower(it.Content), "<script") {
				t.Fatalf("script in content: %q", it.Content)
			}
		}
	})
}
