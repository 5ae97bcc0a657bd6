package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/refresh"
	"github.com/topicfeed/topicfeed/store"
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
	db, ing, err := e.openIngester(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	r := e.refresher(ing)
	var due []store.SourceInfo
	var results []refresh.Result
	if *force || len(only) > 0 {
		if due, err = r.Due(ctx, *force, only); err != nil {
			return err
		}
		// Sources imported from OPML live only in the database, so names are
		// checked against it rather than the config file.
		if missing := unknownSources(only, due); len(missing) > 0 {
			return &exitError{exitBadConfig, fmt.Errorf("unknown source %s", strings.Join(missing, ", "))}
		}
		results = r.Pass(ctx, due)
	} else if due, results, err = r.PassDue(ctx); err != nil {
		// What was claimed was fetched; the rest is left due.
		fmt.Fprintf(e.stderr, "claim due sources: %v\n", err)
	}
	failed := 0
	if err != nil {
		failed++
	}
	var total refreshTotals
	for _, res := range results {
		if res.Err != nil {
			failed++
			// A folder reports each rejected file on a line of its own.
			for line := range strings.SplitSeq(res.Err.Error(), "\n") {
				fmt.Fprintf(e.stderr, "source %s: %s\n", res.Source, line)
			}
		}
		total.add(res)
	}
	fmt.Fprintf(e.stdout, "%d sources refreshed (%d not modified, %d failed): %d new, %d updated, %d merged, %d unchanged, %d expired, %d empty\n",
		len(due), total.notModified, failed, total.New, total.Updated, total.Merged, total.Unchanged, total.Expired, total.Empty)
	if failed > 0 {
		return errQuiet
	}
	return nil
}

func unknownSources(names []string, found []store.SourceInfo) []string {
	var missing []string
	for _, n := range names {
		if !slices.ContainsFunc(found, func(s store.SourceInfo) bool { return s.Name == n }) {
			missing = append(missing, strconv.Quote(n))
		}
	}
	return missing
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

// refresher builds the fetcher from the config's politeness settings.
// Config-file sources are trusted, so private addresses are allowed here.
func (e *env) refresher(ing *refresh.Ingester) *refresh.Refresher {
	rc := e.cfg.Refresh
	// Only a source's own interval fixes its polls; the others adapt to
	// how often they publish (refresh/poll.go).
	intervals := map[string]time.Duration{}
	for _, s := range e.cfg.Sources {
		if s.Interval > 0 {
			intervals[s.Name] = time.Duration(s.Interval)
		}
	}
	// One set of host slots: a site with sources of both kinds still
	// gets per_host requests at most.
	opts := fetch.Options{Timeout: time.Duration(rc.Timeout), MaxBody: int64(rc.MaxBody), PerHost: rc.PerHost,
		AllowPrivate: true, Hosts: fetch.NewHosts(rc.PerHost)}
	untrusted := opts
	untrusted.AllowPrivate = rc.AllowPrivate
	return &refresh.Refresher{
		Ingester:    ing,
		Client:      fetch.NewClient(opts),
		Untrusted:   fetch.NewClient(untrusted),
		Concurrency: rc.Concurrency,
		Lease:       time.Duration(e.cfg.Postgres.Lease),
		Log:         e.log,
		Now:         time.Now,
		Intervals:   intervals,
		Default:     time.Duration(rc.Interval),
		MinInterval: time.Duration(rc.MinInterval),
		MaxInterval: time.Duration(rc.MaxInterval),
	}
}
