package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/internal/synth"
	"github.com/topicfeed/topicfeed/store"
)

// genVersion names the cached database; bump it when the generator or
// the schema changes so a stale file is rebuilt, not reused.
const genVersion = "pub1"

// bigItems is how many of the newest items carry long articles, so the
// 50-item feed weighs about what a real news topic does (~200 KB).
const bigItems = 60

var words = synth.Words(3, 4, 5000)

// item makes the n-th synthetic article; the newest bigItems are long.
func item(n, total int) feed.Item {
	r := rand.New(rand.NewPCG(uint64(n), 11))
	size := 300
	if n >= total-bigItems {
		size = 3800
	}
	text := synth.Text(r, words, size, 10)
	return feed.Item{GUID: fmt.Sprintf("g%d", n), URL: fmt.Sprintf("https://bench.example/story/%d", n),
		Title: fmt.Sprintf("Synthetic story number %d", n), Text: text, Content: "<p>" + text + "</p>",
		Author: "Bench Desk", Published: time.Unix(1_600_000_000+int64(n)*60, 0).UTC()}
}

// openDB returns a database of n items, built once under dir and reused
// (a million items take many minutes to ingest).
func openDB(ctx context.Context, dir string, n int, topics []*feed.Topic) (*store.DB, error) {
	os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.db", genVersion, n))
	if _, err := os.Stat(path + ".ready"); err != nil {
		os.Remove(path)
		if err := build(ctx, path, n, topics); err != nil {
			return nil, err
		}
		os.WriteFile(path+".ready", nil, 0o644)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return db, db.SyncTopics(ctx, topics)
}

func build(ctx context.Context, path string, n int, topics []*feed.Topic) error {
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SyncTopics(ctx, topics); err != nil {
		return err
	}
	const batch = 5000
	start := time.Now()
	items := make([]feed.Item, 0, batch)
	for i := 0; i < n; i += batch {
		items = items[:0]
		for j := i; j < min(i+batch, n); j++ {
			items = append(items, item(j, n))
		}
		// Near-duplicate search off: the items are distinct by construction.
		if _, err := db.Ingest(ctx, "bench", items, store.IngestOptions{Topics: topics}); err != nil {
			return err
		}
		if done := i + len(items); done%50_000 == 0 || done == n {
			fmt.Fprintf(os.Stderr, "generated %d/%d items in %v\n", done, n, time.Since(start).Round(time.Second))
		}
	}
	return nil
}
