package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/internal/pgtest"
)

// Benchmarks for search and topic rendering over a large store. The 1M
// database takes many minutes to build, so it is opt-in and cached:
//
//	go test ./store -run '^$' -bench 'SearchIngest' -benchtime 20x
//	go test ./store -run '^$' -bench 'Search$|TopicRender'
//	TOPICFEED_BENCH_1M=1 go test ./store -run '^$' -bench 'Search$|TopicRender' -timeout 3h
//
// The cache lives in $TMPDIR/topicfeed-search-bench, keyed by
// searchBenchVersion: bump it when the schema or the generator changes.
//
// TOPICFEED_BENCH_SEARCH_SIZES=20000,100000 picks other sizes.
// TOPICFEED_BENCH_DATABASE picks the backend of the search and render
// benchmarks (the store tests run twice, on SQLite and then on PostgreSQL:
// see TestMain); when it is set, their names start with db=sqlite/ or
// db=postgres/:
//
//	(unset)       a cached SQLite file, in both runs
//	sqlite        a cached SQLite file, in the SQLite run only
//	postgres      the PostgreSQL run only, on the throwaway server (pgtest):
//	              each size is built once per test binary, not cached
//	both          each run on its own backend: SQLite, then PostgreSQL
//	postgres://…  the PostgreSQL run only, on that server (its user may
//	              create databases), cached as database topicfeed_search_VERSION_N
//
//	TOPICFEED_BENCH_DATABASE=both go test ./store -run '^$' -bench 'Search$' -timeout 3h
const searchBenchVersion = "s3"

func searchBenchSizes() []int {
	if v := os.Getenv("TOPICFEED_BENCH_SEARCH_SIZES"); v != "" {
		var sizes []int
		for f := range strings.SplitSeq(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				panic("TOPICFEED_BENCH_SEARCH_SIZES: not a size: " + f)
			}
			sizes = append(sizes, n)
		}
		return sizes
	}
	if os.Getenv("TOPICFEED_BENCH_1M") != "" {
		return []int{20_000, 1_000_000}
	}
	return []int{20_000}
}

// searchBenchBackend is the backend of the search benchmarks in this run
// of the store tests ("sqlite" or "postgres"), or "" when
// TOPICFEED_BENCH_DATABASE is unset (a SQLite file in every run); skip
// reports that they do not run in this one.
func searchBenchBackend() (backend string, skip bool) {
	v := os.Getenv("TOPICFEED_BENCH_DATABASE")
	switch {
	case v == "":
		return "", false
	case v == "sqlite":
		return "sqlite", onPostgres
	case v == "postgres" || IsPostgres(v):
		return "postgres", !onPostgres
	case v == "both":
		if onPostgres {
			return "postgres", false
		}
		return "sqlite", false
	}
	panic("TOPICFEED_BENCH_DATABASE: want sqlite, postgres, both or a postgres:// URL, not " + v)
}

// searchBenchRun runs a search benchmark's case, its name prefixed with
// the backend when one was chosen, or skips b when this run has none.
func searchBenchRun(b *testing.B, name string, fn func(b *testing.B)) {
	backend, skip := searchBenchBackend()
	if skip {
		b.Skip("TOPICFEED_BENCH_DATABASE=" + os.Getenv("TOPICFEED_BENCH_DATABASE") + ": not in this run")
	}
	if backend != "" {
		name = "db=" + backend + "/" + name
	}
	b.Run(name, fn)
}

// benchSubjects are what generated articles are about, most common first
// (a Zipf law picks them): the devset's rule words, so that topic rules
// and searches hit realistic shares of the store.
var benchSubjects = []string{
	"Pakistan", "the United States", "China", "tariffs", "Washington", "cricket", "US officials",
	"climate finance", "trade deal", "Beijing", "soybeans", "IT exports", "Müller", "steel",
	"loss and damage fund", "metro", "bus", "Shehbāz Qaiser", "WHO", "polio vaccination",
	"export controls", "automakers", "football", "Busan", "tariff",
}

