package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// RunBoth is a TestMain for packages whose tests run on each store
// backend: it runs m on SQLite, then again with *onPostgres set where
// PostgreSQL is installed (unless TOPICFEED_TEST_SQLITE_ONLY is set), and
// exits as Main does with the worse result. pkg names the package in the
// line saying which run is which.
func RunBoth(m interface{ Run() int }, pkg string, onPostgres *bool) {
	code := m.Run()
	switch {
	case !Available():
		fmt.Fprintf(os.Stderr, "%s: PostgreSQL not installed; the PostgreSQL run of the tests is skipped\n", pkg)
	case os.Getenv("TOPICFEED_TEST_SQLITE_ONLY") != "":
		fmt.Fprintf(os.Stderr, "%s: TOPICFEED_TEST_SQLITE_ONLY set; the PostgreSQL run of the tests is skipped\n", pkg)
	default:
		fmt.Fprintf(os.Stderr, "%s: running the tests again on PostgreSQL\n", pkg)
		*onPostgres = true
		if c := m.Run(); c != 0 {
			code = c
		}
	}
	Main(exitCode(code))
}

// exitCode stands in for a *testing.M whose tests have run: its Run
// reports their result, so that Main stops the server and exits with it.
type exitCode int

func (c exitCode) Run() int { return int(c) }

// DBPath names a new, empty database for tb: a PostgreSQL database when
// onPostgres, else a SQLite file called name in a temporary folder.
func DBPath(tb testing.TB, onPostgres bool, name string) string {
	tb.Helper()
	if onPostgres {
		return DSN(tb)
	}
	return filepath.Join(tb.TempDir(), name)
}
