package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

func mustOpenDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), testDBPath(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustTopics(t testing.TB, db *DB, rules map[string]string) []*feed.Topic {
	t.Helper()
	var ts []*feed.Topic
	for name, src := range rules {
		r, err := feed.ParseRule(src)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, &feed.Topic{Name: name, Title: name, Match: r, Limit: 50})
	}
	ts = append(ts, &feed.Topic{Name: feed.AllTopic, Limit: 50})
	if err := db.SyncTopics(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
	return ts
}

const storyA = `The harbour authority approved a second container terminal on Monday after three years of hearings.
The terminal will double capacity and add four deep-water berths for the largest ships now sailing.
Fishermen who use the old jetty said they had been promised a new landing stage as part of the deal.
Construction starts in the spring and the first berth should open within two years, officials said.`

const storyB = `A heatwave pushed temperatures past forty degrees in the valley for the sixth day running.
Hospitals opened cooling rooms and the water board asked residents to avoid washing cars.
Farmers said the wheat harvest had been brought forward by a fortnight to save what was left.`

func item(guid, url, title, text string) feed.Item {
	return feed.Item{GUID: guid, URL: url, Title: title, Text: text, Content: "<p>" + text + "</p>",
		Published: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func count(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenConfiguresSQLite(t *testing.T) {
	sqliteOnly(t, "SQLite pragmas")
	db := mustOpenDB(t)
	var mode string
	var fk, version int
	db.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	db.db.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	db.db.QueryRow("PRAGMA user_version").Scan(&version)
	if mode != "wal" || fk != 1 || version < 1 {
		t.Errorf("journal_mode=%s foreign_keys=%d user_version=%d", mode, fk, version)
	}
	// Reopening an up-to-date database applies nothing and keeps data.
	ctx := context.Background()
	mustTopics(t, db, nil)
	if _, err := db.Ingest(ctx, "s", []feed.Item{item("g1", "", "Terminal", storyA)}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	path := db.Path()
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if n := count(t, db2, "items"); n != 1 {
		t.Errorf("items after reopen = %d, want 1", n)
	}
}

func TestIngestIdentity(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	topics := mustTopics(t, db, map[string]string{"harbour": "harbour", "heat": "heatwave"})
	opt := IngestOptions{Topics: topics, NearDistance: 12}
	ingest := func(src string, it feed.Item) IngestResult {
		t.Helper()
		r, err := db.Ingest(ctx, src, []feed.Item{it}, opt)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	steps := []struct {
		name   string
		source string
		item   feed.Item
		want   IngestResult
	}{
		{"first copy", "a", item("a-1", "https://a.example/terminal", "Terminal approved", storyA), IngestResult{New: 1}},
		{"same guid again", "a", item("a-1", "https://a.example/terminal", "Terminal approved", storyA), IngestResult{Unchanged: 1}},
		{"same link, other source", "b", item("b-9", "https://a.example/terminal", "Port expands", "short teaser"), IngestResult{Merged: 1}},
		{"same text, other source", "c", item("", "", "Harbour terminal", storyA), IngestResult{Merged: 1}},
		{"near copy, trimmed", "d", item("d-1", "", "New terminal", storyA[:strings.LastIndex(storyA, "\n")]), IngestResult{Merged: 1}},
		{"different story", "a", item("a-2", "https://a.example/heat", "Heatwave", storyB), IngestResult{New: 1}},
		{"edited entry", "a", item("a-2", "https://a.example/heat", "Heatwave, day six", storyB+"\nRain is forecast for Friday."), IngestResult{Updated: 1}},
	}
	for _, s := range steps {
		if got := ingest(s.source, s.item); got != s.want {
			t.Errorf("%s: got %+v, want %+v", s.name, got, s.want)
		}
	}
	if n := count(t, db, "items"); n != 2 {
		t.Errorf("items = %d, want 2", n)
	}
	items, err := db.TopicItems(ctx, "harbour", 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("harbour topic = %v, %v", items, err)
	}
	if got, want := strings.Join(items[0].Sources, ","), "a,b,c,d"; got != want {
		t.Errorf("sources = %q, want %q", got, want)
	}
	heat, _ := db.TopicItems(ctx, "heat", 10)
	if len(heat) != 1 || heat[0].Title != "Heatwave, day six" || !heat[0].Updated.After(heat[0].Published) {
		t.Errorf("edited item = %+v, want the new title and a later updated time", heat)
	}
	copies, err := db.Sightings(ctx, items[0].ID)
	if err != nil || len(copies) != 4 || !strings.HasPrefix(copies[2].Reason, "hash: ") || !strings.HasPrefix(copies[3].Reason, "near: ") {
		t.Errorf("sightings = %+v, %v; want 4, the third merged by hash, the last as near", copies, err)
	}
}

func TestReingestChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	topics := mustTopics(t, db, map[string]string{"harbour": "harbour"})
	batch := []feed.Item{
		item("1", "https://x.example/1", "Terminal", storyA),
		item("2", "https://x.example/2", "Heat", storyB),
		item("3", "https://y.example/3", "Terminal again", storyA),
	}
	snapshot := func() string {
		var b strings.Builder
		for _, tbl := range []string{"items", "sightings", "topic_items", "item_keys", "sources"} {
			fmt.Fprintf(&b, "%s=%d ", tbl, count(t, db, tbl))
		}
		its, _ := db.TopicItems(ctx, feed.AllTopic, 10)
		for _, it := range its {
			b.WriteString(it.Title + "@" + it.Updated.String() + " ")
		}
		return b.String()
	}
	if _, err := db.Ingest(ctx, "x", batch, IngestOptions{Topics: topics, NearDistance: 12}); err != nil {
		t.Fatal(err)
	}
	before := snapshot()
	db.Now = func() time.Time { return time.Now().Add(time.Hour) }
	r, err := db.Ingest(ctx, "x", batch, IngestOptions{Topics: topics, NearDistance: 12})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unchanged != 3 || r.New+r.Updated+r.Merged != 0 {
		t.Errorf("second ingest = %+v, want 3 unchanged", r)
	}
	if after := snapshot(); after != before {
		t.Errorf("re-ingest changed the store:\n before %s\n after  %s", before, after)
	}
}

// A batch that fails to store must not leave the fetch validators behind,
// or the next conditional GET would get a 304 and the items would be lost.
func TestFetchStateOnlyWithItems(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	topics := mustTopics(t, db, nil)
	ok := &FetchState{ETag: `"v1"`, Status: 200, Fetched: time.Now()}
	if _, err := db.Ingest(ctx, "s", []feed.Item{item("1", "", "Terminal", storyA)}, IngestOptions{Topics: topics, Fetch: ok}); err != nil {
		t.Fatal(err)
	}
	// A topic the store has never synced violates a foreign key mid-batch.
	broken := append(topics, &feed.Topic{Name: "unsynced"})
	bad := &FetchState{ETag: `"v2"`, Status: 200, Fetched: time.Now()}
	_, err := db.Ingest(ctx, "s", []feed.Item{item("2", "", "Heat", storyB)}, IngestOptions{Topics: broken, Fetch: bad})
	if err == nil {
		t.Fatal("ingest with an unsynced topic succeeded")
	}
	srcs, err := db.Sources(ctx)
	if err != nil || len(srcs) != 1 {
		t.Fatal(srcs, err)
	}
	if srcs[0].ETag != `"v1"` || count(t, db, "items") != 1 {
		t.Errorf("etag = %s, items = %d; want the old validator and no half batch", srcs[0].ETag, count(t, db, "items"))
	}
}

func TestSyncTopicsRecomputes(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	topics := mustTopics(t, db, map[string]string{"t": "harbour"})
	batch := []feed.Item{item("1", "", "Terminal", storyA), item("2", "", "Heat", storyB)}
	if _, err := db.Ingest(ctx, "s", batch, IngestOptions{Topics: topics}); err != nil {
		t.Fatal(err)
	}
	got := func() string {
		its, err := db.TopicItems(ctx, "t", 10)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, it := range its {
			titles = append(titles, it.Title)
		}
		return strings.Join(titles, ",")
	}
	if g := got(); g != "Terminal" {
		t.Errorf("before: %q", g)
	}
	mustTopics(t, db, map[string]string{"t": "heatwave OR harbour"})
	if g := got(); g != "Heat,Terminal" && g != "Terminal,Heat" {
		t.Errorf("after rule change: %q, want both", g)
	}
	if _, err := db.TopicItems(ctx, "gone", 10); err == nil {
		t.Error("unknown topic: no error")
	}
}

// Two processes (here: handles) opening a new database at once must not
// both apply the same migration.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	path := testDBPath(t)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			db, err := Open(context.Background(), path)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestIngestBatchSeesItsOwnItems puts copies and an edit in one batch:
// the band index a batch reads is the one its own earlier items wrote,
// including an edit's new text, not what was stored when it began.
func TestIngestBatchSeesItsOwnItems(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	nearA := strings.Replace(storyA, "second container", "new container", 1)
	nearB := strings.Replace(storyB, "sixth day", "seventh day", 1)
	in := func(f string, it feed.Item) feed.Item { it.Feed = f; return it } // another file of the folder
	r, err := db.Ingest(ctx, "s1", []feed.Item{
		item("a", "", "Terminal", storyA),
		item("a", "", "Heatwave", storyB),          // the same entry, rewritten
		in("f2", item("c", "", "Heatwave", nearB)), // a copy of the rewrite: merges
		in("f3", item("d", "", "Terminal again", nearA)),
	}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := (IngestResult{New: 2, Updated: 1, Merged: 1}); r != want {
		t.Fatalf("first batch: %+v, want %+v (the copy of the old text has nothing left to merge into)", r, want)
	}
	idA, _ := db.ItemForGUID(ctx, "s1", "a")
	idC, _ := db.ItemForGUID(ctx, "s1", "c")
	idD, _ := db.ItemForGUID(ctx, "s1", "d")
	if idC != idA || idD == idA {
		t.Fatalf("ids a=%d c=%d d=%d: c should join a, d stand alone", idA, idC, idD)
	}
	// A later batch finds both through the stored index.
	r, err = db.Ingest(ctx, "s2", []feed.Item{item("e", "", "Hot", nearB), item("f", "", "Port", nearA)}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Merged != 2 {
		t.Fatalf("second batch: %+v, want 2 merged", r)
	}
	idE, _ := db.ItemForGUID(ctx, "s2", "e")
	idF, _ := db.ItemForGUID(ctx, "s2", "f")
	if idE != idA || idF != idD {
		t.Errorf("e joined %d (want %d), f joined %d (want %d)", idE, idA, idF, idD)
	}
	// Every item has one row of its current keys: the edit's old row went.
	if n := count(t, db, "item_keys"); n != 2 {
		t.Errorf("%d band key rows, want 2", n)
	}
}

// TestIngestBatchesAllOrNothing stores two sources in one transaction; a
// failure in the second names it and leaves the first unstored too.
func TestIngestBatchesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	if _, err := db.db.Exec(db.pick(`CREATE TRIGGER no_heat BEFORE INSERT ON items WHEN new.title = 'Heat'
		BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`, `CREATE FUNCTION no_heat() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE 'disk on fire'; END $$;
		CREATE TRIGGER no_heat BEFORE INSERT ON items FOR EACH ROW WHEN (NEW.title = 'Heat') EXECUTE FUNCTION no_heat()`)); err != nil {
		t.Fatal(err)
	}
	fetched := &FetchState{ETag: `"x"`, Status: 200, Fetched: time.Now()}
	_, err := db.IngestBatches(ctx, []Batch{
		{Source: "port", Items: []feed.Item{item("a", "", "Terminal", storyA)}, Fetch: fetched},
		{Source: "weather", Items: []feed.Item{item("b", "", "Heat", storyB)}, Fetch: fetched},
	}, opt)
	if err == nil || !strings.HasPrefix(err.Error(), `store weather: item "Heat": `) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want it to name the weather batch", err)
	}
	if n := count(t, db, "items"); n != 0 {
		t.Errorf("%d items stored after a failed transaction, want 0", n)
	}
	if _, err := db.db.Exec(db.pick(`DROP TRIGGER no_heat`, `DROP TRIGGER no_heat ON items`)); err != nil {
		t.Fatal(err)
	}
	res, err := db.IngestBatches(ctx, []Batch{
		{Source: "port", Items: []feed.Item{item("a", "", "Terminal", storyA)}, Fetch: fetched},
		{Source: "weather", Items: []feed.Item{item("b", "", "Heat", storyB), item("c", "", "Terminal copy", storyA)}},
	}, opt)
	if err != nil || res[0] != (IngestResult{New: 1}) || res[1] != (IngestResult{New: 1, Merged: 1}) {
		t.Fatalf("second try: %+v, %v; want port 1 new, weather 1 new and 1 merged", res, err)
	}
}

// TestClassifyAfterMergeInOneTransaction: a new item's topics are worked
// out (by Prepare) for its first source alone, but a copy merged into it
// from another source later in the same transaction decides with both: a
// topic excluding that source must not keep the item.
func TestClassifyAfterMergeInOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	match, _ := feed.ParseRule("harbour")
	exclude, _ := feed.ParseRule("source:weather")
	topics := []*feed.Topic{{Name: "harbour", Match: match, Exclude: exclude, Limit: 50}, {Name: feed.AllTopic, Limit: 50}}
	if err := db.SyncTopics(ctx, topics); err != nil {
		t.Fatal(err)
	}
	opt := IngestOptions{Topics: topics, NearDistance: 18}
	res, err := db.IngestBatches(ctx, []Batch{
		{Source: "port", Items: []feed.Item{item("a", "", "Terminal", storyA), item("x", "", "Harbour fees", "The harbour raised its fees for every ship this year. "+storyB)}},
		{Source: "weather", Items: []feed.Item{item("b", "", "Terminal copy", storyA)}},
	}, opt)
	if err != nil || res[1].Merged != 1 {
		t.Fatalf("%+v, %v; want the weather copy merged", res, err)
	}
	items, err := db.TopicItems(ctx, "harbour", 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Title != "Harbour fees" {
		var titles []string
		for _, it := range items {
			titles = append(titles, it.Title)
		}
		t.Errorf("harbour holds %q, want only \"Harbour fees\" (the terminal story is also seen in weather, which it excludes)", titles)
	}
}
