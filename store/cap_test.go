package store

import (
	"context"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// TestContentCap: an item longer than retention.max_content is stored cut
// at a paragraph, with a link to the rest, and the same input ingested
// again is unchanged.
func TestContentCap(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), MaxContent: 4096}
	var content, text strings.Builder
	for i := range 400 {
		p := "Paragraph " + strings.Repeat("x", i%7) + " of the long report goes on."
		content.WriteString("<p>" + p + "</p>")
		text.WriteString(p + "\n\n")
	}
	long := item("long", "https://long.example/report", "Report", text.String())
	long.Content = content.String()
	long.Site = feed.Site{Name: "Long Reads"}
	for round, want := range []IngestResult{{New: 1}, {Unchanged: 1}} {
		in := long // each round from the input as it came
		if r, err := db.Ingest(ctx, "long", []feed.Item{in}, opt); err != nil || r != want {
			t.Fatalf("round %d: %+v, %v; want %+v", round, r, err, want)
		}
	}
	items, err := db.TopicItems(ctx, feed.AllTopic, 1)
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	if len(it.Content) > 4096 || len(it.Text) > 4096 {
		t.Errorf("stored %d bytes of content, %d of text; cap 4096", len(it.Content), len(it.Text))
	}
	if !strings.HasSuffix(it.Content, `</p><p><em>Continue reading at <a href="https://long.example/report">Long Reads</a>.</em></p>`) {
		t.Errorf("content ends …%q", it.Content[max(0, len(it.Content)-120):])
	}
}
