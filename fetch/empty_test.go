package fetch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestEmptyEntriesCounted: an entry with no title, text or link is left
// out, and counted, never dropped silently.
func TestEmptyEntriesCounted(t *testing.T) {
	doc := `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://a.example/</link>
<item><title>Kept</title><link>https://a.example/1</link></item>
<item><description>  </description></item>
<item><link>https://a.example/only-a-link</link></item>
<item><guid isPermaLink="false">x-9</guid></item>
</channel></rss>`
	items, empty, err := ParseFeedEmpty("t.rss", []byte(doc), "https://a.example/feed", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || empty != 2 {
		t.Errorf("%d items, %d empty; want 2 and 2", len(items), empty)
	}
	path := filepath.Join(t.TempDir(), "t.rss")
	os.WriteFile(path, []byte(doc), 0o644)
	if f := ReadFile(context.Background(), path, nil); f.Err != nil || len(f.Items) != 2 || f.Empty != 2 {
		t.Errorf("ReadFile: %d items, %d empty, %v; want 2 and 2", len(f.Items), f.Empty, f.Err)
	}
}
