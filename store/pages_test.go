package store

import (
	"context"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// TestSavePagesTransient: a page that failed for a while leaves no row,
// so its item stays due, while its error is the source's page error; a
// permanent failure is a row, and the item is not due again.
func TestSavePagesTransient(t *testing.T) {
	ctx := context.Background()
	db, opt, a, b, idA, idB := twoTeasers(t)
	err := db.SavePages(ctx, "s1", []Page{
		{Item: idA, URL: a.URL, Err: "GET https://example.com/a: 404 Not Found"},
		{Item: idB, URL: b.URL, Err: "GET https://example.com/b: 503 Service Unavailable", Transient: true},
	}, opt)
	if err != nil {
		t.Fatal(err)
	}
	due, err := db.PagesDue(ctx, "s1", time.Hour, 10)
	if err != nil || len(due) != 1 || due[0].Item != idB {
		t.Fatalf("due: %+v, %v; want the 503 item alone", due, err)
	}
	srcs, err := db.Sources(ctx)
	if err != nil || len(srcs) != 1 {
		t.Fatal(srcs, err)
	}
	if s := srcs[0]; s.PageError != "GET https://example.com/b: 503 Service Unavailable" || s.PageFailures != 1 {
		t.Errorf("page state %q/%d, want the 503 shown and the 404 counted", s.PageError, s.PageFailures)
	}
}

// twoTeasers is a store holding two short teasers, a and b, from source
// s1, for a full_content source's page tests, with their ids.
func twoTeasers(t *testing.T) (*DB, IngestOptions, feed.Item, feed.Item, int64, int64) {
	t.Helper()
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil)}
	a := item("a", "https://example.com/a", "Terminal", "A short teaser.")
	b := item("b", "https://example.com/b", "Heatwave", "Another short teaser.")
	if _, err := db.Ingest(ctx, "s1", []feed.Item{a, b}, opt); err != nil {
		t.Fatal(err)
	}
	idA, _ := db.ItemForGUID(ctx, "s1", "a")
	idB, _ := db.ItemForGUID(ctx, "s1", "b")
	return db, opt, a, b, idA, idB
}
