package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"

	"github.com/topicfeed/topicfeed/feed"
)

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// MaxLimit caps items per topic feed, in the config and in ?limit=.
const MaxLimit = 500

// Validate checks the whole config and returns every problem as *Error.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.top()
	v.sources()
	v.topics()
	if len(v.problems) == 0 {
		return nil
	}
	return &Error{Problems: v.problems}
}

type validator struct {
	c        *Config
	problems []Problem
}

func (v *validator) add(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: v.c.File, Line: v.c.line(path), Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) top() {
	c := v.c
	if c.Database == "" {
		v.add("database", "database: must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		v.add("listen", "listen: %q is not host:port", c.Listen)
	}
	if c.BaseURL != "" && !isHTTPURL(c.BaseURL) {
		v.add("base_url", "base_url: %q is not an absolute http(s) URL", c.BaseURL)
	}
	if c.WebSubHub != "" && !isHTTPURL(c.WebSubHub) {
		v.add("websub_hub", "websub_hub: %q is not an absolute http(s) URL", c.WebSubHub)
	}
	r := c.Refresh
	if r.Interval <= 0 {
		v.add("refresh.interval", "refresh.interval: must be positive")
	}
	if r.Concurrency < 1 {
		v.add("refresh.concurrency", "refresh.concurrency: must be at least 1")
	}
	if r.PerHost < 1 {
		v.add("refresh.per_host", "refresh.per_host: must be at least 1")
	}
	if r.Timeout <= 0 {
		v.add("refresh.timeout", "refresh.timeout: must be positive")
	}
	if r.MaxBody <= 0 {
		v.add("refresh.max_body", "refresh.max_body: must be positive")
	}
	switch {
	case r.MinInterval <= 0:
		v.add("refresh.min_interval", "refresh.min_interval: must be positive")
	case r.MaxInterval < r.MinInterval:
		v.add("refresh.max_interval", "refresh.max_interval: %v is less than refresh.min_interval %v",
			time.Duration(r.MaxInterval), time.Duration(r.MinInterval))
	}
	if d := c.NearDuplicateDistance(); d < 0 || d > 64 {
		v.add("dedup.near_duplicate_distance", "dedup.near_duplicate_distance: %d is not between 0 and 64", d)
	}
	if c.Retention.MaxContent < minContent {
		v.add("retention.max_content", "retention.max_content: must be at least 1KiB")
	}
	if c.Retention.MaxItemsPerSource < 0 {
		v.add("retention.max_items_per_source", "retention.max_items_per_source: must not be negative")
	}
	if IsPostgresURL(c.Database) {
		if _, err := url.Parse(c.Database); err != nil {
			v.add("database", "database: not a PostgreSQL URL: %v", err)
		}
	}
	pg := c.Postgres
	if pg.MaxConns < 0 || pg.ConnectTimeout < 0 || pg.StatementTimeout < 0 || pg.Lease < 0 {
		v.add("postgres", "postgres: max_conns, connect_timeout, statement_timeout and lease must not be negative")
	}
	if pg.Lease != 0 && time.Duration(pg.Lease) <= time.Duration(c.Refresh.Timeout) {
		v.add("postgres.lease", "postgres.lease: %v must be longer than refresh.timeout (%v), or a slow fetch would be fetched twice",
			time.Duration(pg.Lease), time.Duration(c.Refresh.Timeout))
	}
}

// minContent is the smallest content cap: a paragraph and the link to
// the rest must fit.
const minContent = 1 << 10

func (v *validator) sources() {
	seen := map[string]bool{}
	for i, s := range v.c.Sources {
		p := fmt.Sprintf("sources.%d", i)
		switch {
		case s.Name == "":
			v.add(p, "source %d: name is required", i+1)
		case !nameRe.MatchString(s.Name):
			v.add(p+".name", "source %s: name may hold only a-z, 0-9, '.', '_' and '-'", s.Name)
		case seen[s.Name]:
			v.add(p+".name", "source %s: name used twice", s.Name)
		}
		seen[s.Name] = true
		switch {
		case s.URL == "" && s.Path == "":
			v.add(p, "source %s: needs url or path", s.Name)
		case s.URL != "" && s.Path != "":
			v.add(p, "source %s: has both url and path; use one", s.Name)
		case s.URL != "" && !isHTTPURL(s.URL):
			v.add(p+".url", "source %s: url %q is not an absolute http(s) URL", s.Name, s.URL)
		}
		if s.Interval < 0 {
			v.add(p+".interval", "source %s: interval must not be negative", s.Name)
		}
		v.scrape(p, s)
		if s.FullContent && s.Path != "" {
			v.add(p+".full_content", "source %s: full_content needs a url source (a folder's articles are whole)", s.Name)
		}
	}
}

// scrape checks a scrape source: a url, an item selector, and selectors
// that parse.
func (v *validator) scrape(p string, s Source) {
	switch {
	case s.Kind != "" && s.Kind != feed.KindScrape:
		v.add(p+".kind", "source %s: kind %q is not known (want %q, or none for a feed or folder)", s.Name, s.Kind, feed.KindScrape)
		return
	case s.Kind == "" && s.Scrape != nil:
		v.add(p+".scrape", "source %s: scrape selectors need kind: %s", s.Name, feed.KindScrape)
		return
	case s.Kind == "":
		return
	case s.Path != "":
		v.add(p+".path", "source %s: kind scrape reads a web page: needs url, not path", s.Name)
	}
	if s.Scrape == nil || strings.TrimSpace(s.Scrape.Item) == "" {
		v.add(p, "source %s: kind scrape needs scrape.item, the selector of each item", s.Name)
	}
	if s.Scrape == nil {
		return
	}
	for _, f := range []struct{ field, sel string }{{"item", s.Scrape.Item}, {"title", s.Scrape.Title},
		{"link", s.Scrape.Link}, {"date", s.Scrape.Date}, {"summary", s.Scrape.Summary}} {
		if strings.TrimSpace(f.sel) == "" {
			continue
		}
		if _, err := cascadia.Compile(f.sel); err != nil {
			v.add(p+".scrape."+f.field, "source %s: scrape.%s: invalid selector %q: %v", s.Name, f.field, f.sel, err)
		}
	}
}

func (v *validator) topics() {
	seen := map[string]bool{}
	known := map[string]bool{}
	for _, s := range v.c.Sources {
		known[s.Name] = true
	}
	for i, t := range v.c.Topics {
		p := fmt.Sprintf("topics.%d", i)
		switch {
		case t.Name == "":
			v.add(p, "topic %d: name is required", i+1)
		case !nameRe.MatchString(t.Name):
			v.add(p+".name", "topic %s: name may hold only a-z, 0-9, '.', '_' and '-'", t.Name)
		case seen[t.Name]:
			v.add(p+".name", "topic %s: name used twice", t.Name)
		}
		seen[t.Name] = true
		if t.Match == "" && t.Name != feed.AllTopic {
			v.add(p, "topic %s: match is required", t.Name)
		}
		v.rule(p+".match", t.Name, "match", t.Match)
		v.rule(p+".exclude", t.Name, "exclude", t.Exclude)
		for j, s := range t.Sources {
			if !known[s] {
				v.add(fmt.Sprintf("%s.sources.%d", p, j), "topic %s: unknown source %q", t.Name, s)
			}
		}
		if t.Limit < 0 || t.Limit > MaxLimit {
			v.add(p+".limit", "topic %s: limit %d is not between 1 and %d", t.Name, t.Limit, MaxLimit)
		}
	}
}

func (v *validator) rule(path, topic, field, src string) {
	if src == "" {
		return
	}
	if _, err := feed.ParseRule(src); err != nil {
		var re *feed.RuleError
		if errors.As(err, &re) {
			v.add(path, "topic %s: %s: %s at column %d", topic, field, re.Msg, re.Column)
			return
		}
		v.add(path, "topic %s: %s: %v", topic, field, err)
	}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
