package fetch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestEmptyEntriesCounted: an entry with no title, text, link or
// enclosure is left out, and counted, never dropped silently.
func TestEmptyEntriesCounted(t *testing.T) {
	doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://a.example/</link>
<item><title>Kept</title><link>https://a.example/1</link></item>
<item><description>  </description></item>
<item><link>https://a.example/only-a-link</link></item>
<item><guid isPermaLink="false">x-9</guid></item>
<item><enclosure url="https://a.example/ep9.mp3" type="audio/mpeg" length="1200"/></item>
</channel></rss>`
	items, empty, err := ParseFeedEmpty("t.rss", []byte(doc), "https://a.example/feed", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || empty != 2 {
		t.Fatalf("%d items, %d empty; want 3 and 2", len(items), empty)
	}
	if ep := items[2]; ep.URL != "https://a.example/ep9.mp3" || ep.Title != ep.URL {
		t.Errorf("enclosure-only entry: %q at %q, want titled and linked by its media", ep.Title, ep.URL)
	}
	path := filepath.Join(t.TempDir(), "t.rss")
	os.WriteFile(path, []byte(doc), 0o644)
	if f := ReadFile(context.Background(), path, nil); f.Err != nil || len(f.Items) != 3 || f.Empty != 2 {
		t.Errorf("ReadFile: %d items, %d empty, %v; want 3 and 2", len(f.Items), f.Empty, f.Err)
	}
}
