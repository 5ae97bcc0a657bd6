package store

import (
	"database/sql"
	"testing"

	"github.com/topicfeed/topicfeed/internal/pgtest"
)

// The store's tests run twice: on SQLite, then on a throwaway PostgreSQL
// server (skipped, with a line saying so, where PostgreSQL is not
// installed). Tests open databases with testDBPath, which names a new
// SQLite file or a new PostgreSQL database by the run.
var onPostgres bool

func TestMain(m *testing.M) { pgtest.RunBoth(m, "store", &onPostgres) }

// testDBPath names a new, empty database for t on the backend of this run.
func testDBPath(t testing.TB) string { return pgtest.DBPath(t, onPostgres, "test.db") }

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
