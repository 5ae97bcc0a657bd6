package refresh

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

// watchEvery is short so the test is quick; maxPolls bounds the wait.
const (
	watchEvery = 20 * time.Millisecond
	maxPolls   = 500
)

const deskArticle = "Harbour Terminal Approved\n\nMarch 2, 2026\n\n" +
	"The harbour authority approved a second container terminal on Monday after three years of hearings.\n"

func TestWatchIngestsNewAndChangedFiles(t *testing.T) {
	dir := t.TempDir()
	desk := filepath.Join(dir, "desk")
	if err := os.Mkdir(desk, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(desk, "first.txt"), deskArticle)
	db, err := store.Open(t.Context(), filepath.Join(dir, "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src := feed.Source{Name: "desk", Path: desk}
	if err := db.SyncSources(t.Context(), []feed.Source{src}); err != nil {
		t.Fatal(err)
	}
	g := &Ingester{DB: db, Sources: []feed.Source{src}, NearDistance: 12, Log: slog.New(slog.DiscardHandler)}

	results := make(chan FilesResult, 16)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { g.Watch(ctx, watchEvery, func(r FilesResult) { results <- r }) })
	defer func() { cancel(); wg.Wait() }()

	if r := next(t, results, "initial scan"); r.Files != 1 || r.New != 1 {
		t.Errorf("initial scan: %+v, want the existing file stored", r)
	}
	pilot := filepath.Join(desk, "pilot.txt")
	write(t, pilot, "Pilot Boat Launched\n\nJune 1, 2026\n\nA new pilot boat joined the port fleet on Monday morning.\n")
	if r := next(t, results, "new file"); r.Files != 1 || r.New != 1 {
		t.Errorf("new file: %+v, want 1 file, 1 new item", r)
	}
	abs, _ := filepath.Abs(pilot)
	id, err := db.ItemForGUID(t.Context(), "desk", "file://"+filepath.ToSlash(abs))
	if err != nil {
		t.Fatalf("new file not stored under source desk: %v", err)
	}
	write(t, pilot, "Pilot Boat Launched\n\nJune 1, 2026\n\nA new pilot boat joined the port fleet on Monday morning, "+
		"the third this year, and a fourth is on order for the winter season.\n")
	if r := next(t, results, "changed file"); r.Files != 1 || r.Updated != 1 {
		t.Errorf("changed file: %+v, want 1 file, 1 updated item", r)
	}
	it, err := db.Item(t.Context(), id)
	if err != nil || it == nil || !strings.Contains(it.Text, "fourth is on order") {
		t.Errorf("stored item after change: %+v, %v; want the new text", it, err)
	}
}

// next waits for the watcher's next ingest, for at most maxPolls polls: a
// bound so a broken watcher fails the test instead of hanging it.
func next(t *testing.T, results <-chan FilesResult, what string) FilesResult {
	t.Helper()
	select {
	case r := <-results:
		return r
	case <-time.After(maxPolls * watchEvery):
		t.Fatalf("%s: not ingested within %d polls", what, maxPolls)
		return FilesResult{}
	}
}

// write replaces name atomically, so a poll never sees half a file.
func write(t *testing.T, name, body string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(filepath.Dir(name)), "tmp-"+filepath.Base(name))
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}
