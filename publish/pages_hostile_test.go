package publish_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/publish"
)

// TestPagesHostileFeed takes a hostile feed through the real path (parse,
// sanitise, store) and checks that no page or feed that shows the item
// carries any of its scripts, handlers or javascript: links.
func TestPagesHostileFeed(t *testing.T) {
	f := newFixture(t)
	doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><link>https://evil.example/</link>` +
		`<item><guid>evil-1</guid><title>Harbour &lt;script&gt;alert(1)&lt;/script&gt; news</title>` +
		`<link>javascript:alert(3)</link><description><![CDATA[<p>Harbour story <script>alert(4)</script>` +
		`<a href="javascript:alert(5)">x</a><img src="/a.png" onerror="alert(6)"></p>]]></description></item></channel></rss>`
	items, err := fetch.ParseFeed("evil.rss", []byte(doc), "https://evil.example/feed")
	if err != nil {
		t.Fatal(err)
	}
	f.ingest(t, "evil", items...)
	h := f.publisher(publish.Options{}).Handler()
	page := do(h, "GET", "/topics/harbour").Body.String()
	id := regexp.MustCompile(`/items/(\d+)">Harbour news`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("hostile item not listed with its cleaned title:\n%s", page)
	}
	for _, path := range []string{"/", "/topics/harbour", "/items/" + id[1], "/topics/harbour.rss", "/topics/harbour.atom", "/topics/harbour.json"} {
		w := do(h, "GET", path)
		if w.Code != 200 {
			t.Fatalf("%s: %d", path, w.Code)
		}
		for _, bad := range []string{"alert(", "<script", "onerror", "javascript:"} {
			if strings.Contains(w.Body.String(), bad) {
				t.Errorf("%s carries %q", path, bad)
			}
		}
	}
}