// benchWords is filler: common English words first (including the
// pronouns "us", "it" and "who" that ALL-CAPS terms must not match), then
// invented words, drawn by a Zipf law as in real text.
var benchWords = func() []string {
	words := strings.Fields(`the of and to in a is that for it on said with as was by at from he
		his be have are has an they not this but who which will their said us were been more after
		would its one about also we than new government minister year people two over last can`)
	r := rand.New(rand.NewPCG(3, 4))
	syll := []string{"ka", "ro", "mi", "ten", "sal", "vu", "den", "or", "pli", "ast", "ne", "gor", "ul", "bri", "es", "tam"}
	for range 20_000 {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		words = append(words, b.String())
	}
	return words
}()

// searchBenchItem is the n-th generated article: about 3.5 KB of text on
// two subjects, from one of 20 sources; one in ten is published out of
// order (an archive backfill), up to a year early.
func searchBenchItem(n int) feed.Item {
	r := rand.New(rand.NewPCG(uint64(n), 11))
	words := rand.NewZipf(r, 1.07, 8, uint64(len(benchWords)-1))
	subjects := rand.NewZipf(r, 1.2, 3, uint64(len(benchSubjects)-1))
	a, c := benchSubjects[subjects.Uint64()], benchSubjects[subjects.Uint64()]
	var b strings.Builder
	for b.Len() < 3500 {
		for i := range 10 + r.IntN(14) {
			if i > 0 {
				b.WriteByte(' ')
			}
			switch r.IntN(40) {
			case 0:
				b.WriteString(a)
			case 1:
				b.WriteString(c)
			default:
				b.WriteString(benchWords[words.Uint64()])
			}
		}
		b.WriteString(".\n")
	}
	pub := time.Unix(1_700_000_000, 0).Add(time.Duration(n) * time.Minute)
	if r.IntN(10) == 0 {
		pub = pub.Add(-time.Duration(r.IntN(365*24)) * time.Hour)
	}
	return feed.Item{GUID: fmt.Sprintf("n%d", n), URL: fmt.Sprintf("https://bench.example/%d", n),
		Title: fmt.Sprintf("%s and %s: story %d", a, c, n), Text: b.String(), Content: "<p>" + b.String() + "</p>",
		Author: fmt.Sprintf("Reporter %d", n%97), Categories: []string{"news", benchSubjects[n%len(benchSubjects)]},
		Published: pub}
}

func searchBenchSource(n int) string { return fmt.Sprintf("src%02d", n%20) }

// searchBenchTopics are the devset's topics.
func searchBenchTopics(tb testing.TB) []*feed.Topic {
	rules := map[string][2]string{
		"pakistan-us":     {`Pakistan AND ("United States" OR US OR Washington)`, `cricket`},
		"china-trade":     {`(China OR Beijing) AND (tariff OR tariffs OR soybeans OR "export controls")`, ``},
		"climate-finance": {`"climate finance" OR ("loss and damage" AND fund)`, ``},
		"tariffs":         {`title:tariff OR title:tariffs`, ``},
		"trade-deals":     {`body:"trade deal" AND NOT title:"trade deal"`, ``},
		"shehbaz":         {`Shehbaz`, ``},
		"german-industry": {`Müller AND (steel OR automakers)`, `football`},
		"transport":       {`bus OR buses OR metro`, ``},
		"it-exports":      {`IT exports`, ``},
		"who-polio":       {`WHO AND (polio OR vaccination)`, ``},
	}
	ts := []*feed.Topic{{Name: feed.AllTopic, Limit: 50}}
	for name, r := range rules {
		t := &feed.Topic{Name: name, Title: name, Match: mustRule(tb, r[0]), Limit: 50}
		if r[1] != "" {
			t.Exclude = mustRule(tb, r[1])
		}
		ts = append(ts, t)
	}
	return ts
}

