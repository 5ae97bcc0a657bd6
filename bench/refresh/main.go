// Command refresh benchmarks a refresh pass: a loopback server of N feeds of
// M items each, spread over 127.0.0.2 … 127.0.0.9, and the same Refresher
// `topicfeed refresh -force` runs, on a fresh database. It reports wall
// time, CPU time and peak memory for the first pass (every item new) and
// for a second pass (every feed answers 304), and checks no item was lost.
//
//	go run ./bench/refresh -feeds 1000 -items 50 [-item-size 4000] [-cpuprofile cpu.out]
//	go run ./bench/refresh -exec ./topicfeed   # time the real binary instead
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/config"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/internal/loopfeed"
	"github.com/topicfeed/topicfeed/internal/synth"
	"github.com/topicfeed/topicfeed/refresh"
	"github.com/topicfeed/topicfeed/store"
)

type options struct {
	feeds, items, itemSize, concurrency, perHost int
	cpuProfile, memProfile, peakProfile, execBin string
	keep, floor                                  bool
}

func main() {
	var o options
	serveMode := flag.Bool("serve", false, "run as the feed server (internal)")
	flag.IntVar(&o.feeds, "feeds", 1000, "number of feeds")
	flag.IntVar(&o.items, "items", 50, "items per feed")
	flag.IntVar(&o.itemSize, "item-size", synth.ItemSize, "approximate size of each item's text in `bytes` (each is half to 1.5 times it)")
	flag.IntVar(&o.concurrency, "concurrency", 0, "refresh.concurrency (default: topicfeed's default)")
	flag.IntVar(&o.perHost, "per-host", 0, "refresh.per_host (default: topicfeed's default)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of both passes to this file")
	flag.StringVar(&o.memProfile, "memprofile", "", "write a heap profile after the first pass to this file")
	flag.StringVar(&o.peakProfile, "peakprofile", "", "write a heap profile to this file whenever pass 1's sampled RSS reaches a new peak")
	flag.StringVar(&o.execBin, "exec", "", "run this topicfeed binary's `refresh -force` instead of the in-process Refresher")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary config and database")
	flag.BoolVar(&o.floor, "floor", true, "first time fetching and parsing alone, in the same run")
	flag.Parse()
	var err error
	if *serveMode {
		err = serve(o.feeds, o.items, o.itemSize)
	} else {
		err = bench(context.Background(), o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func bench(ctx context.Context, o options) error {
	fmt.Printf("machine: %d CPUs (%s), GOMAXPROCS %d, %s\n", runtime.NumCPU(), loopfeed.CPUModel(), runtime.GOMAXPROCS(0), runtime.Version())
	addrs, stop, err := startServer(o.feeds, o.items, o.itemSize)
	if err != nil {
		return err
	}
	defer stop()
	size := ""
	if o.itemSize != synth.ItemSize {
		size = fmt.Sprintf(" of ~%d bytes", o.itemSize)
	}
	fmt.Printf("feed server: %d feeds × %d items%s on %s\n", o.feeds, o.items, size, strings.Join(addrs, " "))
	dir, err := os.MkdirTemp("", "topicfeed-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	cfgPath, err := writeConfig(dir, addrs, o)
	if err != nil {
		return err
	}
	if o.execBin != "" {
		return benchBinary(ctx, o, cfgPath)
	}
	return benchInProcess(ctx, o, cfgPath)
}

// writeConfig writes a config of o.feeds sources, feed i on address i mod
// len(addrs), with three topics so classification costs what it would.
func writeConfig(dir string, addrs []string, o options) (string, error) {
	c := loopfeed.Config{Database: "bench.db", Addrs: addrs, Feeds: o.feeds, Concurrency: o.concurrency, PerHost: o.perHost}
	path := filepath.Join(dir, "topicfeed.yaml")
	return path, os.WriteFile(path, []byte(c.YAML()), 0o644)
}

// newRefresher wires a Refresher from the config exactly as
// `topicfeed refresh` does (cmd/topicfeed: openIngester and refresher).
func newRefresher(ctx context.Context, cfg *config.Config) (*refresh.Refresher, error) {
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	topics, sources := cfg.FeedTopics(), cfg.FeedSources()
	if err := db.SyncSources(ctx, sources); err != nil {
		return nil, err
	}
	if err := db.SyncTopics(ctx, topics); err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ing := &refresh.Ingester{DB: db, Topics: topics, NearDistance: cfg.NearDuplicateDistance(), Sources: sources, Log: log}
	rc := cfg.Refresh
	intervals := map[string]time.Duration{}
	for _, s := range sources {
		intervals[s.Name] = s.Interval
	}
	// One set of host slots: a site with sources of both kinds still
	// gets per_host requests at most.
	opts := fetch.Options{Timeout: time.Duration(rc.Timeout), MaxBody: int64(rc.MaxBody), PerHost: rc.PerHost,
		AllowPrivate: true, Hosts: fetch.NewHosts(rc.PerHost)}
	untrusted := opts
	untrusted.AllowPrivate = rc.AllowPrivate
	return &refresh.Refresher{Ingester: ing, Client: fetch.NewClient(opts), Untrusted: fetch.NewClient(untrusted),
		Concurrency: rc.Concurrency, Log: log, Now: time.Now, Intervals: intervals, Default: time.Duration(rc.Interval)}, nil
}
