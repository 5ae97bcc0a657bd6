package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/store"
)

// writeArticles writes n small invented article files under dir, in
// subfolders of 100, each with its own headline, a recent date and a body
// no other file shares (so dedup keeps every one apart).
func writeArticles(t *testing.T, dir string, n int) {
	t.Helper()
	now := time.Now()
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		date := now.AddDate(0, 0, -(i % 30)).Format("January 2, 2006")
		body := fmt.Sprintf("Harbour Story %d Approved By The Council\n\n%s\n\nThe harbour council voted on proposal %d. %s.\n\nOfficials said %s.\n",
			i, date, i, storyText("crash", i), storyText("crash-more", i))
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("story-%04d.txt", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sqlCount runs a count query on a plain SQL handle.
func sqlCount(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestIngestSurvivesSIGKILL kills `topicfeed ingest` with SIGKILL in the
// middle of a large folder, runs it again, and checks the database: intact,
// no half-stored item, every file's item exactly once.
func TestIngestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and ingests 3000 files; skipped in -short")
	}
	const files = 3000
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	in := filepath.Join(dir, "in")
	writeArticles(t, in, files)
	dbPath := filepath.Join(dir, "tf.db")

	cmd := exec.Command(bin, "ingest", "-q", "-config", cfg, in)
	cmd.Dir = dir
	afterKill := killAfterFirstCommit(t, cmd, dbPath, "ingest", nil)
	t.Logf("killed ingest with %d of %d items stored", afterKill, files)
	if afterKill >= files {
		t.Fatalf("ingest stored all %d items before the kill; the test did not interrupt it", files)
	}

	second := exec.Command(bin, "ingest", "-q", "-config", cfg, in)
	second.Dir = dir
	out, err := second.Output()
	if err != nil {
		t.Fatalf("second ingest: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(\d+) files: (\d+) new, (\d+) updated, (\d+) merged as duplicates, (\d+) unchanged, (\d+) expired, (\d+) empty, (\d+) rejected`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("second ingest printed %q", out)
	}
	want := fmt.Sprintf("%d files: %d new, 0 updated, 0 merged as duplicates, %d unchanged, 0 expired, 0 empty, 0 rejected",
		files, files-afterKill, afterKill)
	if m[0] != want {
		t.Errorf("second ingest: %q, want %q", m[0], want)
	}

	db := openIntact(t, dbPath)
	for q, want := range map[string]int{
		`SELECT count(*) FROM items`:                                                                           files,
		`SELECT count(DISTINCT title) FROM items`:                                                              files,
		`SELECT count(*) FROM sightings`:                                                                       files,
		`SELECT count(DISTINCT source_id || ' ' || guid) FROM sightings WHERE guid <> ''`:                      files,
		`SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM sightings)`:                           0,
		`SELECT count(*) FROM sightings WHERE item_id NOT IN (SELECT id FROM items)`:                           0,
		`SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM item_keys)`:                           0,
		`SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM topic_items WHERE topic = 'harbour')`: 0,
		`SELECT count(*) FROM pragma_foreign_key_check`:                                                        0,
	} {
		if got := sqlCount(t, db, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	// Every file's item is there: its guid is the file's path.
	rows, err := db.Query(`SELECT guid FROM sightings`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		seen[filepath.Base(g)]++
	}
	for i := range files {
		if name := fmt.Sprintf("story-%04d.txt", i); seen[name] != 1 {
			t.Errorf("%s stored %d times, want once", name, seen[name])
		}
	}
}

// TestPruneAndBackupCommands runs `topicfeed prune` with the config's
// retention policy and `topicfeed backup FILE`, which refuses to overwrite.
func TestPruneAndBackupCommands(t *testing.T) {
	dir := t.TempDir()
	// The old story is ingested while the retention age still takes it.
	cfg := writeConfig(t, dir, "retention:\n  max_age: 90d\n  max_items_per_source: 3\n")
	in := filepath.Join(dir, "in")
	writeArticles(t, in, 5)
	old := "Harbour Dredging Finished Last Year\n\n" + time.Now().AddDate(0, 0, -60).Format("January 2, 2006") +
		"\n\nThe harbour dredging finished. " + storyText("old", 0) + ".\n"
	os.WriteFile(filepath.Join(in, "old.txt"), []byte(old), 0o644)
	if code, out, errs := run(t, "", "ingest", "-config", cfg, in); code != 0 || !strings.Contains(out, "6 new") {
		t.Fatalf("ingest: %d %q %s", code, out, errs)
	}
	// Pin the old story: it stays although it is past max_age.
	sdb, err := store.Open(context.Background(), filepath.Join(dir, "tf.db"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := sdb.ItemForGUID(context.Background(), "local", "file://"+filepath.ToSlash(filepath.Join(in, "old.txt")))
	sdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	oldID := fmt.Sprint(id)
	if code, _, errs := run(t, "", "pin", "harbour", oldID, "-config", cfg); code != 0 {
		t.Fatalf("pin: %d %s", code, errs)
	}
	cfg = writeConfig(t, dir, "retention:\n  max_age: 30d\n  max_items_per_source: 3\n")
	// Under 30 days, a story of 60 days is not taken in.
	older := strings.Replace(old, "Harbour Dredging Finished Last Year", "Harbour Dredging Began", 1)
	older = strings.Replace(older, "storyold", "storyolder", 1)
	os.WriteFile(filepath.Join(dir, "older.txt"), []byte(older), 0o644)
	if code, out, errs := run(t, "", "ingest", "-config", cfg, filepath.Join(dir, "older.txt")); code != 0 || !strings.Contains(out, "0 new") || !strings.Contains(out, "1 expired") {
		t.Errorf("ingest past max_age: %d %q %s", code, out, errs)
	}
	code, out, errs := run(t, "", "prune", "-config", cfg)
	// Five recent stories in one source, three kept; the old one pinned.
	if code != 0 || !strings.Contains(out, "2 items pruned: 0 older than 30d, 2 beyond 3 per source; 1 pinned items kept") {
		t.Errorf("prune: %d %q %s", code, out, errs)
	}
	if code, out, _ := run(t, "", "prune", "-config", cfg); code != 0 || !strings.HasPrefix(out, "0 items pruned") {
		t.Errorf("second prune: %d %q", code, out)
	}
	// A rescan of the unchanged folder brings none of the pruned back.
	if code, out, errs := run(t, "", "ingest", "-config", cfg, in); code != 0 || !strings.Contains(out, "0 new") || !strings.Contains(out, "2 expired") {
		t.Errorf("re-ingest after prune: %d %q %s", code, out, errs)
	}

	backup := filepath.Join(dir, "copy.db")
	if code, out, errs := run(t, "", "backup", backup, "-config", cfg); code != 0 || !strings.Contains(out, backup) {
		t.Fatalf("backup: %d %q %s", code, out, errs)
	}
	db, err := sql.Open("sqlite", "file:"+backup)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := sqlCount(t, db, `SELECT count(*) FROM items`); n != 4 {
		t.Errorf("backup holds %d items, want 4", n)
	}
	code, _, errs = run(t, "", "backup", backup, "-config", cfg)
	if code != exitFailed || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, backup+": file already exists") {
		t.Errorf("backup over an existing file: %d %q, want one line naming it", code, errs)
	}
	if code, _, errs := run(t, "", "backup", "-config", cfg); code != exitBadConfig || errs == "" {
		t.Errorf("backup without FILE: %d %q", code, errs)
	}
}

// TestServeSurvivesSIGKILL kills `topicfeed serve` with SIGKILL while its
// first refresh is storing remote feeds, then completes the set with a
// `refresh -force`: the database is intact, and every feed entry is stored
// exactly once (a source whose items were lost must not get a 304 that
// hides them, since validators commit with the items).
func TestServeSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short")
	}
	const sources, perSource = 20, 300
	srv := newFeedServer(t, perSource)
	var names []string
	for i := range sources {
		names = append(names, fmt.Sprintf("s%02d", i))
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, sourcesYAML(srv.URL, names...))
	dbPath := filepath.Join(dir, "tf.db")

	var logs syncBuffer
	cmd := exec.Command(bin, "serve", "-config", cfg, "-log-format", "text")
	cmd.Dir = dir
	cmd.Stderr = &logs
	afterKill := killAfterFirstCommit(t, cmd, dbPath, "serve", logs.String)
	t.Logf("killed serve with %d of %d items stored", afterKill, sources*perSource)
	if afterKill >= sources*perSource {
		t.Fatalf("serve stored every item before the kill; the test did not interrupt it")
	}

	refresh := exec.Command(bin, "refresh", "-force", "-config", cfg)
	refresh.Dir = dir
	if out, err := refresh.CombinedOutput(); err != nil {
		t.Fatalf("refresh after the kill: %v\n%s", err, out)
	}
	db := openIntact(t, dbPath)
	total := sources * perSource
	for q, want := range map[string]int{
		`SELECT count(*) FROM items`:                                                 total,
		`SELECT count(*) FROM sightings`:                                             total,
		`SELECT count(DISTINCT guid) FROM sightings WHERE guid <> ''`:                total,
		`SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM sightings)`: 0,
		`SELECT count(*) FROM sightings WHERE item_id NOT IN (SELECT id FROM items)`: 0,
		`SELECT count(*) FROM pragma_foreign_key_check`:                              0,
	} {
		if got := sqlCount(t, db, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
}

// killAfterFirstCommit starts cmd, waits (through a store handle of its
// own, opened once cmd has created dbPath) until some item is committed,
// then kills cmd with SIGKILL. It returns the items stored at the kill. logs, if not nil, gives cmd's
// output for failure messages.
func killAfterFirstCommit(t *testing.T, cmd *exec.Cmd, dbPath, what string, logs func() string) int {
	t.Helper()
	if logs == nil {
		logs = func() string { return "" }
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	ctx := context.Background()
	var watch *store.DB
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s stored nothing in 60s:\n%s", what, logs())
		}
		select {
		case err := <-exited:
			t.Fatalf("%s exited (%v) before it could be killed:\n%s", what, err, logs())
		default:
		}
		if watch == nil {
			if _, err := os.Stat(dbPath); err == nil {
				if watch, err = store.Open(ctx, dbPath); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { watch.Close() })
			}
			continue
		}
		n, err := watch.CountItems(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not die on SIGKILL", what)
	}
	n, err := watch.CountItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// openIntact opens the database file directly, closed when the test ends,
// and fails the test unless SQLite's integrity_check says ok.
func openIntact(t *testing.T, dbPath string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	return db
}