// searchBenchDB opens the cached database of n generated items, building
// it first if needed.
func searchBenchDB(b *testing.B, n int) *DB {
	b.Helper()
	if backend, _ := searchBenchBackend(); backend == "postgres" {
		db, err := Open(context.Background(), pgSearchBenchDB(b, n))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}
	dir := filepath.Join(os.TempDir(), "topicfeed-search-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.db", searchBenchVersion, n))
	if _, err := os.Stat(path + ".ready"); err != nil {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
		start := time.Now()
		if err := buildSearchBenchDB(path, n, searchBenchTopics(b)); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path+".ready", nil, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %s in %v", path, time.Since(start).Round(time.Second))
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// pgSearchBench holds the PostgreSQL databases of the search benchmarks
// built by this test binary, by size.
var (
	pgSearchBenchMu sync.Mutex
	pgSearchBench   = map[int]string{}
)

// pgSearchBenchDB returns the URL of a PostgreSQL database of n generated
// items, building it first if needed: on the throwaway server once per
// test binary, or on the server TOPICFEED_BENCH_DATABASE names once (a
// table bench_ready marks a finished build).
func pgSearchBenchDB(b *testing.B, n int) string {
	b.Helper()
	pgSearchBenchMu.Lock()
	defer pgSearchBenchMu.Unlock()
	if dsn, ok := pgSearchBench[n]; ok {
		return dsn
	}
	ctx := context.Background()
	base := os.Getenv("TOPICFEED_BENCH_DATABASE")
	var dsn string
	if !IsPostgres(base) {
		dsn = pgtest.DSN(b)
	} else {
		u, err := url.Parse(base)
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("topicfeed_search_%s_%d", searchBenchVersion, n)
		u.Path = "/" + name
		dsn = u.String()
		if ready, err := pgBenchReady(ctx, dsn); err == nil && ready {
			pgSearchBench[n] = dsn
			return dsn
		}
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			b.Fatal(err)
		}
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name)
		if err == nil {
			_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
		}
		conn.Close(ctx)
		if err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	if err := buildSearchBenchDB(dsn, n, searchBenchTopics(b)); err != nil {
		b.Fatal(err)
	}
	if IsPostgres(base) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		_, err = conn.Exec(ctx, "CREATE TABLE bench_ready ()")
		conn.Close(ctx)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built %d items on PostgreSQL in %v", n, time.Since(start).Round(time.Second))
	pgSearchBench[n] = dsn
	return dsn
}

func pgBenchReady(ctx context.Context, dsn string) (bool, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return false, err
	}
	defer conn.Close(ctx)
	var ready bool
	err = conn.QueryRow(ctx, "SELECT to_regclass('bench_ready') IS NOT NULL").Scan(&ready)
	return ready, err
}

// buildSearchBenchDB writes rows directly rather than through Ingest: the
// dedup work is not what these benchmarks measure, and at 1M items it
// would multiply the build time. The search triggers run as in Ingest.
// path may be a PostgreSQL URL: its own triggers then queue the items and
// flushSearch writes its own index.
func buildSearchBenchDB(path string, n int, topics []*feed.Topic) error {
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SyncTopics(ctx, topics); err != nil {
		return err
	}
	for i := 0; i < 20; i++ {
		if _, err := ensureSourceDB(ctx, db, searchBenchSource(i)); err != nil {
			return err
		}
	}
	start := time.Now()
	for from := 0; from < n; from += 1000 {
		err := db.transact(ctx, func(tx *sql.Tx) error {
			for i := from; i < min(from+1000, n); i++ {
				if err := benchInsert(ctx, db, tx, searchBenchItem(i), searchBenchSource(i), i, topics); err != nil {
					return err
				}
			}
			// The triggers only queue items: without this the index
			// stayed empty and every search benchmark found nothing.
			return db.flushSearch(ctx, tx, nil)
		})
		if err != nil {
			return err
		}
		if done := from + 1000; n >= 100_000 && done%(n/10) == 0 {
			fmt.Fprintf(os.Stderr, "store bench: built %d of %d items in %v\n", done, n, time.Since(start).Round(time.Second))
		}
	}
	if db.pg != nil {
		// What autovacuum does to a table that stopped growing: statistics
		// for the planner and the visibility map for index-only scans.
		_, err = db.db.ExecContext(ctx, `VACUUM (ANALYZE)`)
		return err
	}
	_, err = db.db.ExecContext(ctx, `INSERT INTO search (search) VALUES ('optimize')`)
	return err
}

