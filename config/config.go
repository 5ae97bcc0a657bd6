// Package config loads, defaults and validates topicfeed's YAML config file.
// Every problem is reported with the file and line it comes from.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/topicfeed/topicfeed/feed"
)

// DefaultPath is the config file read when -config is not given.
const DefaultPath = "topicfeed.yaml"

// Config is the whole config file. Zero fields take Default's values.
type Config struct {
	Database       string    `yaml:"database"`
	Listen         string    `yaml:"listen"`
	BaseURL        string    `yaml:"base_url"`
	AdminTokenFile string    `yaml:"admin_token_file"`
	WebSubHub      string    `yaml:"websub_hub"` // advertised in feeds and pinged on changes
	Refresh        Refresh   `yaml:"refresh"`
	Dedup          Dedup     `yaml:"dedup"`
	Retention      Retention `yaml:"retention"`
	Postgres       Postgres  `yaml:"postgres"`
	Sources        []Source  `yaml:"sources"`
	Topics         []Topic   `yaml:"topics"`

	// File is where the config came from ("" for built-in defaults).
	File string `yaml:"-"`
	// lines maps "sources.2.url"-style paths to line numbers for messages.
	lines map[string]int
}

type Refresh struct {
	Interval    Duration `yaml:"interval"`
	Concurrency int      `yaml:"concurrency"`
	PerHost     int      `yaml:"per_host"`
	Timeout     Duration `yaml:"timeout"`
	MaxBody     ByteSize `yaml:"max_body"`
	// MinInterval and MaxInterval bound the poll interval chosen from how
	// often a source publishes.
	MinInterval Duration `yaml:"min_interval"`
	MaxInterval Duration `yaml:"max_interval"`
	// AllowPrivate lets sources added through the admin API, and the URLs
	// any feed names (full_content pages, WebSub hubs), reach private and
	// loopback addresses; a config-file source's own URL is always trusted.
	AllowPrivate bool `yaml:"allow_private"`
}

type Dedup struct {
	// NearDuplicateDistance is the largest SimHash Hamming distance at which
	// two items may be merged; 0 disables near-duplicate detection.
	NearDuplicateDistance *int `yaml:"near_duplicate_distance"`
}

type Retention struct {
	MaxAge            Duration `yaml:"max_age"`
	MaxItemsPerSource int      `yaml:"max_items_per_source"`
	// MaxContent caps what is kept of one item's content; a longer item
	// is cut at a paragraph and links to the rest at its site.
	MaxContent ByteSize `yaml:"max_content"`
}

// Postgres tunes a PostgreSQL database (database: postgres://…); SQLite
// ignores it.
type Postgres struct {
	MaxConns         int      `yaml:"max_conns"`         // pool size of each process (default 16)
	ConnectTimeout   Duration `yaml:"connect_timeout"`   // to open one connection (default 10s)
	StatementTimeout Duration `yaml:"statement_timeout"` // server-side limit per statement (default none)
	// Lease is how long a replica holds the sources it claimed for a
	// fetch: a replica that dies mid-fetch has its sources fetched by
	// another once the lease ends (default 2m; longer than refresh.timeout).
	Lease Duration `yaml:"lease"`
}

// IsPostgresURL reports whether database names a PostgreSQL server.
func IsPostgresURL(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

type Source struct {
	Name     string   `yaml:"name"`
	URL      string   `yaml:"url"`
	Path     string   `yaml:"path"`
	Interval Duration `yaml:"interval"`
	// Kind is "" (a feed or folder) or "scrape" (an HTML page read with Scrape).
	Kind        string  `yaml:"kind"`
	Scrape      *Scrape `yaml:"scrape"`
	FullContent bool    `yaml:"full_content"`
}

// Scrape is a scrape source's CSS selectors.
type Scrape struct {
	Item    string `yaml:"item"`
	Title   string `yaml:"title"`
	Link    string `yaml:"link"`
	Date    string `yaml:"date"`
	Summary string `yaml:"summary"`
}

type Topic struct {
	Name        string   `yaml:"name"`
	Title       string   `yaml:"title"`
	Description string   `yaml:"description"`
	Match       string   `yaml:"match"`
	Exclude     string   `yaml:"exclude"`
	Sources     []string `yaml:"sources"`
	Limit       int      `yaml:"limit"`
}

// DefaultNearDuplicateDistance was tuned on the devset. SimHash distance
// is a noisy draw: a copy with a trimmed paragraph lands 5–10 bits apart
// on average but up to 18 under other hash choices, while distinct stories
// sit at 20 or more. Every candidate must also pass a shingle-overlap
// (Jaccard) check, which does the exact separating, so the distance can
// be generous.
const DefaultNearDuplicateDistance = 18

// Default returns the built-in configuration used when there is no file.
func Default() *Config {
	d := DefaultNearDuplicateDistance
	return &Config{
		Database: "topicfeed.db",
		Listen:   "127.0.0.1:8080",
		BaseURL:  "http://localhost:8080",
		Refresh: Refresh{
			Interval:    Duration(30 * time.Minute),
			Concurrency: 8,
			PerHost:     2,
			Timeout:     Duration(20 * time.Second),
			MaxBody:     10 << 20,
			MinInterval: Duration(5 * time.Minute),
			MaxInterval: Duration(24 * time.Hour),
		},
		Dedup:     Dedup{NearDuplicateDistance: &d},
		Retention: Retention{MaxAge: Duration(180 * 24 * time.Hour), MaxItemsPerSource: 5000, MaxContent: feed.DefaultMaxContent},
	}
}

// Load reads path. A missing file at the default path yields Default();
// a missing file named explicitly is an error. Problems come back as *Error.
func Load(path string, explicit bool) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		c := Default()
		return c, c.Validate()
	}
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse decodes and validates a config file's bytes; name is used in messages.
func Parse(name string, b []byte) (*Config, error) {
	c := Default()
	c.File = name
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var problems []Problem
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, decodeError(name, err) // a syntax error: nothing else is reliable
		}
		// Type errors leave the rest decoded: validate it too, so one run
		// of `topicfeed check` reports every problem.
		problems = decodeError(name, err).(*Error).Problems
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err == nil {
		c.lines = map[string]int{}
		indexLines(&root, "", c.lines)
	}
	var ve *Error
	if err := c.Validate(); errors.As(err, &ve) {
		problems = append(problems, ve.Problems...)
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, &Error{Problems: problems}
	}
	c.resolvePaths(filepath.Dir(name))
	return c, nil
}

// resolvePaths makes relative database and source paths relative to the
// config file's folder, so the config works from any working directory.
func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if !IsPostgresURL(c.Database) {
		c.Database = abs(c.Database)
	}
	if c.AdminTokenFile != "" {
		c.AdminTokenFile = abs(c.AdminTokenFile)
	}
	for i := range c.Sources {
		c.Sources[i].Path = abs(c.Sources[i].Path)
	}
}

// indexLines records the line of every mapping key and sequence entry.
func indexLines(n *yaml.Node, path string, out map[string]int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			indexLines(c, path, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			out[p] = n.Content[i].Line
			indexLines(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := join(path, fmt.Sprint(i))
			out[p] = c.Line
			indexLines(c, p, out)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// line finds the best line for a path, falling back to its parents.
func (c *Config) line(path string) int {
	for p := path; p != ""; {
		if l, ok := c.lines[p]; ok {
			return l
		}
		i := len(p) - 1
		for i >= 0 && p[i] != '.' {
			i--
		}
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}
