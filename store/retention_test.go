package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// retentionText is a distinct text per item, so none merges by hash, with
// a word of its own to look it up in the search index.
func retentionText(name string) string {
	return fmt.Sprintf("Story %s about the harbour: the council met and voted on item %s, word unique%s.", name, name, name)
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, testDBPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	topics := mustTopics(t, d, map[string]string{"harbour": "harbour"})
	opt := IngestOptions{Topics: topics}
	day := 24 * time.Hour

	mk := func(src, name string, age time.Duration) feed.Item {
		return feed.Item{GUID: src + "-" + name, URL: "http://a.example/" + name, Title: "Story " + name,
			Text: retentionText(name), Content: "<p>" + retentionText(name) + "</p>", Published: now.Add(-age)}
	}
	// Source a: ten recent items a0 (newest) .. a9, and three 400 days old.
	var a []feed.Item
	for i := range 10 {
		a = append(a, mk("a", fmt.Sprintf("a%d", i), time.Duration(i)*day))
	}
	for i := range 3 {
		a = append(a, mk("a", fmt.Sprintf("old%d", i), 400*day+time.Duration(i)*time.Hour))
	}
	if _, err := d.Ingest(ctx, "a", a, opt); err != nil {
		t.Fatal(err)
	}
	// Source b: two new items and a copy of a7 (same link, merged), which
	// is within b's newest five, so b keeps it.
	b := []feed.Item{mk("b", "b0", time.Hour), mk("b", "b1", 2*time.Hour), mk("b", "a7", 7*day)}
	r, err := d.Ingest(ctx, "b", b, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r.New != 2 || r.Merged != 1 {
		t.Fatalf("ingest b = %+v, want 2 new, 1 merged", r)
	}
	id := func(src, name string) int64 {
		t.Helper()
		id, err := d.ItemForGUID(ctx, src, src+"-"+name)
		if err != nil {
			t.Fatalf("%s/%s: %v", src, name, err)
		}
		return id
	}
	pinned := id("a", "old0")
	if err := d.Curate(ctx, "harbour", pinned, Pin); err != nil {
		t.Fatal(err)
	}
	hidden := id("a", "old1")
	if err := d.Curate(ctx, "harbour", hidden, Hide); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, "items"); n != 15 {
		t.Fatalf("%d items before prune, want 15", n)
	}

	// Nothing configured: nothing goes.
	if res, err := d.Prune(ctx, 0, 0); err != nil || res != (PruneResult{}) {
		t.Fatalf("Prune(0, 0) = %+v, %v; want nothing", res, err)
	}

	pruneBatch = 2 // several transactions
	defer func() { pruneBatch = 1000 }()
	res, err := d.Prune(ctx, 180*day, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Old: old1, old2 (old0 pinned). Beyond a's newest five: a5, a6, a8, a9
	// (a7 kept by b).
	want := PruneResult{Deleted: 6, Old: 2, Excess: 4, Pinned: 1}
	if res != want {
		t.Errorf("Prune = %+v, want %+v", res, want)
	}
	for _, name := range []string{"a0", "a4", "a7", "old0"} {
		if _, err := d.Item(ctx, id("a", name)); err != nil {
			t.Errorf("%s: %v, want kept", name, err)
		}
	}
	for _, name := range []string{"b0", "b1", "a7"} {
		id("b", name)
	}
	for _, name := range []string{"a5", "a6", "a8", "a9", "old1", "old2"} {
		if _, err := d.ItemForGUID(ctx, "a", "a-"+name); err == nil {
			t.Errorf("%s still stored, want pruned", name)
		}
	}
	if n := count(t, d, "items"); n != 9 {
		t.Errorf("%d items after prune, want 9", n)
	}
	if n := count(t, d, "sightings"); n != 10 {
		t.Errorf("%d sightings after prune, want 10", n)
	}
	for _, table := range []string{"sightings", "item_keys", "topic_items", "curation"} {
		var orphans int
		if err := d.db.QueryRow(`SELECT count(*) FROM ` + table + ` WHERE item_id NOT IN (SELECT id FROM items)`).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Errorf("%s: %d rows of pruned items", table, orphans)
		}
	}
	var n int
	if err := indexHits(d, mustRule(t, "uniquea5 OR uniqueold1").FTSQuery()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("search index still finds %d pruned items", n)
	}
	if cs, err := d.Curations(ctx, "harbour"); err != nil || len(cs) != 1 || cs[0].ItemID != pinned {
		t.Errorf("curations after prune = %+v, %v; want the pin only", cs, err)
	}

	// Pruning again changes nothing.
	if res, err := d.Prune(ctx, 180*day, 5); err != nil || res.Deleted != 0 {
		t.Errorf("second Prune = %+v, %v; want nothing deleted", res, err)
	}
	// A pruned item never comes back: its tombstone turns it away.
	if r, err := d.Ingest(ctx, "a", a[11:12], opt); err != nil || r.Expired != 1 || r.New != 0 {
		t.Errorf("re-ingest pruned item = %+v, %v; want expired", r, err)
	}
}

