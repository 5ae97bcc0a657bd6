package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFull(t *testing.T) {
	src := `database: tf.db
listen: 127.0.0.1:9090
base_url: https://feeds.example.org
refresh: {interval: 15m, concurrency: 4, per_host: 1, timeout: 5s, max_body: 2MiB}
dedup: {near_duplicate_distance: 0}
retention: {max_age: 180d, max_items_per_source: 100, max_content: 64KiB}
sources:
  - name: dawn
    url: https://www.dawn.com/feeds/home
    interval: 15m
  - name: desk
    path: ./articles
topics:
  - name: pakistan-us
    title: Pakistan–US relations
    match: 'Pakistan AND ("United States" OR US)'
    exclude: cricket
    sources: [dawn]
    limit: 20
`
	c, err := Parse("/etc/tf/topicfeed.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Database, "/etc/tf/tf.db"; got != want {
		t.Errorf("Database = %q, want %q (relative to the config file)", got, want)
	}
	if got, want := c.Sources[1].Path, "/etc/tf/articles"; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	if got := time.Duration(c.Refresh.Interval); got != 15*time.Minute {
		t.Errorf("Interval = %v", got)
	}
	if got := time.Duration(c.Retention.MaxAge); got != 180*24*time.Hour {
		t.Errorf("MaxAge = %v", got)
	}
	if got := int64(c.Refresh.MaxBody); got != 2<<20 {
		t.Errorf("MaxBody = %d", got)
	}
	if got := int64(c.Retention.MaxContent); got != 64<<10 {
		t.Errorf("MaxContent = %d", got)
	}
	if got := c.NearDuplicateDistance(); got != 0 {
		t.Errorf("NearDuplicateDistance = %d, want 0 (explicitly disabled)", got)
	}
	topics := c.FeedTopics()
	if len(topics) != 2 || topics[1].Name != "all" {
		t.Fatalf("topics = %v, want pakistan-us and the built-in all", topics)
	}
	if topics[0].Limit != 20 || topics[0].Match == nil || topics[0].Exclude == nil {
		t.Errorf("topic not compiled: %+v", topics[0])
	}
}

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(filepath.Join(dir, DefaultPath), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Database != "topicfeed.db" || c.Listen != "127.0.0.1:8080" || len(c.Sources) != 0 {
		t.Errorf("defaults = %+v", c)
	}
	if ts := c.FeedTopics(); len(ts) != 1 || ts[0].Name != "all" {
		t.Errorf("default topics = %v, want only all", ts)
	}
	if c.Retention.MaxContent != 256<<10 {
		t.Errorf("retention.max_content = %d, want 256 KiB", c.Retention.MaxContent)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), true); err == nil {
		t.Error("an explicitly named missing file must be an error")
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // each must appear, in order, one per line
	}{
		{"unknown top key", "databse: x.db\n", []string{`t.yaml:1: unknown key "databse"`}},
		{"unknown nested key", "refresh:\n  intervall: 5m\n", []string{`t.yaml:2: unknown key "intervall" in refresh`}},
		{"bad duration", "refresh:\n  interval: soon\n", []string{`t.yaml:2: invalid duration "soon"`}},
		{"bad size", "refresh: {max_body: lots}\n", []string{`t.yaml:1: invalid size "lots"`}},
		{"wrong type", "refresh: {concurrency: many}\n", []string{`t.yaml:1: "many" is not a whole number`}},
		{"bad rule", "topics:\n  - name: x\n    match: 'a AND )'\n", []string{`t.yaml:3: topic x: match: `, `at column 7`}},
		{"two problems", "sources:\n  - name: a\n  - name: a\n    url: ftp://x\n", []string{
			`t.yaml:2: source a: needs url or path`, `t.yaml:3: source a: name used twice`,
			`t.yaml:4: source a: url "ftp://x" is not an absolute http(s) URL`}},
		{"unknown topic source", "topics:\n  - name: x\n    match: y\n    sources: [nope]\n", []string{`t.yaml:4: topic x: unknown source "nope"`}},
		{"syntax", "topics: [\n", []string{`t.yaml:`}},
		{"listen", "listen: nowhere\n", []string{`t.yaml:1: listen: "nowhere" is not host:port`}},
		{"distance", "dedup: {near_duplicate_distance: 99}\n", []string{`t.yaml:1: dedup.near_duplicate_distance: 99 is not between 0 and 64`}},
		{"content cap", "retention:\n  max_content: 100B\n", []string{`t.yaml:2: retention.max_content: must be at least 1KiB`}},
		{"short lease", "refresh: {timeout: 30s}\npostgres:\n  lease: 10s\n", []string{`t.yaml:3: postgres.lease: 10s must be longer than refresh.timeout (30s)`}},
		{"negative pool", "postgres: {max_conns: -1}\n", []string{`t.yaml:1: postgres: max_conns`}},
		{"bad postgres URL", "database: 'postgres://u@h:port/db'\n", []string{`t.yaml:1: database: not a PostgreSQL URL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			got := err.Error()
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error\n%s\nlacks %q", got, w)
				}
				rest = rest[i+len(w):]
			}
			for _, line := range strings.Split(got, "\n") {
				if !strings.HasPrefix(line, "t.yaml") {
					t.Errorf("problem line %q does not name the file", line)
				}
			}
		})
	}
}

func TestUnits(t *testing.T) {
	durs := map[string]time.Duration{"30m": 30 * time.Minute, "180d": 180 * 24 * time.Hour, "1.5d": 36 * time.Hour, "20s": 20 * time.Second}
	for in, want := range durs {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	sizes := map[string]int64{"10MiB": 10 << 20, "512KB": 512000, "1GiB": 1 << 30, "4096": 4096, "2 MiB": 2 << 20}
	for in, want := range sizes {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1d", "10XB", "abc"} {
		if _, err := ParseByteSize(bad); err == nil && bad != "" {
			t.Errorf("ParseByteSize(%q) accepted", bad)
		}
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	b, err := os.ReadFile("../examples/topicfeed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("../examples/topicfeed.yaml", b); err != nil {
		t.Fatal(err)
	}
}

// A PostgreSQL URL is not a path: it is kept as written, not joined to
// the config file's folder.
func TestPostgresDatabaseNotAPath(t *testing.T) {
	c, err := Parse("/etc/topicfeed/t.yaml", []byte("database: postgres://tf@db.internal/topicfeed\npostgres: {max_conns: 4, lease: 3m}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database != "postgres://tf@db.internal/topicfeed" {
		t.Errorf("database = %q, want the URL as written", c.Database)
	}
	if c.Postgres.MaxConns != 4 || time.Duration(c.Postgres.Lease) != 3*time.Minute {
		t.Errorf("postgres = %+v", c.Postgres)
	}
}
