package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/internal/pgtest"
)

// copySource builds a SQLite database with a row in every table
// CopyDatabase copies, through the store's API where it has one.
func copySource(t *testing.T) (string, []*feed.Topic) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "src.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	topics := mustTopics(t, db, map[string]string{"harbour": "harbour", "heat": "heatwave", "town": "councillors"})
	opt := IngestOptions{Topics: topics, NearDistance: 12}
	ingestOK(t, db, "a", opt,
		item("a-1", "https://a.example/terminal", "Terminal approved", storyA),
		item("a-2", "https://a.example/heat", "Heatwave", storyB))
	ingestOK(t, db, "b", opt, item("b-1", "https://a.example/terminal", "Port expands", "short teaser"))
	ingestOK(t, db, "c", opt, item("", "", "Harbour terminal", storyA))
	var batch []feed.Item
	for i := range 40 {
		batch = append(batch, item(fmt.Sprint("d-", i), "", fmt.Sprint("Plans ", i), longStory(fmt.Sprint("Street ", i), i)))
	}
	ingestOK(t, db, "d", opt, batch...)

	terminal, err := db.ItemForGUID(ctx, "a", "a-1")
	if err != nil {
		t.Fatal(err)
	}
	heat, _ := db.ItemForGUID(ctx, "a", "a-2")
	for _, c := range []struct {
		topic  string
		id     int64
		action string
	}{{"harbour", terminal, Pin}, {"heat", heat, Hide}} {
		if err := db.Curate(ctx, c.topic, c.id, c.action); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SplitCopy(ctx, terminal, "c", topics); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	if err := db.SaveFetchState(ctx, "a", &FetchState{ETag: `"v7"`, LastModified: "Mon, 02 Mar 2026 10:00:00 GMT",
		Status: 200, Fetched: now, NextFetch: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveFetchState(ctx, "b", &FetchState{Status: 503, Error: "503 Service Unavailable", Failures: 2,
		Fetched: now, NextFetch: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveSubscription(ctx, Subscription{Source: "a", Token: "tok", Secret: "s", Hub: "https://hub.example/",
		Topic: "https://a.example/feed", State: "active", LeaseEnd: now.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordScan(ctx, FolderScan{Source: "d", Scanned: now, Files: 40, Changed: now, Ingested: 40, Added: 40}, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SavePages(ctx, "a", []Page{{Item: heat, URL: "https://a.example/heat", ETag: `"p1"`,
		Content: "<p>" + storyB + "</p>", Text: storyB}}, opt); err != nil {
		t.Fatal(err)
	}
	town := *topics[slices.IndexFunc(topics, func(tp *feed.Topic) bool { return tp.Name == "town" })]
	if town.Match, err = feed.ParseRule("councillors OR petition"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveRule(ctx, &town); err != nil {
		t.Fatal(err)
	}
	// No API writes a tombstone but retention, which needs old items; and
	// SQLite keeps a NUL byte and invalid UTF-8 in text, which PostgreSQL
	// refuses.
	if _, err := db.db.ExecContext(ctx, `INSERT INTO tombstones (source_id, guid, at) SELECT id, 'gone', 1 FROM sources WHERE name = 'a'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `UPDATE items SET author = 'Ann' || char(0) || ' Lee ' || CAST(x'ff' AS TEXT) WHERE id = ?`, heat); err != nil {
		t.Fatal(err)
	}
	return path, topics
}

func TestCopyDatabase(t *testing.T) {
	if onPostgres {
		t.Skip("copies SQLite to PostgreSQL; run once, on the SQLite run")
	}
	ctx := context.Background()
	from, topics := copySource(t)
	to := pgtest.DSN(t)
	var progress []string
	counts, err := CopyDatabase(ctx, from, to, func(table string, rows int64) {
		progress = append(progress, fmt.Sprintf("%s %d", table, rows))
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != len(copyTables)+1 || len(progress) != len(counts) {
		t.Fatalf("counts %v, progress %v: want every table and search", counts, progress)
	}
	for _, c := range counts {
		if c.Rows == 0 {
			t.Errorf("table %s copied no rows: the test does not cover it", c.Table)
		}
	}

	src, err := Open(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	type row struct {
		ID                   int64
		Title, Author, Media string
		Minhash              []byte
	}
	items := func(db *DB) []row {
		rows, err := db.db.QueryContext(ctx, `SELECT id, title, author, media, minhash FROM items ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.ID, &r.Title, &r.Author, &r.Media, &r.Minhash); err != nil {
				t.Fatal(err)
			}
			r.Author = strings.ToValidUTF8(strings.ReplaceAll(r.Author, "\x00", ""), "\uFFFD")
			out = append(out, r)
		}
		return out
	}
	if a, b := items(src), items(dst); !reflect.DeepEqual(a, b) {
		t.Errorf("items differ:\nSQLite     %v\nPostgreSQL %v", a, b)
	} else if !slices.ContainsFunc(b, func(r row) bool { return r.Author == "Ann Lee \uFFFD" }) {
		t.Errorf("no item with the cleaned author in %v", b)
	}

	for _, q := range []string{"harbour", "heatwave", "councillors AND petition", "NOT harbour"} {
		rule, err := feed.ParseRule(q)
		if err != nil {
			t.Fatal(err)
		}
		ids := func(db *DB) []int64 {
			found, err := db.Search(ctx, rule, 100)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, it := range found {
				out = append(out, it.ID)
			}
			return out
		}
		if a, b := ids(src), ids(dst); !slices.Equal(a, b) || len(a) == 0 {
			t.Errorf("search %q: SQLite finds %v, PostgreSQL %v", q, a, b)
		}
	}
	for _, tp := range topics {
		a, _ := src.Curations(ctx, tp.Name)
		b, err := dst.Curations(ctx, tp.Name)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("curation of %s: SQLite %v, PostgreSQL %v (%v)", tp.Name, a, b, err)
		}
		ta, _ := src.TopicItems(ctx, tp.Name, 100)
		tb, _ := dst.TopicItems(ctx, tp.Name, 100)
		if len(ta) != len(tb) || len(ta) > 0 && ta[0].ID != tb[0].ID {
			t.Errorf("topic %s: %d items on SQLite, %d on PostgreSQL", tp.Name, len(ta), len(tb))
		}
	}
	sa, _ := src.Sources(ctx)
	sb, err := dst.Sources(ctx)
	if err != nil || !reflect.DeepEqual(sa, sb) {
		t.Errorf("sources differ:\nSQLite     %+v\nPostgreSQL %+v (%v)", sa, sb, err)
	}
	if i := slices.IndexFunc(sb, func(s SourceInfo) bool { return s.Name == "a" }); i < 0 || sb[i].ETag != `"v7"` {
		t.Errorf("fetch state of a not kept: %+v", sb)
	}

	// The sequences moved past the copied ids: new rows get fresh ones.
	last := items(dst)
	ingestOK(t, dst, "e", IngestOptions{Topics: topics}, item("e-1", "", "Harbour ferry", storyA+"\nA ferry was added."),
		item("e-2", "", "Library", longStory("The library", 99)))
	if got := items(dst); len(got) != len(last)+2 || got[len(got)-1].ID <= last[len(last)-1].ID {
		t.Errorf("after a new ingest on PostgreSQL: %d items, last id %d (was %d)", len(got), got[len(got)-1].ID, last[len(last)-1].ID)
	}
	if err := dst.SaveFetchState(ctx, "e", &FetchState{Status: 500, Error: "500", Fetched: time.Now()}); err != nil {
		t.Errorf("fetch error after the copy: %v", err)
	}

	_, err = CopyDatabase(ctx, from, to, nil)
	if err == nil || !strings.Contains(err.Error(), "already holds") || strings.Contains(err.Error(), "\n") {
		t.Errorf("copy into a database with items: %v, want a refusal", err)
	}
}

func TestCopyDatabaseRefuses(t *testing.T) {
	if onPostgres {
		t.Skip("copies SQLite to PostgreSQL; run once, on the SQLite run")
	}
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if _, err := CopyDatabase(ctx, missing, "postgres://u@localhost/x", nil); err == nil {
		t.Error("copy from a missing file succeeded")
	} else if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused copy created %s", missing)
	}
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte("not a database, not at all"), 0o644)
	if _, err := CopyDatabase(ctx, notDB, "postgres://u@localhost/x", nil); err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Errorf("copy from a text file: %v", err)
	}
	if _, err := CopyDatabase(ctx, notDB, filepath.Join(dir, "other.db"), nil); err == nil || !strings.Contains(err.Error(), "not a PostgreSQL URL") {
		t.Errorf("copy to a file: %v", err)
	}
	if _, err := CopyDatabase(ctx, "postgres://u:secret@localhost/x", pgtest.DSN(t), nil); err == nil ||
		strings.Contains(err.Error(), "secret") {
		t.Errorf("copy from PostgreSQL: %v, want a refusal without the password", err)
	}
}

// A copy that fails part way leaves the target empty: here a sighting of
// an item that does not exist, which SQLite kept with foreign keys off
// and PostgreSQL refuses after items were copied.
func TestCopyDatabaseAllOrNothing(t *testing.T) {
	if onPostgres {
		t.Skip("copies SQLite to PostgreSQL; run once, on the SQLite run")
	}
	ctx := context.Background()
	from, _ := copySource(t)
	db, err := Open(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA foreign_keys = OFF`,
		`INSERT INTO sightings (item_id, source_id, hash, reason, seen) SELECT 999999, id, 'h', 'new', 1 FROM sources LIMIT 1`} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	db.Close()

	to := pgtest.DSN(t)
	_, err = CopyDatabase(ctx, from, to, nil)
	if err == nil || !strings.Contains(err.Error(), "sightings") {
		t.Fatalf("copy of an orphan sighting: %v, want an error naming sightings", err)
	}
	dst, err := Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, table := range []string{"sources", "items", "sightings", "search"} {
		if n := count(t, dst, table); n != 0 {
			t.Errorf("after the failed copy %s holds %d rows, want none", table, n)
		}
	}
}

// BenchmarkCopyDatabase copies databases of generated items (cached, as
// BenchmarkIngest's) to PostgreSQL, reporting rows (of every table) and
// items copied per second, search index rebuild included.
//
//	go test ./store -run '^$' -bench CopyDatabase -benchtime 1x
func BenchmarkCopyDatabase(b *testing.B) {
	if onPostgres {
		b.Skip("copies SQLite to PostgreSQL; run once, on the SQLite run")
	}
	ctx := context.Background()
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			db := benchDB(b, "dedup", n, func(db *DB, n int) error {
				if err := db.SyncTopics(ctx, benchTopics); err != nil {
					return err
				}
				return storeRange(0, n, dedupBatch(ctx, db))
			})
			var rows int64
			for b.Loop() {
				b.StopTimer()
				to := pgtest.DSN(b)
				b.StartTimer()
				counts, err := CopyDatabase(ctx, db.Path(), to, nil)
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range counts {
					rows += c.Rows
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
