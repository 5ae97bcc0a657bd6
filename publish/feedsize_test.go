package publish_test

import (
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/publish"
)

// TestFeedWithinMaxBody: however long an item, a served topic feed
// stays within refresh.max_body, the most a reader (or topicfeed) reads;
// the long item keeps its summary and a link to the rest.
func TestFeedWithinMaxBody(t *testing.T) {
	f := newFixture(t)
	long := story("long", "Harbour Inquiry Report Published", strings.Repeat("The inquiry heard from the harbour pilots again. ", 4000), time.Hour)
	f.ingest(t, "dawn", long)
	const max = 64 << 10
	h := f.publisher(publish.Options{MaxBody: max}).Handler()
	for _, path := range []string{"/topics/harbour.rss", "/topics/harbour.atom", "/topics/harbour.json"} {
		w := do(h, "GET", path)
		if w.Code != 200 || w.Body.Len() > max {
			t.Errorf("%s: status %d, %d bytes; max_body %d", path, w.Code, w.Body.Len(), max)
		}
		for _, want := range []string{"Harbour Inquiry Report Published", "Continue reading at", "Port Pilot Boat Launched"} {
			if !strings.Contains(w.Body.String(), want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
}
