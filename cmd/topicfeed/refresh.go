package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/refresh"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func runRefresh(ctx context.Context, e *env, args []string) error {
	fs := e.flags("refresh")
	var only multi
	fs.Var(&only, "source", "refresh only this source (repeatable)")
	force := fs.Bool("force", false, "refresh every source, due or not")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	for _, name := range only {
		if !e.hasSource(name) {
			return &exitError{exitBadConfig, fmt.Errorf("unknown source %q", name)}
		}
	}
	db, ing, err := e.openIngester(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	r := e.refresher(ing)
	due, err := r.Due(ctx, *force, only)
	if err != nil {
		return err
	}
	failed := 0
	var total refreshTotals
	for _, res := range r.Pass(ctx, due) {
		if res.Err != nil {
			failed++
			fmt.Fprintf(e.stderr, "source %s: %v\n", res.Source, res.Err)
		}
		total.add(res)
	}
	fmt.Fprintf(e.stdout, "%d sources refreshed (%d not modified, %d failed): %d new, %d updated, %d merged\n",
		len(due), total.notModified, failed, total.New, total.Updated, total.Merged)
	if failed > 0 {
		return errQuiet
	}
	return nil
}

type refreshTotals struct {
	notModified int
	refresh.Result
}

func (t *refreshTotals) add(r refresh.Result) {
	if r.NotModified {
		t.notModified++
	}
	t.IngestResult.Add(r.IngestResult)
}

func (e *env) hasSource(name string) bool {
	for _, s := range e.cfg.Sources {
		if s.Name == name {
			return true
		}
	}
	return false
}

// refresher builds the fetcher from the config's politeness settings.
// Config-file sources are trusted, so private addresses are allowed here.
func (e *env) refresher(ing *refresh.Ingester) *refresh.Refresher {
	rc := e.cfg.Refresh
	intervals := map[string]time.Duration{}
	for _, s := range e.cfg.FeedSources() {
		intervals[s.Name] = s.Interval
	}
	opts := fetch.Options{Timeout: time.Duration(rc.Timeout), MaxBody: int64(rc.MaxBody), PerHost: rc.PerHost, AllowPrivate: true}
	untrusted := opts
	untrusted.AllowPrivate = rc.AllowPrivate
	return &refresh.Refresher{
		Ingester:    ing,
		Client:      fetch.NewClient(opts),
		Untrusted:   fetch.NewClient(untrusted),
		Concurrency: rc.Concurrency,
		Log:         e.log,
		Now:         time.Now,
		Intervals:   intervals,
		Default:     time.Duration(rc.Interval),
	}
}
