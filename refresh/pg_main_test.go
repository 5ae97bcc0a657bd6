package refresh

import (
	"path/filepath"
	"testing"

	"github.com/topicfeed/topicfeed/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backends name a new, empty database for a test on each store backend;
// tests that must behave the same on both run once per backend as
// subtests of these names. The PostgreSQL one skips where it is not
// installed.
var backends = []struct {
	name  string
	newDB func(testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "test.db") }},
	{"postgres", pgtest.DSN},
}
