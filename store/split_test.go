package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// quayStory is a third story, about the harbour but in other words, so the
// matcher keeps it apart from storyA: a missed duplicate an editor merges.
const quayStory = `Dock workers cheered outside the port offices as the quay expansion was finally cleared for building.
Union leaders said the new quay would bring hundreds of jobs back to the waterfront within a decade.
Residents of the old quarter worry about lorries on their narrow streets at night and want a bypass.`

// dedupFixture is a store with topics, ingesting whole feeds as a source
// would send them again.
type dedupFixture struct {
	t      *testing.T
	db     *DB
	topics []*feed.Topic
}

func newDedupFixture(t *testing.T) *dedupFixture {
	db := mustOpenDB(t)
	topics := mustTopics(t, db, map[string]string{"harbour": "harbour", "heat": "heatwave"})
	topics = append(topics, &feed.Topic{Name: "from-c", Sources: []string{"c"}, Limit: 50})
	if err := db.SyncTopics(context.Background(), topics); err != nil {
		t.Fatal(err)
	}
	return &dedupFixture{t, db, topics}
}

func (f *dedupFixture) ingest(source string, items ...feed.Item) IngestResult {
	f.t.Helper()
	r, err := f.db.Ingest(context.Background(), source, items, IngestOptions{Topics: f.topics, NearDistance: 18})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *dedupFixture) itemOf(source, guid string) int64 {
	f.t.Helper()
	id, err := f.db.ItemForGUID(context.Background(), source, guid)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *dedupFixture) sourceID(name string) int64 {
	f.t.Helper()
	var id int64
	if err := f.db.db.QueryRow(`SELECT id FROM sources WHERE name = ?`, name).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// topicsOf lists the topics item id is a member of.
func (f *dedupFixture) topicsOf(id int64) string {
	f.t.Helper()
	rows, err := f.db.db.Query(`SELECT topic FROM topic_items WHERE item_id = ? ORDER BY topic`, id)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

// search lists the ids a query finds, as topicfeed search would.
func (f *dedupFixture) search(q string) string {
	f.t.Helper()
	ids := searchIDs(f.t, f.db, mustRule(f.t, q), 50)
	slices.Sort(ids)
	return fmt.Sprint(ids)
}

func wantIDs(ids ...int64) string { return fmt.Sprint(ids) }

// TestSplitCopy: a copy wrongly merged by link is split into an item of
// its own, which is rebuilt from the copy's text when its source sends it
// again, and stays split through any number of re-ingests.
func TestSplitCopy(t *testing.T) {
	ctx := context.Background()
	f := newDedupFixture(t)
	const link = "https://news.example/story"
	aFeed := []feed.Item{item("a-1", link, "Terminal approved", storyA)}
	bFeed := []feed.Item{item("b-1", link, "Heatwave in the valley", storyB)}
	f.ingest("a", aFeed...)
	if r := f.ingest("b", bFeed...); r.Merged != 1 {
		t.Fatalf("second copy = %+v, want merged by link (the wrong merge to correct)", r)
	}
	orig := f.itemOf("a", "a-1")

	edit, err := f.db.SplitCopy(ctx, orig, "b", f.topics)
	if err != nil {
		t.Fatal(err)
	}
	split := edit.NewItem
	cs, err := f.db.Copies(ctx, split)
	if err != nil {
		t.Fatal(err)
	}
	if edit.Action != "split" || edit.Item != orig || edit.Source != "b" || split == 0 || split == orig ||
		len(cs) != 1 || cs[0].ID != edit.Copy || !cs[0].First || cs[0].Editor == nil ||
		cs[0].Editor.Action != "split" || cs[0].Editor.From != orig || !cs[0].Editor.At.Equal(edit.At) {
		t.Fatalf("split = %+v, copies of the new item %+v", edit, cs)
	}
	if cs, _ := f.db.Copies(ctx, orig); len(cs) != 1 || cs[0].Source != "a" || cs[0].Editor != nil || !cs[0].First {
		t.Errorf("copies left in item %d: %+v", orig, cs)
	}
	it, err := f.db.Item(ctx, split)
	if err != nil {
		t.Fatal(err)
	}
	// No text of b's own is stored: the new item starts as the old one's.
	if it.Title != "Terminal approved" || it.URL != link || strings.Join(it.Sources, ",") != "b" {
		t.Errorf("new item before b sends its copy again = %q %q %v", it.Title, it.URL, it.Sources)
	}
	if got := f.topicsOf(split); got != "all,harbour" {
		t.Errorf("new item's topics = %s, want those of its text", got)
	}
	if got, want := f.search("source:b"), wantIDs(split); got != want {
		t.Errorf("search source:b = %s, want %s", got, want)
	}
	if got, want := f.search("source:a"), wantIDs(orig); got != want {
		t.Errorf("search source:a = %s, want %s", got, want)
	}

	// The copy comes again: the new item becomes the copy's own story.
	if r := f.ingest("b", bFeed...); r != (IngestResult{Updated: 1}) {
		t.Errorf("re-ingest after split = %+v, want the new item rebuilt from its copy", r)
	}
	for round := range 2 {
		if round == 1 {
			if r := f.ingest("b", bFeed...); r != (IngestResult{Unchanged: 1}) {
				t.Errorf("second re-ingest = %+v, want unchanged", r)
			}
			if r := f.ingest("a", aFeed...); r != (IngestResult{Unchanged: 1}) {
				t.Errorf("re-ingest of a = %+v, want unchanged", r)
			}
		}
		if got := f.itemOf("b", "b-1"); got != split {
			t.Fatalf("round %d: b's copy is in item %d, want %d (split undone)", round, got, split)
		}
		if n := count(t, f.db, "items"); n != 2 {
			t.Errorf("round %d: %d items, want 2", round, n)
		}
		if it, _ := f.db.Item(ctx, split); it.Title != "Heatwave in the valley" {
			t.Errorf("round %d: new item's title %q, want its copy's", round, it.Title)
		}
		if got := f.topicsOf(split); got != "all,heat" {
			t.Errorf("round %d: new item's topics = %s", round, got)
		}
		if got := f.topicsOf(orig); got != "all,harbour" {
			t.Errorf("round %d: old item's topics = %s", round, got)
		}
		if got, want := f.search("heatwave"), wantIDs(split); got != want {
			t.Errorf("round %d: search heatwave = %s, want %s", round, got, want)
		}
		if got, want := f.search("harbour"), wantIDs(orig); got != want {
			t.Errorf("round %d: search harbour = %s, want %s", round, got, want)
		}
	}
	if n := count(t, f.db, "search_queue"); n != 0 {
		t.Errorf("%d items left queued for the search index", n)
	}

	a, b := f.sourceID("a"), f.sourceID("b")
	for _, c := range []struct {
		name      string
		item, src int64
		feed      string
		guid, url string
		want      bool
	}{
		{"b's copy by guid", orig, b, "", "b-1", "", true},
		{"b's copy by guid, now scoped to a feed", orig, b, "feed.xml", "b-1", "", true},
		{"b's copy re-issued under a new guid", orig, b, "", "b-2", link, true},
		{"b's copy by link", orig, b, "", "", link, true},
		{"another entry of b", orig, b, "", "b-2", "https://news.example/other", false},
		{"the same guid from another source", orig, a, "", "b-1", "", false},
		{"a's copy, asked of the new item", split, a, "", "a-1", "", true},
		{"a's copy, asked of its own item", orig, a, "", "a-1", "", false},
	} {
		got, err := splitApart(ctx, f.db.db, c.item, c.src, c.feed, c.guid, c.url)
		if err != nil || got != c.want {
			t.Errorf("splitApart %s = %v %v, want %v", c.name, got, err, c.want)
		}
	}
	for _, p := range [][2]int64{{orig, split}, {split, orig}} {
		if apart, err := itemsKeptApart(ctx, f.db.db, p[0], p[1]); err != nil || !apart {
			t.Errorf("itemsKeptApart(%d, %d) = %v %v, want true", p[0], p[1], apart, err)
		}
	}
	if apart, _ := itemsKeptApart(ctx, f.db.db, orig, orig); apart {
		t.Error("an item is kept apart from itself")
	}
}

func TestSplitCopyRefusals(t *testing.T) {
	ctx := context.Background()
	f := newDedupFixture(t)
	const link = "https://news.example/story"
	f.ingest("a", item("a-1", link, "Terminal approved", storyA))
	// Two feeds of b with an entry at the same link: two copies from one
	// source (within one feed, a link two entries share names neither).
	f.ingest("b", item("b-1", link, "Terminal", storyA), inFeed("second.xml", item("b-2", link, "Terminal, updated", storyA+"\nMore to follow.")))
	orig := f.itemOf("a", "a-1")
	cs, err := f.db.Copies(ctx, orig)
	if err != nil || len(cs) != 3 {
		t.Fatalf("copies = %+v %v, want three", cs, err)
	}
	first := fmt.Sprint(cs[0].ID)
	tests := []struct {
		item     int64
		copy     string
		is       error
		wantText string
	}{
		{orig, first, feed.ErrRefused, fmt.Sprintf("item %d: copy %s (a) is the copy the item was made from; split its other copies off instead", orig, first)},
		{orig, "a", feed.ErrRefused, "the copy the item was made from"},
		{orig, "b", feed.ErrRefused, fmt.Sprintf(`item %d: copy "b": source b has 2 copies of the item (%d, %d); name one by its id`, orig, cs[1].ID, cs[2].ID)},
		{orig, "nosuch", ErrNotFound, fmt.Sprintf(`item %d: copy "nosuch": not found`, orig)},
		{orig, "424242", ErrNotFound, `copy "424242": not found`},
		{424242, "b", ErrNotFound, "item 424242: not found"},
	}
	for _, tc := range tests {
		_, err := f.db.SplitCopy(ctx, tc.item, tc.copy, f.topics)
		if !errors.Is(err, tc.is) || !strings.Contains(fmt.Sprint(err), tc.wantText) || strings.Contains(fmt.Sprint(err), "\n") {
			t.Errorf("split %d %s: %v, want %v: %q", tc.item, tc.copy, err, tc.is, tc.wantText)
		}
	}
	if n := count(t, f.db, "items") + count(t, f.db, "dedup_decisions"); n != 1 {
		t.Errorf("refused splits changed the store: %d items and decisions", n)
	}
	edit, err := f.db.SplitCopy(ctx, orig, fmt.Sprint(cs[2].ID), f.topics)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.db.SplitCopy(ctx, edit.NewItem, fmt.Sprint(cs[2].ID), f.topics)
	if !errors.Is(err, feed.ErrRefused) || !strings.Contains(err.Error(), "is its only copy") {
		t.Errorf("splitting an item's only copy: %v", err)
	}
}

// TestMergeItems: a missed duplicate merged by an editor stays merged when
// its source sends it again, changed or not.
func TestMergeItems(t *testing.T) {
	ctx := context.Background()
	f := newDedupFixture(t)
	aFeed := []feed.Item{item("a-1", "https://a.example/terminal", "Terminal approved", storyA)}
	cFeed := []feed.Item{item("c-1", "https://c.example/quay", "Quay expansion cleared", quayStory)}
	f.ingest("a", aFeed...)
	f.ingest("c", cFeed...)
	keep, gone := f.itemOf("a", "a-1"), f.itemOf("c", "c-1")
	if keep == gone {
		t.Fatal("the matcher merged the stories the test wants kept apart")
	}
	// gone's pin moves where keep has no choice; keep's hide stands.
	for _, c := range []struct {
		topic  string
		id     int64
		action string
	}{{"harbour", gone, Pin}, {"heat", keep, Hide}, {"heat", gone, Pin}} {
		if err := f.db.Curate(ctx, c.topic, c.id, c.action); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := f.search("quay"), wantIDs(gone); got != want {
		t.Fatalf("search quay before merge = %s, want %s", got, want)
	}

	edit, err := f.db.MergeItems(ctx, keep, gone, f.topics)
	if err != nil {
		t.Fatal(err)
	}
	if edit.Action != "merge" || edit.Item != keep || edit.Merged != gone || edit.Copies != 1 {
		t.Errorf("merge = %+v", edit)
	}
	check := func(when string) {
		t.Helper()
		if n := count(t, f.db, "items"); n != 1 {
			t.Errorf("%s: %d items, want 1", when, n)
		}
		if got := f.itemOf("c", "c-1"); got != keep {
			t.Errorf("%s: c's copy is in item %d, want %d", when, got, keep)
		}
		it, err := f.db.Item(ctx, keep)
		if err != nil || it.Title != "Terminal approved" || strings.Join(it.Sources, ",") != "a,c" {
			t.Errorf("%s: kept item = %+v %v", when, it, err)
		}
		if got := f.topicsOf(keep); got != "all,from-c,harbour" {
			t.Errorf("%s: kept item's topics = %s, want from-c through its new source", when, got)
		}
		if n := count(t, f.db, fmt.Sprintf("topic_items WHERE item_id = %d", gone)); n != 0 {
			t.Errorf("%s: merged item still in %d topics", when, n)
		}
		if got, want := f.search("source:c"), wantIDs(keep); got != want {
			t.Errorf("%s: search source:c = %s, want %s", when, got, want)
		}
		if got := f.search("quay"); got != wantIDs() {
			t.Errorf("%s: search quay = %s, want nothing (its text went with it)", when, got)
		}
	}
	check("after merge")
	cur, _ := f.db.Curations(ctx, "harbour")
	if len(cur) != 1 || cur[0].ItemID != keep || cur[0].Action != Pin {
		t.Errorf("harbour curation = %+v, want gone's pin moved to %d", cur, keep)
	}
	cur, _ = f.db.Curations(ctx, "heat")
	if len(cur) != 1 || cur[0].ItemID != keep || cur[0].Action != Hide {
		t.Errorf("heat curation = %+v, want keep's own hide", cur)
	}
	cs, err := f.db.Copies(ctx, keep)
	if err != nil || len(cs) != 2 || cs[1].Reason != fmt.Sprintf("editor: merged item %d", gone) ||
		cs[1].Editor == nil || cs[1].Editor.Action != "merge" || cs[1].Editor.From != gone || cs[1].First || !cs[0].First {
		t.Errorf("copies after merge = %+v %v", cs, err)
	}

	if r := f.ingest("c", cFeed...); r != (IngestResult{Unchanged: 1}) {
		t.Errorf("re-ingest of c = %+v, want unchanged", r)
	}
	check("after re-ingest")
	edited := item("c-1", "https://c.example/quay", "Quay expansion cleared, work starts", quayStory+"\nWork starts in May.")
	if r := f.ingest("c", edited); r != (IngestResult{Updated: 1}) {
		t.Errorf("re-ingest of c, edited = %+v, want one copy updated", r)
	}
	check("after an edit of the merged copy")
	if r := f.ingest("a", aFeed...); r != (IngestResult{Unchanged: 1}) {
		t.Errorf("re-ingest of a = %+v", r)
	}

	for _, tc := range []struct {
		keep, gone int64
		is         error
		want       string
	}{
		{keep, keep, feed.ErrRefused, fmt.Sprintf("item %d: cannot merge an item into itself", keep)},
		{keep, gone, ErrNotFound, fmt.Sprintf("item %d: not found", gone)},
		{424242, keep, ErrNotFound, "item 424242: not found"},
	} {
		_, err := f.db.MergeItems(ctx, tc.keep, tc.gone, f.topics)
		if !errors.Is(err, tc.is) || err.Error() != tc.want {
			t.Errorf("merge %d into %d: %v, want %q", tc.gone, tc.keep, err, tc.want)
		}
	}
}

// TestEditorDecisionsFollowMerges: a split keeps apart the items its
// copies are in after later merges; merging the two items ends it.
func TestEditorDecisionsFollowMerges(t *testing.T) {
	ctx := context.Background()
	f := newDedupFixture(t)
	const link = "https://news.example/story"
	f.ingest("a", item("a-1", link, "Terminal approved", storyA))
	f.ingest("b", item("b-1", link, "Heatwave", storyB))
	f.ingest("c", item("c-1", "https://c.example/quay", "Quay expansion cleared", quayStory))
	x, y := f.itemOf("a", "a-1"), f.itemOf("c", "c-1")
	apart := func(a, b int64) bool {
		t.Helper()
		ok, err := itemsKeptApart(ctx, f.db.db, a, b)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	edit, err := f.db.SplitCopy(ctx, x, "b", f.topics)
	if err != nil {
		t.Fatal(err)
	}
	s := edit.NewItem
	if _, err := f.db.MergeItems(ctx, y, x, f.topics); err != nil {
		t.Fatal(err)
	}
	if !apart(y, s) || apart(y, x) {
		t.Errorf("after merging %d into %d: kept apart from %d = %v, want the split carried over", x, y, s, apart(y, s))
	}
	if ok, _ := splitApart(ctx, f.db.db, y, f.sourceID("b"), "", "b-1", ""); !ok {
		t.Error("b's copy may join the item its old item was merged into")
	}
	// The editor changes their mind: the split copy goes back.
	if _, err := f.db.MergeItems(ctx, y, s, f.topics); err != nil {
		t.Fatal(err)
	}
	if apart(y, s) {
		t.Error("merging two items split apart left them kept apart")
	}
	cs, _ := f.db.Copies(ctx, y)
	var sources []string
	for _, c := range cs {
		sources = append(sources, c.Source)
		if c.Source == "b" && (c.Editor == nil || c.Editor.Action != "merge" || c.Editor.From != s) {
			t.Errorf("b's copy: %+v, want its last move, the merge from %d", c, s)
		}
	}
	if strings.Join(sources, ",") != "a,b,c" || count(t, f.db, "items") != 1 {
		t.Errorf("copies %v in %d items, want a,b,c in one", sources, count(t, f.db, "items"))
	}
	// A deleted item (pruned, its source removed) takes its splits along,
	// so a new item given its id inherits none.
	edit, err = f.db.SplitCopy(ctx, y, "b", f.topics)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.db.Exec(`DELETE FROM items WHERE id = ?`, edit.NewItem); err != nil {
		t.Fatal(err)
	}
	if n := count(t, f.db, fmt.Sprintf("dedup_decisions WHERE kind = 'split' AND %d IN (item_a, item_b)", edit.NewItem)); n != 0 {
		t.Errorf("%d splits of a deleted item left", n)
	}
}
