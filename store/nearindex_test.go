package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

const storyC = `The city council voted to close the old tram depot and move the workshops to the northern sidings.
Unions said two hundred jobs were safe but warned that the longer commute would hurt night shifts.
The depot site is to be sold for housing, with a fifth of the flats let at social rents, the mayor said.`

// nearCopy is text a near-duplicate of s: one word changed.
func nearCopy(s string) string {
	f := strings.Fields(s)
	f[len(f)/2] = "altered"
	return strings.Join(f, " ")
}

// TestNearIndexSeesOtherProcesses: two handles on one file stand for
// serve and a cron refresh. Each finds near-copies of what the other
// stored, including an edit's new text, and a key of an item deleted
// behind its back costs nothing.
func TestNearIndexSeesOtherProcesses(t *testing.T) {
	ctx := context.Background()
	serve := mustOpenDB(t)
	cron, err := Open(ctx, serve.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer cron.Close()
	opt := IngestOptions{Topics: mustTopics(t, serve, nil), NearDistance: 18}
	ingest := func(db *DB, src string, it feed.Item) IngestResult {
		t.Helper()
		r, err := db.Ingest(ctx, src, []feed.Item{it}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	idOf := func(src, guid string) int64 {
		t.Helper()
		id, err := serve.ItemForGUID(ctx, src, guid)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	ingest(serve, "s1", item("a", "", "Terminal", storyA)) // serve reads the (empty) index
	if r := ingest(cron, "s2", item("a2", "", "Terminal", nearCopy(storyA))); r.Merged != 1 {
		t.Errorf("cron, copy of serve's item: %+v, want merged", r)
	}
	ingest(cron, "s2", item("b", "", "Heatwave", storyB))
	if r := ingest(serve, "s3", item("b3", "", "Heatwave", nearCopy(storyB))); r.Merged != 1 {
		t.Errorf("serve, copy of cron's item: %+v, want merged", r)
	}
	if idOf("s3", "b3") != idOf("s2", "b") {
		t.Errorf("b3 joined item %d, want %d", idOf("s3", "b3"), idOf("s2", "b"))
	}

	// cron edits a into storyC: serve matches the new text, not the old.
	if r := ingest(cron, "s1", item("a", "", "Depot", storyC)); r.Updated != 1 {
		t.Fatalf("edit: %+v", r)
	}
	if r := ingest(serve, "s4", item("c4", "", "Depot", nearCopy(storyC))); r.Merged != 1 || idOf("s4", "c4") != idOf("s1", "a") {
		t.Errorf("serve, copy of cron's edit: %+v, joined %d, want merged into %d", r, idOf("s4", "c4"), idOf("s1", "a"))
	}
	if r := ingest(serve, "s5", item("a5", "", "Terminal", strings.ReplaceAll(storyA, "the", "a"))); r.New != 1 {
		t.Errorf("serve, copy of a's text before the edit: %+v, want new", r)
	}

	// Exact copies are found through the same index, near matching off.
	exact := opt
	exact.NearDistance = 0
	if r, err := cron.Ingest(ctx, "s7", []feed.Item{item("c7", "", "Depot", storyC)}, exact); err != nil || r.Merged != 1 || idOf("s7", "c7") != idOf("s1", "a") {
		t.Errorf("cron, exact copy of the edit: %+v, %v; want merged into %d", r, err, idOf("s1", "a"))
	}

	// Another process deletes b: serve still holds its keys, and a copy
	// of it is now simply new.
	if _, err := cron.db.Exec(`DELETE FROM items WHERE id = ?`, idOf("s2", "b")); err != nil {
		t.Fatal(err)
	}
	if r := ingest(serve, "s6", item("b6", "", "Heatwave", nearCopy(storyB))); r.New != 1 {
		t.Errorf("copy of a deleted item: %+v, want new", r)
	}
	var keys, items int
	serve.db.QueryRow(`SELECT count(*), count(DISTINCT item_id) FROM item_keys`).Scan(&keys, &items)
	if want := count(t, serve, "items"); keys != want || items != want {
		t.Errorf("item_keys: %d rows for %d items, want one per item (%d)", keys, items, want)
	}
}

// TestNearIndexFold checks that folding recent keys into the sorted array
// keeps every lookup's answer, and that ids too large for an entry stay
// findable.
func TestNearIndexFold(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := newNearIndex()
	want := map[uint32][]int64{}
	add := func(n int) {
		for range n {
			k := uint32(r.IntN(5000)) // small key space: many keys repeat
			id := int64(r.IntN(1 << 20))
			if r.IntN(100) == 0 {
				id = math.MaxUint32 + 1 + id
			}
			x.recent.add(k, id)
			x.nrecent++
			want[k] = append(want[k], id)
		}
	}
	check := func(stage string) {
		t.Helper()
		for k, ids := range want {
			var got []int64
			x.lookup(int64(uint64(k)<<32|0xdead), func(id int64) { got = append(got, id) })
			slices.Sort(got)
			w := slices.Sorted(slices.Values(ids))
			if !slices.Equal(got, w) {
				t.Fatalf("%s: key %d: got %v, want %v", stage, k, got, w)
			}
		}
	}
	add(20000)
	check("before fold")
	x.sorted = make([]uint64, 0, 10) // room for an in-place merge at first
	for round := range 12 {
		x.fold()
		if !slices.IsSorted(x.sorted) || !slices.IsSorted(x.mid) {
			t.Fatalf("fold %d: not sorted", round)
		}
		x.recent.all(func(_ uint32, id int64) {
			if id <= math.MaxUint32 {
				t.Fatalf("fold %d: recent still holds id %d", round, id)
			}
		})
		check("after fold")
		add(70000) // past 4*foldAt after a few rounds: mid merges into sorted
		check("after more")
	}
	if len(x.sorted) == 0 {
		t.Fatal("mid never merged into sorted")
	}
}

// undo0016 takes a database back to what migration 0016 found.
var undo0016 = []string{`ALTER TABLE sources DROP COLUMN lease_until`, `ALTER TABLE sources DROP COLUMN lease_owner`}

// undo0015 takes a database back to what migration 0015 found (and
// undoes every later one).
var undo0015 = append(slices.Clone(undo0016), `ALTER TABLE sources DROP COLUMN poll_gap`, `ALTER TABLE sources DROP COLUMN poll_newest`)

// undo0014 takes a database back to what migration 0014 found (and
// undoes 0015 first; 0013 replays as it is).
var undo0014 = append(slices.Clone(undo0015), `DROP INDEX item_pages_source`, `ALTER TABLE item_pages DROP COLUMN feed_hash`,
	`ALTER TABLE item_pages DROP COLUMN text`, `ALTER TABLE item_pages DROP COLUMN content`)

// undo0012 takes a database back to what migration 0012 found (and
// undoes 0014 first).
var undo0012 = append(slices.Clone(undo0014), `DROP TABLE websub`, `DROP TABLE item_pages`, `ALTER TABLE sources DROP COLUMN page_error`)

// undo0011 takes a database back to what migration 0011 found (and
// undoes 0012 first).
var undo0011 = append(slices.Clone(undo0012), `ALTER TABLE sources DROP COLUMN poll_reason`, `ALTER TABLE sources DROP COLUMN poll_interval`)

// undo0010 takes a database back to what migration 0010 found (and
// undoes the later migrations first).
var undo0010 = append(slices.Clone(undo0011), `ALTER TABLE sightings DROP COLUMN site_url`, `ALTER TABLE sightings DROP COLUMN site`,
	`ALTER TABLE items DROP COLUMN media`)

// undo0008 takes a database back to what migration 0008 found (and
// undoes 0010 first; 0009 replays as it is).
var undo0008 = append(slices.Clone(undo0010), `DROP TABLE tombstones`, `DROP INDEX sightings_source`, `DROP INDEX sightings_guid`,
	`ALTER TABLE sightings DROP COLUMN units`, `ALTER TABLE sightings DROP COLUMN feed`,
	`CREATE UNIQUE INDEX sightings_guid ON sightings(source_id, guid) WHERE guid <> ''`)

// undo0005 takes a database back to what migration 0005 found (and
// undoes the later migrations first).
var undo0005 = append(slices.Clone(undo0008), `DROP TABLE item_keys`, `DELETE FROM sqlite_sequence WHERE name = 'item_keys'`,
	`CREATE TABLE item_bands (key INTEGER NOT NULL,
		item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
		PRIMARY KEY (key, item_id)) WITHOUT ROWID`,
	`CREATE INDEX items_content_hash ON items(content_hash)`)

// TestItemKeysMigrates: migration 0005 gives items stored before it their
// keys, from the MinHash and content hash each holds, and near and exact
// matching find them.
func TestItemKeysMigrates(t *testing.T) {
	sqliteOnly(t, "replays SQLite migration 0005")
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	empty := item("e", "", "", " ")
	empty.Content = ""
	if _, err := db.Ingest(ctx, "s1", []feed.Item{item("a", "", "Terminal", storyA), item("b", "", "Heatwave", storyB), empty}, opt); err != nil {
		t.Fatal(err)
	}
	wantKeys := map[int64][]byte{}
	rows, err := db.db.Query(`SELECT item_id, keys FROM item_keys`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var b []byte
		rows.Scan(&id, &b)
		wantKeys[id] = b
	}
	rows.Close()
	if len(wantKeys) != 2 {
		t.Fatalf("%d items with keys before migrating, want 2 (the empty item has none)", len(wantKeys))
	}
	for _, stmt := range append(undo0005, `PRAGMA user_version = 4`) {
		if _, err := db.db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(ctx, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, want := range wantKeys {
		var got []byte
		// Migration 0005 had no lede keys to write: those come from ingest.
		want = want[:min(len(want), (16+1)*nearKeyBytes)]
		if err := db.db.QueryRow(`SELECT keys FROM item_keys WHERE item_id = ?`, id).Scan(&got); err != nil || !slices.Equal(got, want) {
			t.Errorf("item %d: migrated keys %x (%v), want %x", id, got, err, want)
		}
	}
	if r, err := db.Ingest(ctx, "s2", []feed.Item{item("b2", "", "Heatwave", nearCopy(storyB))}, opt); err != nil || r.Merged != 1 {
		t.Errorf("near copy after migrating: %+v, %v; want merged", r, err)
	}
	opt.NearDistance = 0
	if r, err := db.Ingest(ctx, "s2", []feed.Item{item("a2", "", "Terminal", storyA)}, opt); err != nil || r.Merged != 1 {
		t.Errorf("exact copy after migrating: %+v, %v; want merged", r, err)
	}
}

// TestExactCopyInOneBatch: an exact copy finds the item stored earlier in
// its own batch, and an edit in the batch moves the hash it is found by.
// The copies come from other feed documents of the source (files of one
// folder): within one feed, other guids would be other entries.
func TestExactCopyInOneBatch(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil)}
	in := func(f string, it feed.Item) feed.Item { it.Feed = f; return it }
	r, err := db.Ingest(ctx, "s1", []feed.Item{
		item("a", "", "Terminal", storyA),
		in("f2", item("b", "", "Terminal", storyA)), // exact copy: merges into a
		item("a", "", "Depot", storyC),              // a rewritten
		in("f3", item("c", "", "Terminal", storyA)), // storyA is now only b's copy: new
		in("f4", item("d", "", "Depot", storyC)),    // a's new text: merges into a
	}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := (IngestResult{New: 2, Merged: 2, Updated: 1}); r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
	a, _ := db.ItemForGUID(ctx, "s1", "a")
	b, _ := db.ItemForGUID(ctx, "s1", "b")
	c, _ := db.ItemForGUID(ctx, "s1", "c")
	d, _ := db.ItemForGUID(ctx, "s1", "d")
	if a == 0 || b != a || d != a || c == a {
		t.Errorf("ids a=%d b=%d c=%d d=%d: want b and d in a, c apart", a, b, c, d)
	}
}

// TestIdentitiesAcrossBatchesInOneTransaction: guids and links read once
// per batch still see what earlier batches of the same transaction wrote
// and edited, a source's second batch included.
func TestIdentitiesAcrossBatchesInOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 12}
	edited := storyA + "\nThe vote was unanimous."
	res, err := db.IngestBatches(ctx, []Batch{
		{Source: "s1", Items: []feed.Item{item("g1", "https://a.example/1", "Terminal", storyA)}},
		{Source: "s2", Items: []feed.Item{item("x", "https://a.example/1", "Teaser", "A short teaser.")}},
		{Source: "s1", Items: []feed.Item{item("g1", "https://a.example/1", "Terminal", edited)}},
		{Source: "s1", Items: []feed.Item{item("", "https://a.example/1", "Terminal", edited)}},
	}, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := []IngestResult{{New: 1}, {Merged: 1}, {Updated: 1}, {Unchanged: 1}}
	if !slices.Equal(res, want) {
		t.Errorf("got %+v, want %+v", res, want)
	}
	// A later transaction reads them back from the database alike.
	r, err := db.Ingest(ctx, "s1", []feed.Item{item("g1", "https://a.example/1", "Terminal", edited)}, opt)
	if err != nil || r != (IngestResult{Unchanged: 1}) {
		t.Errorf("again: %+v, %v; want unchanged", r, err)
	}
	if n := count(t, db, "items"); n != 1 {
		t.Errorf("%d items, want 1", n)
	}
}

// entries lists what x holds, sorted, for comparing two indexes.
func (x *nearIndex) entries() []string {
	var out []string
	for _, a := range [][]uint64{x.sorted, x.mid} {
		for _, e := range a {
			out = append(out, fmt.Sprint(uint32(e>>32), int64(uint32(e))))
		}
	}
	x.recent.all(func(k uint32, id int64) { out = append(out, fmt.Sprint(k, id)) })
	slices.Sort(out)
	return out
}

// TestNearIndexKeepsItsOwnWrites: what a process adds to its index as it
// commits (without reading its rows back) holds all a fresh process reads
// from item_keys, after a failed batch too, and more only for an edit.
func TestNearIndexKeepsItsOwnWrites(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 12}
	for i, text := range []string{storyA, storyB, storyC, nearCopy(storyC)} {
		if _, err := db.Ingest(ctx, "s1", []feed.Item{item(fmt.Sprint("g", i), "", "T", text)}, opt); err != nil {
			t.Fatal(err)
		}
	}
	// A batch that fails after writing some keys: none of them stay.
	if _, err := db.db.Exec(db.pick(`CREATE TRIGGER boom BEFORE INSERT ON item_keys
		WHEN (SELECT title FROM items WHERE id = new.item_id) = 'Boom'
		BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`, `CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF (SELECT title FROM items WHERE id = NEW.item_id) = 'Boom' THEN RAISE 'disk on fire'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER boom BEFORE INSERT ON item_keys FOR EACH ROW EXECUTE FUNCTION boom()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.IngestBatches(ctx, []Batch{
		{Source: "s2", Items: []feed.Item{item("n", "", "Ferry", "The river ferry ran again once the flood waters had gone down in the lower town.")}},
		{Source: "s3", Items: []feed.Item{item("b", "", "Boom", "Something else entirely happened today.")}},
	}, opt); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("failing batch: %v", err)
	}
	if _, err := db.db.Exec(db.pick(`DROP TRIGGER boom`, `DROP TRIGGER boom ON item_keys`)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, "s1", []feed.Item{item("g0", "", "T", storyB+" Edited.")}, opt); err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(ctx, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := fresh.Ingest(ctx, "s9", nil, opt); err != nil { // loads its index
		t.Fatal(err)
	}
	// The kept index may hold more: an edit's old keys stay in memory.
	kept := map[string]bool{}
	for _, e := range db.near.entries() {
		kept[e] = true
	}
	want := fresh.near.entries()
	for _, e := range want {
		if !kept[e] {
			t.Errorf("entry (key id) %s is in item_keys but not in the writer's index", e)
		}
		delete(kept, e)
	}
	edited, _ := db.ItemForGUID(ctx, "s1", "g0")
	for e := range kept {
		if !strings.HasSuffix(e, fmt.Sprint(" ", edited)) {
			t.Errorf("entry %s kept, but its item was not edited", e)
		}
	}
	if len(want) == 0 || len(kept) == 0 {
		t.Errorf("%d entries read afresh, %d stale: want some of both", len(want), len(kept))
	}
}

// TestPagesMigrate: migration 0014 keeps, for pages fetched before it,
// the article their item holds and the feed copy's hash, so an edit
// after it is due for a conditional refetch that can put the article
// back; an unchanged entry and a page that failed are not due.
func TestPagesMigrate(t *testing.T) {
	sqliteOnly(t, "replays SQLite migration 0014")
	ctx := context.Background()
	db, opt, a, b, idA, idB := twoTeasers(t)
	article := "<p>" + storyA + "</p>"
	err := db.SavePages(ctx, "s1", []Page{
		{Item: idA, URL: a.URL, ETag: `"a1"`, Content: article, Text: storyA},
		{Item: idB, URL: b.URL, Err: "404"},
	}, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range append(slices.Clone(undo0014), `PRAGMA user_version = 13`) {
		if _, err := db.db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(ctx, db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if due, err := db.PagesDue(ctx, "s1", time.Hour, 10); err != nil || len(due) != 0 {
		t.Fatalf("due after migrating: %+v, %v; want none", due, err)
	}
	if r, err := db.Ingest(ctx, "s1", []feed.Item{a, b}, opt); err != nil || r.Unchanged != 2 {
		t.Fatalf("the same entries: %+v, %v", r, err)
	}
	a.Text, a.Content = "A short teaser, corrected.", "<p>A short teaser, corrected.</p>"
	b.Text, b.Content = "Another short teaser, corrected.", "<p>Another short teaser, corrected.</p>"
	if r, err := db.Ingest(ctx, "s1", []feed.Item{a, b}, opt); err != nil || r.Updated != 2 {
		t.Fatalf("edits: %+v, %v", r, err)
	}
	due, err := db.PagesDue(ctx, "s1", time.Hour, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due after the edits: %+v, %v; want both items", due, err)
	}
	for _, d := range due {
		switch {
		case !d.Edited || !strings.Contains(d.Text, "corrected"):
			t.Errorf("item %d: %+v, want an edit with its new text", d.Item, d)
		case d.Item == idA && (d.ETag != `"a1"` || d.Content != article || d.Article != storyA):
			t.Errorf("edited item with an article: %+v, want its validators and article", d)
		case d.Item == idB && (d.ETag != "" || d.Content != ""):
			t.Errorf("edited item that kept its summary: %+v, want an unconditional request", d)
		}
	}
}

// TestNearIndexOutsideHeap: the index's sorted arrays do not count toward
// the Go heap (whose collector target would double them in RSS), and
// lookups still find every key after folds and merges in mapped memory.
func TestNearIndexOutsideHeap(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("the arrays are on the heap where mmap is not available")
	}
	heap := func() uint64 {
		runtime.GC()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	x := newNearIndex()
	defer x.reset()
	before := heap()
	const items = 40000
	for id := range int64(items) {
		blob := make([]byte, 0, 17*nearKeyBytes)
		for b := range int64(17) {
			blob = binary.LittleEndian.AppendUint32(blob, uint32((id*17+b)*2654435761))
		}
		x.addRow(id+1, blob, false)
		x.maybeFold()
	}
	x.fold()
	entries := items * 17
	if got := len(x.sorted) + len(x.mid) + x.nrecent; got != entries {
		t.Fatalf("index holds %d entries, want %d", got, entries)
	}
	if len(x.sorted) == 0 {
		t.Fatal("nothing merged into sorted")
	}
	grew := heap() - before
	if grew > uint64(entries*8/4) {
		t.Errorf("the heap grew by %d bytes for %d bytes of entries: the arrays are on the heap", grew, entries*8)
	}
	for _, id := range []int64{0, 1, items / 2, items - 1} {
		k := uint32((id*17 + 5) * 2654435761)
		found := false
		x.lookup(int64(uint64(k)<<32), func(got int64) { found = found || got == id+1 })
		if !found {
			t.Errorf("key of item %d not found", id+1)
		}
	}
}
