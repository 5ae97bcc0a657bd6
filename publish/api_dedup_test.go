package publish_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/store"
)

// The store is what serve's admin adapter embeds: it edits dedup itself.
var _ publish.DedupEditor = (*store.DB)(nil)

// It is also what the search handler consumes.
var _ publish.Searcher = (*store.DB)(nil)

// TestAPISplitMerge: the wires copy of a different story, merged into d1's
// item by its link, is split off through the API, comes again as itself,
// and is merged back; feeds change at once.
func TestAPISplitMerge(t *testing.T) {
	h, f, _ := apiHandler(t)
	ctx := context.Background()
	strike := feed.Item{GUID: "w9", URL: "https://news.example.org/d1", Title: "Ferry Strike Called Off",
		Text: "Ferry crews called off their strike after the operator agreed to restore the night sailings.", Published: t0}
	f.ingest(t, "wires", strike)
	item, _ := f.db.ItemForGUID(ctx, "dawn", "d1")
	if got, _ := f.db.ItemForGUID(ctx, "wires", "w9"); got != item {
		t.Fatalf("the strike story is item %d, want merged into %d by its link", got, item)
	}
	allItems := func() int { return strings.Count(do(h, "GET", "/topics/all.rss").Body.String(), "<item>") }
	if n := allItems(); n != 3 { // cached from here: split and merge must drop it
		t.Fatalf("all topic holds %d items, want 3", n)
	}
	path := func(id int64, action string) string { return fmt.Sprintf("/api/items/%d/%s", id, action) }

	code, out := call(t, h, "GET", path(item, "copies"), "")
	copies, _ := out["copies"].([]any)
	if code != 200 || len(copies) != 2 {
		t.Fatalf("copies: %d %v", code, out)
	}
	first, wires := copies[0].(map[string]any), copies[1].(map[string]any)
	if first["first"] != true || wires["source"] != "wires" || wires["first"] != nil {
		t.Errorf("copies = %v, want dawn's first", copies)
	}

	code, out = call(t, h, "POST", path(item, "split"), `{"copy": "wires"}`)
	if code != 200 || out["action"] != "split" || out["copy"] != wires["id"] || out["source"] != "wires" || out["new_item"] == nil {
		t.Fatalf("split: %d %v", code, out)
	}
	split := int64(out["new_item"].(float64))
	if n := allItems(); n != 4 {
		t.Errorf("all topic holds %d items after split, want 4 (cache dropped)", n)
	}
	code, out = call(t, h, "GET", path(split, "copies"), "")
	moved, _ := out["copies"].([]any)
	if code != 200 || len(moved) != 1 {
		t.Fatalf("copies of the new item: %d %v", code, out)
	}
	if ed, _ := moved[0].(map[string]any)["editor"].(map[string]any); ed["action"] != "split" || ed["from"] != float64(item) || ed["at"] == nil {
		t.Errorf("the split copy's editor record = %v", ed)
	}
	f.ingest(t, "wires", strike) // the copy comes again: the new item becomes it
	if _, out := call(t, h, "GET", fmt.Sprintf("/api/items/%d", split), ""); out["item"].(map[string]any)["title"] != strike.Title {
		t.Errorf("split item after re-ingest: %v", out)
	}
	if got, _ := f.db.ItemForGUID(ctx, "wires", "w9"); got != split {
		t.Errorf("re-ingest put the strike story in item %d, want %d", got, split)
	}

	code, out = call(t, h, "POST", path(item, "merge"), fmt.Sprintf(`{"item": %d}`, split))
	if code != 200 || out["action"] != "merge" || out["merged"] != float64(split) || out["copies"] != float64(1) {
		t.Fatalf("merge: %d %v", code, out)
	}
	if n := allItems(); n != 3 {
		t.Errorf("all topic holds %d items after merge, want 3", n)
	}
	if code, _ := call(t, h, "GET", fmt.Sprintf("/api/items/%d", split), ""); code != 404 {
		t.Errorf("merged item: %d, want 404", code)
	}

	tests := []struct {
		name, method, path, body string
		want                     int
		err                      string
	}{
		{"first copy", "POST", path(item, "split"), fmt.Sprintf(`{"copy": %v}`, first["id"]), 400, "is the copy the item was made from"},
		{"unknown source", "POST", path(item, "split"), `{"copy": "nosuch"}`, 404, `copy "nosuch": not found`},
		{"unknown copy", "POST", path(item, "split"), `{"copy": 99999}`, 404, `copy "99999": not found`},
		{"unknown item", "POST", path(99999, "split"), `{"copy": 1}`, 404, "item 99999: not found"},
		{"no copy", "POST", path(item, "split"), `{}`, 400, `copy (none): want {"copy": ID}`},
		{"copy not a number or name", "POST", path(item, "split"), `{"copy": true}`, 400, `copy true: want`},
		{"unknown field", "POST", path(item, "split"), `{"copy": 1, "into": 2}`, 400, "unknown field"},
		{"bad id in path", "POST", "/api/items/x/split", `{"copy": 1}`, 400, `item id "x"`},
		{"merge into itself", "POST", path(item, "merge"), fmt.Sprintf(`{"item": %d}`, item), 400, "cannot merge an item into itself"},
		{"merge unknown", "POST", path(item, "merge"), `{"item": 99999}`, 404, "item 99999: not found"},
		{"merge into unknown", "POST", path(99999, "merge"), fmt.Sprintf(`{"item": %d}`, item), 404, "item 99999: not found"},
		{"merge nothing", "POST", path(item, "merge"), `{}`, 400, `item 0: want {"item": ID}`},
		{"copies of unknown item", "GET", path(99999, "copies"), "", 404, "item 99999: not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := call(t, h, tc.method, tc.path, tc.body)
			if msg, _ := out["error"].(string); code != tc.want || !strings.Contains(msg, tc.err) {
				t.Errorf("status %d %q, want %d with %q", code, msg, tc.want, tc.err)
			}
		})
	}
	for _, p := range []string{path(item, "split"), path(item, "merge")} {
		if w := do(h, "POST", p); w.Code != 401 {
			t.Errorf("POST %s without a token: %d, want 401", p, w.Code)
		}
	}
}

// An admin store that cannot edit dedup answers 501, not a panic.
func TestAPISplitUnsupported(t *testing.T) {
	f := newFixture(t)
	h := f.publisher(publish.Options{Admin: struct{ publish.AdminStore }{admin{f.db}}, AdminToken: token}).Handler()
	if code, out := call(t, h, "POST", "/api/items/1/split", `{"copy": 2}`); code != 501 || out["error"] == nil {
		t.Errorf("split: %d %v, want 501", code, out)
	}
}
