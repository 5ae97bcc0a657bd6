package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/internal/synth"
)

// Replicas (here: handles on one database, as processes would hold)
// claiming due sources at once each get a share, and no source twice.
func TestClaimDueSharesSources(t *testing.T) {
	ctx := context.Background()
	path := testDBPath(t)
	var replicas []*DB
	for range 3 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		replicas = append(replicas, db)
	}
	var srcs []feed.Source
	for i := range 60 {
		srcs = append(srcs, feed.Source{Name: fmt.Sprintf("s%02d", i), URL: fmt.Sprintf("http://127.0.0.1:1/%d.xml", i)})
	}
	srcs = append(srcs, feed.Source{Name: "folder", Path: t.TempDir()})
	if err := replicas[0].SyncSources(ctx, srcs); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for i, db := range replicas {
		wg.Go(func() {
			for {
				got, err := db.ClaimDue(ctx, fmt.Sprintf("replica%d", i), now, time.Minute, 4, true)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, s := range got {
					claimed[s.Name]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != 60 {
		t.Errorf("%d sources claimed, want the 60 remote ones", len(claimed))
	}
	for name, n := range claimed {
		if n != 1 {
			t.Errorf("%s claimed %d times", name, n)
		}
	}

	// Fetched (its state saved) is no longer claimed, and not due.
	db := replicas[0]
	if err := db.SaveFetchState(ctx, "s00", &FetchState{Status: 200, Fetched: now, NextFetch: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// A replica that died holds the rest until the lease runs out.
	if got, err := db.ClaimDue(ctx, "late", now.Add(30*time.Second), time.Minute, 100, true); err != nil || len(got) != 0 {
		t.Errorf("within the lease: claimed %d, %v; want none", len(got), err)
	}
	got, err := db.ClaimDue(ctx, "late", now.Add(61*time.Second), time.Minute, 100, true)
	if err != nil || len(got) != 59 {
		t.Errorf("after the lease: claimed %d, %v; want the 59 not fetched", len(got), err)
	}
	// A stopping process gives its claims back.
	if err := db.ReleaseClaims(ctx, "late"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ClaimDue(ctx, "next", now.Add(62*time.Second), time.Minute, 100, false); err != nil || len(got) != 60 {
		t.Errorf("after release: claimed %d, %v; want 59 remote and the folder", len(got), err)
	}
}

// Two replicas storing copies of one story at the same moment still
// merge them: their write transactions take turns, and the second sees
// the first's item.
func TestReplicasMergeConcurrentCopies(t *testing.T) {
	ctx := context.Background()
	path := testDBPath(t)
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	opt := IngestOptions{Topics: mustTopics(t, a, nil), NearDistance: 18}
	words := synth.Words(7, 11, 2000)
	for round := range 5 {
		story := synth.Text(rand.New(rand.NewPCG(uint64(round), 3)), words, 1500, 8)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, db := range []*DB{a, b} {
			wg.Go(func() {
				<-start
				it := item(fmt.Sprintf("g%d", round), fmt.Sprintf("https://site%d.example/r%d", i, round), fmt.Sprintf("Story %d", round), story)
				if _, err := db.IngestBatches(ctx, []Batch{{Source: fmt.Sprintf("wire%d", i), Items: []feed.Item{it}}}, opt); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
	}
	if n := count(t, a, "items"); n != 5 {
		t.Errorf("%d items from 5 stories each stored by two replicas at once, want 5", n)
	}
	if n := count(t, b, "sightings"); n != 10 {
		t.Errorf("%d sightings, want 10", n)
	}
}

// A PostgreSQL database made by the previous version migrates at start
// and keeps what it held.
func TestPostgresMigratesFromPreviousVersion(t *testing.T) {
	if !onPostgres {
		t.Skip("PostgreSQL run only (SQLite's migrations have their own tests)")
	}
	ctx := context.Background()
	dsn := testDBPath(t)
	last := len(pgMigrationNames())
	old, err := openPostgresAt(ctx, dsn, last-1)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.SyncSources(ctx, []feed.Source{{Name: "wire", URL: "http://127.0.0.1:1/f.xml"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Ingest(ctx, "wire", []feed.Item{item("a", "", "Terminal", storyA)}, IngestOptions{Topics: mustTopics(t, old, nil)}); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.db.QueryRow(`SELECT version FROM topicfeed_schema`).Scan(&v); err != nil || v != last {
		t.Fatalf("schema version %d, %v; want %d", v, err, last)
	}
	if n := count(t, db, "items"); n != 1 {
		t.Errorf("%d items after migrating, want 1", n)
	}
	if got, err := db.ClaimDue(ctx, "r", time.Now(), time.Minute, 10, true); err != nil || len(got) != 1 {
		t.Errorf("claim after migrating: %d, %v; want the one source", len(got), err)
	}
	// Opening again applies nothing twice.
	again, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
}

// The pool's limits come from the config's postgres section.
func TestPostgresOptions(t *testing.T) {
	if !onPostgres {
		t.Skip("PostgreSQL run only")
	}
	SetPGOptions(PGOptions{MaxConns: 3, StatementTimeout: 100 * time.Millisecond})
	defer SetPGOptions(PGOptions{})
	db, err := Open(context.Background(), testDBPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := db.db.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("MaxOpenConnections = %d, want 3", n)
	}
	_, err = db.db.Exec(`SELECT pg_sleep(2)`)
	if err == nil || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("a 2 s statement with a 100 ms statement_timeout: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://tf:secret@db/topicfeed":             "postgres://tf:xxxxx@db/topicfeed",
		"postgresql://tf@db/topicfeed?password=secret":  "postgresql://tf@db/topicfeed?password=xxxxx",
		"/var/lib/topicfeed/topicfeed.db":               "/var/lib/topicfeed/topicfeed.db",
		"postgres://tf@/topicfeed?host=/run/postgresql": "postgres://tf@/topicfeed?host=/run/postgresql",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
