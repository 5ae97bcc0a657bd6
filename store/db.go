// Package store keeps topicfeed's items, sources and topics in SQLite. It
// owns every SQL statement, the schema and its migrations; other packages
// see only feed types.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/topicfeed/topicfeed/feed"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// globSorted lists the embedded migrations matching pattern, in order.
func globSorted(pattern string) ([]string, error) {
	names, err := fs.Glob(migrations, pattern)
	sort.Strings(names)
	return names, err
}

// DB is an open topicfeed database.
type DB struct {
	db   *sql.DB
	path string
	pg   *pgState   // nil on SQLite
	near *nearIndex // read on the first ingest with near matching on

	searchMu sync.Mutex
	searchSt *searchStmts // prepared on the first search

	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Open opens (creating if needed) the database at path and migrates it.
// A postgres:// or postgresql:// URL opens a PostgreSQL database instead
// of a SQLite file.
func Open(ctx context.Context, path string) (*DB, error) {
	if IsPostgres(path) {
		return openPostgres(ctx, path)
	}
	q := url.Values{}
	// busy_timeout lets a cron refresh and the daemon share the file: a
	// writer waits for the other instead of failing with "database is locked".
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// The default 2 MB page cache made every index probe of a large store
	// a disk read. Since the duplicate index moved into memory, 16 MB per
	// connection ingests as fast as 32 MB did, at 100k and at 1M items
	// stored (A/B, two runs each), and a 1,000-feed refresh peaks 30 MB
	// lower (~120 MB of RSS against ~155). 8 MB (issue 19) measured no
	// slower for a refresh pass of 1 KB or 4 KB items, ingest at 100k
	// stored, or searches and topic renders at 20k (1M not measured), and
	// takes another ~15 MB off a refresh's peak (docs/PERFORMANCE.md).
	q.Add("_pragma", "cache_size(-8192)")
	// Checkpoint every ~40 MB of WAL, not 4 MB: pages a refresh rewrites
	// commit after commit (index leaves, the search segment) are copied
	// into the database once per checkpoint, so fewer checkpoints copy
	// less. A 1,000-feed refresh went from ~37 s to ~31 s.
	q.Add("_pragma", "wal_autocheckpoint(10000)")
	// Statement journals (multi-row band inserts) stay in memory.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// database/sql keeps 2 idle connections by default and closes the
	// rest after use; a reopened one runs every pragma, parses the schema
	// and prepares its statements again. Searches run one per CPU beside
	// a writer and feed renders, so keep that many. Each holds at most its
	// page cache (8 MB, only as far as it was filled).
	sdb.SetMaxIdleConns(runtime.GOMAXPROCS(0) + 2)
	d := &DB{db: sdb, path: path, near: newNearIndex(), Now: time.Now}
	// Two processes opening a new file at once (serve and a cron refresh)
	// both switch it to WAL; SQLite answers one of them SQLITE_BUSY at
	// once, without waiting in the busy handler, since waiting could
	// deadlock. Once the file is in WAL mode that cannot happen, so a
	// short retry is enough.
	for attempt := 0; ; attempt++ {
		err = d.init(ctx)
		if err == nil || !IsBusy(err) || attempt == openAttempts {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(time.Duration(10+rand.IntN(40)) * time.Millisecond):
			continue
		}
		break
	}
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return d, nil
}

// openAttempts bounds Open's retries of a busy new database (about 1.5 s).
const openAttempts = 50

func (d *DB) init(ctx context.Context) error {
	var mode string
	if err := d.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return d.migrate(ctx)
}

// Close closes the database.
func (d *DB) Close() error {
	d.searchMu.Lock()
	if d.searchSt != nil {
		d.searchSt.close()
	}
	d.searchMu.Unlock()
	d.near.reset() // its arrays are mapped outside the heap
	return d.db.Close()
}

// Path is the database file, or the PostgreSQL URL.
func (d *DB) Path() string { return d.path }

// Ping answers whether the database can be read, for /healthz.
func (d *DB) Ping(ctx context.Context) error {
	var n int
	return d.db.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

// migrate applies each embedded migration newer than PRAGMA user_version.
// The version is read inside the (immediate, so write-locked) transaction:
// two processes opening a new database at once apply each migration once.
func (d *DB) migrate(ctx context.Context) error {
	return d.applyMigrations(ctx, "migrations", -1, func(tx *sql.Tx) (int, error) {
		var v int
		err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
		return v, err
	}, func(tx *sql.Tx, v int) error {
		_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
		return err
	})
}

// applyMigrations applies the embedded migrations in dir (NNNN_name.sql)
// newer than the version the database holds, up to upTo (all when
// negative), each in its own write transaction, so a crash leaves the
// schema at a version. version and setVersion read and write the version
// where the backend keeps it.
func (d *DB) applyMigrations(ctx context.Context, dir string, upTo int,
	version func(*sql.Tx) (int, error), setVersion func(*sql.Tx, int) error) error {
	names, err := globSorted(dir + "/*.sql")
	if err != nil {
		return err
	}
	// A file's number is the version it makes: a gap would make a later
	// file take an earlier version's place and skip it for good.
	for i, n := range names {
		if want := fmt.Sprintf("%s/%04d_", dir, i+1); !strings.HasPrefix(n, want) {
			return fmt.Errorf("migration %s: expected number %04d", strings.TrimPrefix(n, dir+"/"), i+1)
		}
	}
	if upTo < 0 {
		upTo = len(names)
	}
	for {
		applied := ""
		err := d.transact(ctx, func(tx *sql.Tx) error {
			v, err := version(tx)
			if err != nil {
				return err
			}
			if v > len(names) {
				return fmt.Errorf("database schema version %d is newer than this topicfeed (%d)", v, len(names))
			}
			if v >= upTo {
				return nil
			}
			applied = strings.TrimPrefix(names[v], dir+"/")
			body, err := migrations.ReadFile(names[v])
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", applied, err)
			}
			return setVersion(tx, v+1)
		})
		if err != nil || applied == "" {
			return err
		}
	}
}

// transact runs fn in a transaction, rolling back on error or panic.
func (d *DB) transact(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// ErrNotFound is feed.ErrNotFound, so callers need not import store.
var ErrNotFound = feed.ErrNotFound

// Changes sends on the returned channel whenever anything, in this process
// or another (a cron refresh), commits to the database. It polls SQLite's
// data_version on a connection of its own, which changes exactly when
// other connections commit, so caches can be dropped without per-request SQL.
func (d *DB) Changes(ctx context.Context, every time.Duration) (<-chan struct{}, error) {
	if d.pg != nil {
		return d.changesPG(ctx)
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	version := func() (int64, error) {
		var v int64
		err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
		return v, err
	}
	last, err := version()
	if err != nil {
		conn.Close()
		return nil, err
	}
	out := make(chan struct{}, 1)
	go func() {
		defer conn.Close()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			v, err := version()
			if err != nil || v == last {
				continue
			}
			last = v
			select {
			case out <- struct{}{}:
			default: // a change is already pending
			}
		}
	}()
	return out, nil
}
