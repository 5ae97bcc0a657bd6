package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/topicfeed/topicfeed/config"
	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/refresh"
	"github.com/topicfeed/topicfeed/store"
)

// Polling periods of the daemon's loops.
const (
	watchEvery    = 2 * time.Second // path-source folders
	scheduleEvery = 1 * time.Second // remote sources coming due
	changesEvery  = time.Second     // database commits, to drop feed caches
	// shutdownGrace is how long in-flight requests may take to finish
	// after SIGINT/SIGTERM before their connections are cut.
	shutdownGrace = 15 * time.Second
)

// daemon is what `topicfeed serve` runs: the publisher, its metrics and
// the queue through which the admin API asks for a refresh now.
type daemon struct {
	e          *env
	db         *store.DB
	pub        *publish.Publisher
	metrics    *publish.Metrics
	refreshNow chan []string  // one pass waiting at most; see queueRefresh
	webSub     webSubReceiver // the running refresher, for WebSub callbacks (websub.go)

	topicsNow chan []*feed.Topic // rules saved from the console (console.go)
}

func runServe(ctx context.Context, e *env, args []string) error {
	if _, err := parse(e.flags("serve"), args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	token, err := readToken(e.cfg.AdminTokenFile)
	if err != nil {
		return &exitError{exitBadConfig, err}
	}
	db, ing, err := e.openIngester(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// The access log goes to the same stream through a LogWriter, so no
	// request waits for the log's output; Close flushes it at the end.
	accessLog := publish.NewLogWriter(e.stderr, func(n int) {
		e.log.Warn("access log lines dropped: the log output is not keeping up", "lines", n)
	})
	defer accessLog.Close()
	d := newDaemon(e, db, ing, token, publish.NewAccessLogger(e.log, accessLog))
	ln, err := net.Listen("tcp", e.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", e.cfg.Listen, err)
	}
	// Timeouts and the header cap: docs/API.md, "Limits".
	srv := publish.NewServer(d.pub.Handler())
	e.log.Info("serving", "addr", "http://"+ln.Addr().String(), "config", e.cfg.File,
		"database", store.Redact(e.cfg.Database), "admin_api", token != "")
	srvDone := make(chan error, 1)
	go func() { srvDone <- serveUntil(ctx, srv, ln) }()
	go d.watchChanges(ctx)
	go e.pruneEvery(ctx, db, pruneInterval)
	return d.loop(ctx, ing, srvDone)
}

func newDaemon(e *env, db *store.DB, ing *refresh.Ingester, token string, accessLog *slog.Logger) *daemon {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d := &daemon{e: e, db: db, metrics: publish.NewMetrics(reg), refreshNow: make(chan []string, 1),
		topicsNow: make(chan []*feed.Topic, 1)}
	admin := adminStore{db}
	d.pub = publish.NewPublisher(db, ing.Topics, publish.Options{
		BaseURL:    e.cfg.BaseURL,
		MaxAge:     time.Duration(e.cfg.Refresh.Interval) / 6,
		MaxBody:    int(e.cfg.Refresh.MaxBody),
		Log:        e.log,
		AccessLog:  accessLog,
		Hub:        e.cfg.WebSubHub,
		Metrics:    d.metrics,
		Sources:    admin,
		Admin:      admin,
		AdminToken: token,
		Refresh:    d.queueRefresh,
		Console:    &publish.Console{Rules: admin, Search: db, TopicsChanged: d.topicsChanged},
	})
	// Search hook: full-text query feeds at /search.rss|atom|json (publish/search.go).
	d.pub.Search = publish.NewSearchHandler(db, e.cfg.BaseURL, d.pub.Generation, publish.SearchLimits{})
	d.pub.WebSub = d.webSubCallback()
	return d
}

// loop handles SIGHUP reloads until the server stops, then stops the
// background workers.
func (d *daemon) loop(ctx context.Context, ing *refresh.Ingester, srvDone <-chan error) error {
	workers := d.startWorkers(ctx, ing)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			if next, ok := d.e.reload(ctx, d.db); ok {
				workers.stop()
				ing = next
				d.pub.SetTopics(ing.Topics)
				workers = d.startWorkers(ctx, ing)
			}
		case <-d.topicsNow:
			// A rule saved from the console: the store has the topic's items
			// already; new ones are classified by it from the next batch on.
			// The workers go on (a restart re-read every watched folder and
			// dropped a forced refresh under way), and the topics come from
			// the config as loaded now, so a reload meanwhile is kept.
			ts, err := d.e.topicsInForce(ctx, d.db)
			if err != nil {
				d.e.log.Error("topics after a console save", "err", err)
				continue
			}
			ing.SetTopics(ts)
			d.pub.SetTopics(ts)
		case err := <-srvDone:
			start := time.Now()
			workers.stop()
			if err == nil {
				// Operators (and systemd's journal) see that the stop was clean.
				d.e.log.Info("stopped", "workers_took", time.Since(start).Round(time.Millisecond))
			}
			return err
		}
	}
}