func TestPruneCancelled(t *testing.T) {
	ctx := context.Background()
	d := mustOpenDB(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	var items []feed.Item
	for i := range 20 {
		n := fmt.Sprintf("c%d", i)
		items = append(items, feed.Item{GUID: n, Title: n, Text: retentionText(n), Published: now.Add(-time.Duration(i) * time.Hour)})
	}
	if _, err := d.Ingest(ctx, "c", items, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Prune(cctx, 0, 5); err == nil {
		t.Fatal("Prune with a cancelled context: no error")
	}
	if n := count(t, d, "items"); n != 20 {
		t.Errorf("%d items after cancelled prune, want 20", n)
	}
	res, err := d.Prune(ctx, 0, 5)
	if err != nil || res.Deleted != 15 || res.Excess != 15 {
		t.Errorf("Prune(0, 5) = %+v, %v; want 15 deleted", res, err)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	sqliteOnly(t, "Backup is VACUUM INTO; PostgreSQL is backed up with pg_dump")
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	writer, err := Open(ctx, path) // a second handle, as serve beside a cron backup
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()

	batch := func(n int) []feed.Item {
		var items []feed.Item
		for i := range 50 {
			name := fmt.Sprintf("w%dx%d", n, i)
			items = append(items, feed.Item{GUID: name, Title: name, Text: retentionText(name),
				Published: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
		}
		return items
	}
	if _, err := writer.Ingest(ctx, "w", batch(0), IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error, 1)
	var commits atomic.Int64
	go func() {
		for n := 1; ; n++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := writer.Ingest(ctx, "w", batch(n), IngestOptions{}); err != nil {
				done <- err
				return
			}
			commits.Add(1)
		}
	}()
	waitCommits := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); commits.Load() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("writer made %d commits in 20s, want %d", commits.Load(), n)
			}
		}
	}
	waitCommits(2)
	before, err := d.CountItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "backup.db")
	if err := d.Backup(ctx, out); err != nil {
		t.Fatal(err)
	}
	waitCommits(commits.Load() + 1) // the writer went on after the backup
	after, err := d.CountItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer during backup: %v", err)
	}
	if after == before {
		t.Log("writer committed nothing during the backup; the copy is still checked")
	}

	// Refuses to overwrite, with one line naming the file.
	err = d.Backup(ctx, out)
	if err == nil || !strings.Contains(err.Error(), out) || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second backup to the same file: %v, want an exists error naming it", err)
	}

	b, err := Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var check string
	if err := b.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("backup integrity_check = %q, %v", check, err)
	}
	var fkProblems int
	if err := b.db.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fkProblems); err != nil || fkProblems != 0 {
		t.Errorf("backup foreign_key_check: %d problems, %v", fkProblems, err)
	}
	got, err := b.CountItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("items: %d before backup, %d in it, %d after", before, got, after)
	// A snapshot: whole batches only, taken between the two counts.
	if got < before || got > after || got%50 != 0 {
		t.Errorf("backup has %d items; want a multiple of 50 between %d and %d", got, before, after)
	}
	if n := count(t, b, "sightings"); n != got {
		t.Errorf("backup has %d sightings for %d items", n, got)
	}
	// No temporary file is left beside it.
	entries, _ := filepath.Glob(filepath.Join(dir, ".backup.db.tmp*"))
	if len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
}
