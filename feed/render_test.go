package feed

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

var update = flag.Bool("update", false, "rewrite golden files")

func goldenItems() []*Item {
	t0 := time.Date(2026, 5, 20, 9, 30, 0, 0, time.UTC)
	return []*Item{
		{ID: 42, URL: "https://news.example.org/2026/05/relay", Title: "Lunar Relay Satellite Reaches Orbit",
			Content: `<p>A relay satellite reached lunar orbit &amp; began tests.</p>`, Text: "A relay satellite reached lunar orbit & began tests.",
			Author: "Orbit Desk", Categories: []string{"Space"}, Published: t0, Updated: t0.Add(2 * time.Hour),
			Sources: []string{"orbit", "wires"}},
		{ID: 7, Title: "Tram Line Opens — “at last”", Content: "<p>The first tram in forty years.</p>",
			Text: "The first tram in forty years.", Published: t0.Add(-48 * time.Hour), Updated: t0.Add(-48 * time.Hour),
			Sources: []string{"desk"}},
	}
}

func goldenChannel(f Format) Channel {
	return Channel{Title: "Space & rail", Description: "Golden test topic", Link: "http://localhost:8080/topics/golden",
		Self: "http://localhost:8080/topics/golden." + string(f), Hub: "https://hub.example.net/",
		BaseURL: "http://localhost:8080", Updated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// TestRenderGolden compares each format byte for byte with its golden file
// (go test ./feed -update rewrites them) and checks a real parser reads it.
func TestRenderGolden(t *testing.T) {
	for _, f := range []Format{RSS, Atom, JSON} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, f, goldenChannel(f), goldenItems()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden."+string(f)+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (go test ./feed -update to accept):\n%s", f, golden, buf.String())
			}
			checkParsed(t, buf.Bytes())
		})
	}
}

// TestRenderEmpty: a feed with no items (a new topic, a search that
// finds nothing) is still what its format requires; JSON Feed 1.1 wants
// "items" as an array, present even when empty.
func TestRenderEmpty(t *testing.T) {
	for _, f := range []Format{RSS, Atom, JSON} {
		var buf bytes.Buffer
		if err := Render(&buf, f, goldenChannel(f), nil); err != nil {
			t.Fatal(err)
		}
		pf, err := gofeed.NewParser().Parse(bytes.NewReader(buf.Bytes()))
		if err != nil || pf.Title != "Space & rail" || len(pf.Items) != 0 {
			t.Errorf("%s: gofeed reads %v, %v", f, pf, err)
		}
		if f != JSON {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if items, ok := doc["items"].([]any); !ok || len(items) != 0 {
			t.Errorf("JSON Feed \"items\" = %#v, want an empty array:\n%s", doc["items"], buf.String())
		}
	}
}

// checkParsed reads a rendered feed back as a reader would.
func checkParsed(t *testing.T, body []byte) {
	t.Helper()
	pf, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("gofeed cannot parse: %v", err)
	}
	if pf.Title != "Space & rail" || len(pf.Items) != 2 {
		t.Fatalf("parsed title %q with %d items", pf.Title, len(pf.Items))
	}
	first, second := pf.Items[0], pf.Items[1]
	if first.Title != "Lunar Relay Satellite Reaches Orbit" || first.Link != "https://news.example.org/2026/05/relay" {
		t.Errorf("first item = %q %q", first.Title, first.Link)
	}
	if first.GUID != "http://localhost:8080/items/42" {
		t.Errorf("id = %q, want the stable item URL", first.GUID)
	}
	if second.Title != "Tram Line Opens — “at last”" || second.Link != "http://localhost:8080/items/7" {
		t.Errorf("second item = %q %q; an item without a link gets its absolute item page", second.Title, second.Link)
	}
	if !strings.Contains(first.Content, "Seen in: orbit, wires") {
		t.Errorf("merged sources not shown: %q", first.Content)
	}
	if first.PublishedParsed == nil || !first.PublishedParsed.Equal(time.Date(2026, 5, 20, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("published = %v", first.PublishedParsed)
	}
}

// TestRenderFeedparser runs Python's feedparser, the parser behind many
// readers, over every format and wants bozo == 0 (well-formed, no warnings).
func TestRenderFeedparser(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import feedparser").Run(); err != nil {
		t.Skip("python3-feedparser not found (apt-get install python3-feedparser; .ci/run installs it)")
	}
	for _, f := range []Format{RSS, Atom, JSON} {
		var buf bytes.Buffer
		if err := Render(&buf, f, goldenChannel(f), goldenItems()); err != nil {
			t.Fatal(err)
		}
		if f == JSON {
			continue // feedparser 6 does not read JSON Feed; gofeed covers it
		}
		script := `import sys, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(int(d.bozo), len(d.entries), d.entries[0].id, d.entries[1].link, d.feed.title)`
		cmd := exec.Command(py, "-c", script)
		cmd.Stdin = &buf
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: feedparser: %v\n%s", f, err, out)
		}
		want := "0 2 http://localhost:8080/items/42 http://localhost:8080/items/7 Space & rail"
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: feedparser says %q, want %q", f, got, want)
		}
	}
}
