package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/internal/synth"
)

// benchVersion names cached benchmark databases; bump it when the schema
// or the generator changes so stale files are not reused.
const benchVersion = "v6"

const benchBatch = 1000

// vocabulary is a fixed pseudo-word list so generated articles read like
// text to the tokeniser but never repeat each other by chance.
var vocabulary = synth.Words(1, 2, 6000)

// benchItem makes the n-th synthetic article: about 3.5 KB of text.
func benchItem(n int) feed.Item {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	text := synth.Text(r, vocabulary, 3500, 12)
	return feed.Item{GUID: fmt.Sprintf("bench-%d", n), URL: fmt.Sprintf("https://bench.example/%d", n),
		Title: fmt.Sprintf("Synthetic story %d", n), Text: text, Content: "<p>" + text + "</p>",
		Published: time.Unix(1_700_000_000+int64(n), 0)}
}

// benchDB opens a database file holding n items, generating and caching it
// under the temp dir on first use (a 1M-item file takes minutes to build).
func benchDB(b *testing.B, kind string, n int, fill func(*DB, int) error) *DB {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "topicfeed-bench")
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-%d.db", kind, benchVersion, n))
	ready := path + ".ready"
	if _, err := os.Stat(ready); err != nil {
		os.Remove(path)
		db, err := Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := fill(db, n); err != nil {
			b.Fatal(err)
		}
		db.Close()
		os.WriteFile(ready, nil, 0o644)
		b.Logf("built %s in %v", path, time.Since(start))
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchSizes() []int {
	if os.Getenv("TOPICFEED_BENCH_1M") != "" {
		return []int{10_000, 100_000, 1_000_000}
	}
	return []int{10_000, 100_000}
}

// BenchmarkIngest measures items/s of a 1,000-item batch through Ingest,
// at several numbers of items already stored, beside the raw rate of
// inserting the same rows into SQLite without any dedup ("raw"): "dedup"
// with the full-text index's triggers dropped, so it measures what dedup
// costs (issue 3), and "dedup+search" as topicfeed runs (issue 4's share
// of raw with search on). Both use the same cached database.
//
//	go test ./store -run '^$' -bench 'BenchmarkIngest/' -benchtime 16x
//	TOPICFEED_BENCH_1M=1 go test ./store -run '^$' -bench 'BenchmarkIngest/' -benchtime 16x -timeout 60m
func BenchmarkIngest(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("stored=%d/dedup", n), func(b *testing.B) { benchDedup(b, n, false) })
		b.Run(fmt.Sprintf("stored=%d/dedup+search", n), func(b *testing.B) { benchDedup(b, n, true) })
		b.Run(fmt.Sprintf("stored=%d/raw", n), func(b *testing.B) { benchRaw(b, n) })
	}
}

var benchTopics = []*feed.Topic{{Name: feed.AllTopic, Limit: 50}}

// dedupBatch stores a batch through Ingest, as topicfeed does.
func dedupBatch(ctx context.Context, db *DB) func([]feed.Item) error {
	return func(batch []feed.Item) error {
		r, err := db.Ingest(ctx, "bench", batch, IngestOptions{Topics: benchTopics, NearDistance: 12})
		if err == nil && r.New != len(batch) {
			err = fmt.Errorf("ingest: %+v; want %d new", r, len(batch))
		}
		return err
	}
}

// storeRange stores the generated items from..to-1 in batches of benchBatch.
func storeRange(from, to int, store func([]feed.Item) error) error {
	for i := from; i < to; i += benchBatch {
		batch := make([]feed.Item, 0, benchBatch)
		for j := i; j < min(i+benchBatch, to); j++ {
			batch = append(batch, benchItem(j))
		}
		if err := store(batch); err != nil {
			return err
		}
	}
	return nil
}

// timeBatches times store on the batches after the n items stored,
// generating each batch outside the timer, and reports items/s.
func timeBatches(b *testing.B, n int, store func([]feed.Item) error) {
	next := n
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		batch := make([]feed.Item, benchBatch)
		for i := range batch {
			batch[i] = benchItem(next + i)
		}
		b.StartTimer()
		start := time.Now()
		err := store(batch)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		next += benchBatch
	}
	b.ReportMetric(float64(next-n)/elapsed.Seconds(), "items/s")
}

func benchDedup(b *testing.B, n int, search bool) {
	ctx := context.Background()
	db := benchDB(b, "dedup", n, func(db *DB, n int) error {
		if err := db.SyncTopics(ctx, benchTopics); err != nil {
			return err
		}
		return storeRange(0, n, dedupBatch(ctx, db))
	})
	b.Cleanup(func() { // keep the cached file at n items
		db.db.Exec(`DELETE FROM items WHERE id > ?`, n)
	})
	// Migration 0004 (re)creates the search triggers; it is idempotent,
	// and run first in case an interrupted run left them dropped.
	triggers, err := migrations.ReadFile("migrations/0004_search_batch.sql")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.db.Exec(string(triggers)); err != nil {
		b.Fatal(err)
	}
	if !search {
		for _, trig := range []string{"search_new", "search_merge", "search_update", "search_delete"} {
			if _, err := db.db.Exec(`DROP TRIGGER ` + trig); err != nil {
				b.Fatal(err)
			}
		}
		b.Cleanup(func() {
			if _, err := db.db.Exec(string(triggers)); err != nil {
				b.Error(err)
			}
		})
	}
	// A process reads the near-duplicate index once, on its first
	// ingest: reported apart, not spread over the batches.
	start := time.Now()
	if _, err := db.Ingest(ctx, "bench", nil, IngestOptions{Topics: benchTopics, NearDistance: 12}); err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	timeBatches(b, n, dedupBatch(ctx, db))
	b.ReportMetric(float64(load.Milliseconds()), "index-load-ms")
}

const rawSchema = `CREATE TABLE IF NOT EXISTS raw_items (id INTEGER PRIMARY KEY, url TEXT, title TEXT, content TEXT,
	text TEXT, published INTEGER, updated INTEGER)`

const rawInsert = `INSERT INTO raw_items (url, title, content, text, published, updated) VALUES (?, ?, ?, ?, ?, ?)`

// rawInsertItems is the baseline: the same rows, one prepared INSERT each,
// one transaction per batch, no lookups.
func rawInsertItems(ctx context.Context, db *DB, batch []feed.Item) error {
	return db.transact(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, rawInsert)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, it := range batch {
			if _, err := st.ExecContext(ctx, it.URL, it.Title, it.Content, it.Text, it.Published.UnixNano(), it.Published.UnixNano()); err != nil {
				return err
			}
		}
		return nil
	})
}

func benchRaw(b *testing.B, n int) {
	ctx := context.Background()
	raw := func(db *DB) func([]feed.Item) error {
		return func(batch []feed.Item) error { return rawInsertItems(ctx, db, batch) }
	}
	db := benchDB(b, "raw", n, func(db *DB, n int) error {
		if _, err := db.db.Exec(rawSchema); err != nil {
			return err
		}
		return storeRange(0, n, raw(db))
	})
	b.Cleanup(func() { db.db.Exec(`DELETE FROM raw_items WHERE id > ?`, n) })
	timeBatches(b, n, raw(db))
}