func ensureSourceDB(ctx context.Context, db *DB, name string) (int64, error) {
	var id int64
	err := db.transact(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = ensureSource(ctx, tx, name, 0)
		return err
	})
	return id, err
}

func benchInsert(ctx context.Context, db *DB, tx *sql.Tx, it feed.Item, src string, n int, topics []*feed.Topic) error {
	pub := it.Published.UnixNano()
	const insert = `INSERT INTO items (url, title, content, text, author, categories,
		published, updated, created, content_hash, simhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`
	args := []any{it.URL, it.Title, it.Content, it.Text, it.Author, strings.Join(it.Categories, "\n"), pub, pub, pub, it.GUID}
	var id int64
	if db.pg != nil { // pgx has no LastInsertId
		if err := tx.QueryRowContext(ctx, insert+` RETURNING id`, args...).Scan(&id); err != nil {
			return err
		}
	} else {
		r, err := tx.ExecContext(ctx, insert, args...)
		if err != nil {
			return err
		}
		if id, err = r.LastInsertId(); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sightings (item_id, source_id, guid, url, hash, reason, seen)
		SELECT ?, id, ?, ?, ?, 'new', ? FROM sources WHERE name = ?`, id, it.GUID, it.URL, it.GUID, pub, src); err != nil {
		return err
	}
	it.Sources = []string{src}
	if len(topics) == 0 {
		return nil // no tokenising: the raw baseline must not pay for it
	}
	doc := feed.ItemDoc(&it)
	for _, t := range topics {
		if t.Accepts(doc, it.Sources) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO topic_items (topic, item_id, published) VALUES (?, ?, ?)`, t.Name, id, pub); err != nil {
				return err
			}
		}
	}
	return nil
}

var searchBenchQueries = []struct{ name, q string }{
	{"one-hit", `12345`}, // "story 12345" in one title
	{"rare", `Shehbaz`},
	{"phrase", `"climate finance"`},
	{"topic-rule", `Pakistan AND ("United States" OR US OR Washington) NOT cricket`},
	{"common", `Pakistan`},
	{"acronym", `US`},
	{"field", `title:tariffs`},
	{"absent", `zzyzx`},
	{"not-only", `NOT cricket`},
}

// BenchmarkSearch: one 50-item search, at each store size.
func BenchmarkSearch(b *testing.B) {
	for _, n := range searchBenchSizes() {
		for _, q := range searchBenchQueries {
			searchBenchRun(b, fmt.Sprintf("items=%d/%s", n, q.name), func(b *testing.B) {
				db := searchBenchDB(b, n)
				r := mustRule(b, q.q)
				var got, ops int
				cpu := cpuTime()
				for b.Loop() {
					items, err := db.Search(context.Background(), r, 50)
					if err != nil {
						b.Fatal(err)
					}
					got = len(items)
					ops++
				}
				b.ReportMetric(float64(got), "items")
				b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(ops), "cpu-ms/op")
			})
		}
	}
}

