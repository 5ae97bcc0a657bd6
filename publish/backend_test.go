package publish_test

import (
	"testing"

	"github.com/topicfeed/topicfeed/internal/pgtest"
)

// The package's tests run twice, as the store's do: on SQLite, then on a
// throwaway PostgreSQL server (skipped, with a line saying so, where
// PostgreSQL is not installed). newFixture opens its database with
// testDBPath, which names a new SQLite file or PostgreSQL database by the
// run. The tests of package publish use no store and simply run twice.
var onPostgres bool

func TestMain(m *testing.M) { pgtest.RunBoth(m, "publish", &onPostgres) }

// testDBPath names a new, empty database for t on the backend of this run.
func testDBPath(t testing.TB) string { return pgtest.DBPath(t, onPostgres, "tf.db") }