// serveUntil serves on ln until ctx ends, then shuts the server down:
// the listener closes at once, in-flight requests get shutdownGrace to
// finish, idle keep-alive connections are closed.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// watchChanges drops feed caches whenever anything commits to the
// database (this daemon, or a cron refresh in another process) and pings
// the WebSub hub for topics that changed. Between commits a feed poll
// runs no SQL at all.
func (d *daemon) watchChanges(ctx context.Context) {
	// Changes reports commits after its first look at the database; the
	// first Changed (which drops the caches and records the starting
	// ETags) comes after that look, so a commit in between (the first
	// folder ingest, racing with start-up) cannot leave a stale feed
	// cached until the next commit.
	changes, err := d.db.Changes(ctx, changesEvery)
	if cerr := d.pub.Changed(ctx); cerr != nil {
		d.e.log.Warn("websub", "err", cerr)
	}
	if err != nil {
		d.e.log.Error("watch database changes; feeds refresh only on reload", "err", err)
		return
	}
	for range changes {
		if err := d.pub.Changed(ctx); err != nil && ctx.Err() == nil {
			d.e.log.Warn("websub", "err", err)
		}
	}
}

func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("admin_token_file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("admin_token_file %s is empty", path)
	}
	return tok, nil
}

// reload reads the config again on SIGHUP. A bad file keeps the running
// config; database, listen address, base URL and admin token need a restart.
func (e *env) reload(ctx context.Context, db *store.DB) (*refresh.Ingester, bool) {
	path := e.cfg.File
	if path == "" {
		path = config.DefaultPath
	}
	cfg, err := config.Load(path, e.cfg.File != "")
	if err != nil {
		e.log.Error("reload failed; keeping the running config", "config", path, "err", err)
		return nil, false
	}
	topics, sources := cfg.FeedTopics(), cfg.FeedSources()
	if err := db.SyncSources(ctx, sources); err != nil {
		e.log.Error("reload failed; keeping the running config", "err", err)
		return nil, false
	}
	if err := db.SyncTopics(ctx, topics); err != nil {
		e.log.Error("reload failed; keeping the running config", "err", err)
		return nil, false
	}
	e.cfg = cfg
	e.log.Info("config reloaded", "config", path, "sources", len(sources), "topics", len(topics))
	return &refresh.Ingester{DB: db, Topics: topics, NearDistance: cfg.NearDuplicateDistance(),
		MaxAge: time.Duration(cfg.Retention.MaxAge), MaxContent: int(cfg.Retention.MaxContent), Sources: sources, Log: e.log}, true
}

// workers are the daemon's background loops, stopped together.
type workers struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (w *workers) stop() {
	w.cancel()
	w.wg.Wait()
}

