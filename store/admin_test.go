package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

func TestSourceActivity(t *testing.T) {
	db := mustOpenDB(t)
	now := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	ctx := context.Background()
	at := func(guid string, daysAgo int) feed.Item {
		it := item(guid, "", "Story "+guid, storyA+" "+guid)
		it.Published = now.Add(-time.Duration(daysAgo) * 24 * time.Hour)
		return it
	}
	// Distinct texts so nothing merges: each item counts for its own source.
	for src, items := range map[string][]feed.Item{
		"dawn":  {at("a", 0), at("b", 0), at("c", 2), at("old", 20)},
		"wires": {at("d", 3)},
	} {
		if _, err := db.Ingest(ctx, src, items, IngestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.SourceActivity(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"dawn": {0, 1, 0, 2}, "wires": {1, 0, 0, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SourceActivity = %v, want %v", got, want)
	}
}
