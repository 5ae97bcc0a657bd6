package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/config"
	"github.com/topicfeed/topicfeed/store"
)

// TestServePrunesOnSchedule runs serve's background pruner with a short
// interval: it applies the retention policy at start, and again on a later
// tick to items another process stored in the meantime.
func TestServePrunesOnSchedule(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "retention:\n  max_items_per_source: 2\n")
	in := filepath.Join(dir, "in")
	writeArticles(t, in, 4)
	if code, out, errs := run(t, "", "ingest", "-config", cfgPath, in); code != 0 || !strings.Contains(out, "4 new") {
		t.Fatalf("ingest: %d %q %s", code, out, errs)
	}
	cfg, err := config.Load(cfgPath, true)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	e := &env{cfg: cfg, log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.pruneEvery(ctx, db, 50*time.Millisecond); close(done) }()
	defer func() {
		cancel()
		<-done
		db.Close()
	}()

	check, err := sql.Open("sqlite", "file:"+cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	waitItems := func(want int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := sqlCount(t, check, `SELECT count(*) FROM items`)
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d items after 10s, want %d; log:\n%s", n, want, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitItems(2) // the prune at start

	// Another process stores three more stories; a later tick prunes them.
	later := filepath.Join(dir, "later")
	os.MkdirAll(later, 0o755)
	for i := range 3 {
		body := fmt.Sprintf("Harbour Ferry %d Returns\n\n%s\n\nThe harbour ferry returned. %s.\n",
			i, time.Now().Format("January 2, 2006"), storyText("later", i))
		os.WriteFile(filepath.Join(later, fmt.Sprintf("ferry-%d.txt", i)), []byte(body), 0o644)
	}
	if code, out, errs := run(t, "", "ingest", "-config", cfgPath, later); code != 0 || !strings.Contains(out, "3 new") {
		t.Fatalf("second ingest: %d %q %s", code, out, errs)
	}
	waitItems(2)
	if n := strings.Count(logs.String(), "msg=prune"); n < 2 {
		t.Errorf("%d prune log lines, want one per pruning tick (2); log:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("prune logged an error:\n%s", logs.String())
	}
}
