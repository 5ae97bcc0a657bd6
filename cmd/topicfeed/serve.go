package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/topicfeed/topicfeed/config"
	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/refresh"
	"github.com/topicfeed/topicfeed/store"
)

// Polling periods of the daemon's loops.
const (
	watchEvery    = 2 * time.Second // path-source folders
	scheduleEvery = 1 * time.Second // remote sources coming due
	changesEvery  = time.Second     // database commits, to drop feed caches
)

func runServe(ctx context.Context, e *env, args []string) error {
	if _, err := parse(e.flags("serve"), args); err != nil {
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
	pub := feed.NewPublisher(db, ing.Topics, e.publisherOptions())
	ln, err := net.Listen("tcp", e.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", e.cfg.Listen, err)
	}
	srv := &http.Server{Handler: pub.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	e.log.Info("serving", "addr", "http://"+ln.Addr().String(), "config", e.cfg.File, "database", e.cfg.Database)
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()

	if changes, err := db.Changes(ctx, changesEvery); err == nil {
		go func() {
			for range changes {
				pub.Invalidate()
			}
		}()
	}
	workers := e.startWorkers(ctx, ing)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			if next, ok := e.reload(ctx, db); ok {
				workers.stop()
				ing = next
				pub.SetTopics(ing.Topics)
				workers = e.startWorkers(ctx, ing)
			}
		case err := <-srvErr:
			workers.stop()
			return err
		case <-ctx.Done():
			e.log.Info("stopping")
			workers.stop()
			sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			// Shutdown lets in-flight requests finish.
			if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
	}
}

func (e *env) publisherOptions() feed.PublisherOptions {
	return feed.PublisherOptions{BaseURL: e.cfg.BaseURL, MaxAge: time.Duration(e.cfg.Refresh.Interval) / 6, Log: e.log}
}

// reload reads the config again on SIGHUP. A bad file keeps the running
// config; database, listen address and base URL need a restart.
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
		Sources: sources, Log: e.log}, true
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

func (e *env) startWorkers(parent context.Context, ing *refresh.Ingester) *workers {
	ctx, cancel := context.WithCancel(parent)
	w := &workers{cancel: cancel}
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		ing.Watch(ctx, watchEvery, func(r refresh.FilesResult) {
			e.log.Info("folder ingest", "files", r.Files, "new", r.New, "updated", r.Updated, "merged", r.Merged, "rejected", r.Rejected)
		})
	}()
	go func() {
		defer w.wg.Done()
		e.schedule(ctx, e.refresher(ing))
	}()
	return w
}

// schedule fetches remote sources as they come due. Folders are the
// watcher's, so they are left out here.
func (e *env) schedule(ctx context.Context, r *refresh.Refresher) {
	t := time.NewTicker(scheduleEvery)
	defer t.Stop()
	for {
		due, err := r.Due(ctx, false, nil)
		if err != nil && ctx.Err() == nil {
			e.log.Error("schedule", "err", err)
		}
		remote := due[:0]
		for _, s := range due {
			if s.Path == "" && s.URL != "" {
				remote = append(remote, s)
			}
		}
		for _, res := range r.Pass(ctx, remote) {
			log := e.log.With("source", res.Source)
			switch {
			case res.Err != nil && ctx.Err() == nil:
				log.Warn("refresh failed", "err", res.Err)
			case res.NotModified:
				log.Debug("not modified")
			case res.Err == nil:
				log.Info("refreshed", "new", res.New, "updated", res.Updated, "merged", res.Merged)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