func (d *daemon) startWorkers(parent context.Context, ing *refresh.Ingester) *workers {
	ctx, cancel := context.WithCancel(parent)
	w := &workers{cancel: cancel}
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		ing.Watch(ctx, watchEvery, func(r refresh.FilesResult) {
			d.metrics.Ingested(r.Counts(r.Rejected))
			d.e.log.Info("folder ingest", "files", r.Files, "new", r.New, "updated", r.Updated, "merged", r.Merged,
				"unchanged", r.Unchanged, "expired", r.Expired, "empty", r.Empty, "rejected", r.Rejected)
		})
	}()
	go func() {
		defer w.wg.Done()
		r := d.e.refresher(ing)
		r.OnResult = d.observeFetch
		d.startWebSub(ctx, r, &w.wg)
		// Run starts each source as it comes due, so one slow source does
		// not hold back the rest; "refresh now" requests arrive on refreshNow.
		r.Run(ctx, scheduleEvery, d.refreshNow)
	}()
	return w
}

// observeFetch feeds one source's refresh into the metrics.
func (d *daemon) observeFetch(res refresh.Result) {
	status := "folder"
	switch {
	case res.Status != 0:
		status = strconv.Itoa(res.Status)
	case res.Err != nil:
		status = "error"
	}
	d.metrics.Fetched(status, res.Duration)
	rejected := 0
	if res.Err != nil {
		rejected = 1
	}
	d.metrics.Ingested(res.Counts(rejected))
}

// queueRefresh is the admin API's "refresh now": it checks the names and
// hands them to the scheduler, which runs the pass between its ticks.
// One pass waits at most; asking again before it starts is ErrBusy.
func (d *daemon) queueRefresh(ctx context.Context, names []string) ([]string, error) {
	all, err := d.db.Sources(ctx)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	var every []string
	for _, s := range all {
		known[s.Name] = true
		if !s.Disabled {
			every = append(every, s.Name)
		}
	}
	for _, n := range names {
		if !known[n] {
			return nil, fmt.Errorf("source %q: %w", n, feed.ErrNotFound)
		}
	}
	select {
	case d.refreshNow <- names:
	default:
		return nil, fmt.Errorf("a refresh is already queued: %w", publish.ErrBusy)
	}
	if len(names) == 0 {
		return every, nil
	}
	return names, nil
}

// adminStore adapts *store.DB to publish.AdminStore and publish.SourceReader,
// whose types are publish's own so that publish never imports store.
type adminStore struct{ *store.DB }

func (a adminStore) SourceStatuses(ctx context.Context) ([]publish.SourceStatus, error) {
	srcs, err := a.DB.Sources(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]publish.SourceStatus, len(srcs))
	for i, s := range srcs {
		out[i] = publish.SourceStatus{Name: s.Name, URL: s.URL, Path: s.Path, Origin: s.Origin, Items: s.Items,
			LastFetch: s.Fetched, NextFetch: s.NextFetch, Status: s.Status, Error: s.Error,
			Failures: s.Failures, Disabled: s.Disabled}
	}
	return out, a.sourceDetails(ctx, srcs, out) // console.go
}

// AddSource stores a source from the API as untrusted (OriginAPI).
func (a adminStore) AddSource(ctx context.Context, s feed.Source) error {
	err := a.DB.AddSource(ctx, s, store.OriginAPI)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("source %q: %w", s.Name, publish.ErrExists)
	}
	return err
}

func (a adminStore) Curations(ctx context.Context, topic string) ([]publish.Curation, error) {
	cs, err := a.DB.Curations(ctx, topic)
	out := make([]publish.Curation, len(cs))
	for i, c := range cs {
		out[i] = publish.Curation{Topic: c.Topic, Item: c.ItemID, Action: c.Action, At: c.At}
	}
	return out, err
}

func (a adminStore) Sightings(ctx context.Context, id int64) ([]publish.Sighting, error) {
	ss, err := a.DB.Sightings(ctx, id)
	out := make([]publish.Sighting, len(ss))
	for i, s := range ss {
		out[i] = publish.Sighting{Source: s.Source, GUID: s.GUID, URL: s.URL, Reason: s.Reason, Seen: s.Seen}
	}
	return out, err
}