// BenchmarkSearchParallel: searches from concurrent clients, for
// throughput (1e9 / ns/op = searches per second on this machine).
func BenchmarkSearchParallel(b *testing.B) {
	for _, n := range searchBenchSizes() {
		for _, q := range searchBenchQueries[:3] {
			searchBenchRun(b, fmt.Sprintf("items=%d/%s", n, q.name), func(b *testing.B) {
				db := searchBenchDB(b, n)
				r := mustRule(b, q.q)
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := db.Search(context.Background(), r, 50); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkTopicRender: a 50-item topic feed as the publisher makes it,
// TopicItems then Render, at each store size.
func BenchmarkTopicRender(b *testing.B) {
	for _, n := range searchBenchSizes() {
		for _, topic := range []string{feed.AllTopic, "pakistan-us", "who-polio"} {
			searchBenchRun(b, fmt.Sprintf("items=%d/%s", n, topic), func(b *testing.B) {
				db := searchBenchDB(b, n)
				ch := feed.Channel{Title: topic, Link: "http://x/topics/" + topic, BaseURL: "http://x"}
				var buf bytes.Buffer
				ops, cpu := 0, cpuTime()
				for b.Loop() {
					ops++
					items, err := db.TopicItems(context.Background(), topic, 50)
					if err != nil {
						b.Fatal(err)
					}
					buf.Reset()
					if err := feed.Render(&buf, feed.RSS, ch, items); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(buf.Len()), "bytes")
				b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(ops), "cpu-ms/op")
			})
		}
	}
}

// BenchmarkSearchIngest compares, batch by batch in one run, Ingest with
// and without the search triggers, and a raw INSERT of the same rows
// (items and sightings, no dedup or topics) with and without them, so that
// load from other processes hits all four alike. Each reports items/s of
// wall time and of process CPU time, the steadier figure on a shared machine.
func BenchmarkSearchIngest(b *testing.B) {
	ctx := context.Background()
	topics := searchBenchTopics(b)
	names := []string{"ingest-search", "ingest-nosearch", "raw-search", "raw-nosearch"}
	dbs := make([]*DB, len(names))
	for i := range dbs {
		dbs[i] = mustOpenDB(b)
		if err := dbs[i].SyncTopics(ctx, topics); err != nil {
			b.Fatal(err)
		}
		if _, err := ensureSourceDB(ctx, dbs[i], "bench"); err != nil {
			b.Fatal(err)
		}
	}
	for _, db := range []*DB{dbs[1], dbs[3]} {
		drops := []string{"search_new", "search_merge", "search_update", "search_delete"}
		if db.pg != nil { // the store tests' PostgreSQL run: its own triggers
			drops = []string{"search_sighting ON sightings", "search_update ON items"}
		}
		for _, trig := range drops {
			if _, err := db.db.Exec(`DROP TRIGGER ` + trig); err != nil {
				b.Fatal(err)
			}
		}
	}
	opt := IngestOptions{Topics: topics, NearDistance: 12}
	clocks := make([]stopwatch, len(names))
	next := 0
	for b.Loop() {
		b.StopTimer()
		batch := make([]feed.Item, 500)
		for i := range batch {
			batch[i] = searchBenchItem(next + i)
		}
		b.StartTimer()
		for i, db := range dbs {
			if i < 2 {
				work := append([]feed.Item(nil), batch...)
				clocks[i].time(b, func() error { _, err := db.Ingest(ctx, "bench", work, opt); return err })
				continue
			}
			clocks[i].time(b, func() error { return rawBatch(ctx, db, batch, next) })
		}
		next += len(batch)
	}
	for i, name := range names {
		b.ReportMetric(float64(next)/clocks[i].wall.Seconds(), name+"-items/s")
		b.ReportMetric(float64(next)/clocks[i].cpu.Seconds(), name+"-cpu-items/s")
	}
	b.ReportMetric(clocks[1].cpu.Seconds()/clocks[0].cpu.Seconds(), "ingest-ratio")
	b.ReportMetric(clocks[3].cpu.Seconds()/clocks[2].cpu.Seconds(), "raw-ratio")
}

// rawBatch inserts items and their sightings, nothing else, as the build
// of the benchmark databases does, and indexes them for search when the
// search triggers are in place (they only queue; flushSearch indexes).
func rawBatch(ctx context.Context, db *DB, batch []feed.Item, first int) error {
	return db.transact(ctx, func(tx *sql.Tx) error {
		for i, it := range batch {
			if err := benchInsert(ctx, db, tx, it, "bench", first+i, nil); err != nil {
				return err
			}
		}
		return db.flushSearch(ctx, tx, nil)
	})
}

// stopwatch sums wall time and process CPU time (user+system, every
// thread) over calls; CPU time is the steadier figure on a shared machine.
type stopwatch struct{ wall, cpu time.Duration }

func (s *stopwatch) time(b *testing.B, fn func() error) {
	c0, w0 := cpuTime(), time.Now()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	s.wall += time.Since(w0)
	s.cpu += cpuTime() - c0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
