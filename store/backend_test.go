package store

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/topicfeed/topicfeed/internal/pgtest"
)

// The store's tests run twice: on SQLite, then on a throwaway PostgreSQL
// server (skipped, with a line saying so, where PostgreSQL is not
// installed). Tests open databases with testDBPath, which names a new
// SQLite file or a new PostgreSQL database by the run.
var onPostgres bool

func TestMain(m *testing.M) {
	code := m.Run()
	if !pgtest.Available() {
		fmt.Fprintln(os.Stderr, "store: PostgreSQL not installed; the PostgreSQL run of the store tests is skipped")
	} else if os.Getenv("TOPICFEED_TEST_SQLITE_ONLY") == "" {
		fmt.Fprintln(os.Stderr, "store: running the store tests again on PostgreSQL")
		onPostgres = true
		if c := m.Run(); c != 0 {
			code = c
		}
	}
	pgtest.Main(exitCode(code))
}

// exitCode is a *testing.M stand-in whose Run reports code, so pgtest.Main
// stops the server and exits with the combined result.
type exitCode int

func (c exitCode) Run() int { return int(c) }

// testDBPath names a new, empty database for t on the backend of this run.
func testDBPath(t testing.TB) string {
	t.Helper()
	if onPostgres {
		return pgtest.DSN(t)
	}
	return filepath.Join(t.TempDir(), "test.db")
}

// sqliteOnly skips t on the PostgreSQL run: it tests something of SQLite's
// own (its file, WAL, locking) that PostgreSQL does not have.
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if onPostgres {
		t.Skip("SQLite only: " + why)
	}
}

// indexHits counts the search index's hits of an FTS5 query (FTSQuery).
func indexHits(d *DB, q string) *sql.Row {
	if d.pg != nil {
		return d.db.QueryRow(`SELECT count(*) FROM search WHERE terms @@ CAST(? AS tsquery)`, tsquery(q))
	}
	return d.db.QueryRow(`SELECT count(*) FROM search WHERE search MATCH ?`, q)
}
