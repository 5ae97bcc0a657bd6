package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/refresh"
	"github.com/topicfeed/topicfeed/store"
)

func runIngest(ctx context.Context, e *env, args []string) error {
	fs := e.flags("ingest")
	quiet := fs.Bool("q", false, "no progress bar")
	paths, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return &exitError{exitBadConfig, errors.New("no PATH given (files, folders or - for stdin)")}
	}
	if err := e.load(); err != nil {
		return err
	}
	db, ing, err := e.openIngester(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var bar *progressbar.ProgressBar
	progress := func(done, total int) {
		if bar == nil && total >= 20 {
			bar = newBar(e, total, *quiet)
		}
		if bar != nil {
			bar.Set(done)
		}
	}
	reject := func(err error) {
		if bar != nil {
			bar.Clear()
		}
		fmt.Fprintln(e.stderr, "rejected:", err)
	}
	res, err := ing.Files(ctx, paths, e.stdin, reject, progress)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(e.stderr)
	}
	fmt.Fprintf(e.stdout, "%d files: %d new, %d updated, %d merged as duplicates, %d unchanged, %d expired, %d empty, %d rejected\n",
		res.Files, res.New, res.Updated, res.Merged, res.Unchanged, res.Expired, res.Empty, res.Rejected)
	if err != nil {
		return err
	}
	if res.Rejected > 0 {
		return errQuiet
	}
	return nil
}

// newBar shows progress only to a person: nil when stderr is not a terminal.
func newBar(e *env, total int, quiet bool) *progressbar.ProgressBar {
	f, ok := e.stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("ingesting"), progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100_000_000))
}

// openDB loads the config (once) and opens its database as it stands, for
// commands such as backup and prune that must not sync sources or topics.
func (e *env) openDB(ctx context.Context) (*store.DB, error) {
	if e.cfg == nil {
		if err := e.load(); err != nil {
			return nil, err
		}
	}
	pg := e.cfg.Postgres
	store.SetPGOptions(store.PGOptions{MaxConns: pg.MaxConns, ConnectTimeout: time.Duration(pg.ConnectTimeout),
		StatementTimeout: time.Duration(pg.StatementTimeout)})
	return store.Open(ctx, e.cfg.Database)
}

// openStore loads the config, opens its database and brings the stored
// sources and topics in line with it, recomputing topics whose rules
// changed; every command that reads the store starts here.
func (e *env) openStore(ctx context.Context) (*store.DB, error) {
	db, err := e.openDB(ctx)
	if err != nil {
		return nil, err
	}
	if err := db.SyncSources(ctx, e.cfg.FeedSources()); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.SyncTopics(ctx, e.cfg.FeedTopics()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// topicsInForce are the config file's topics with the rules saved from
// the console put in, as openStore's SyncTopics stored them: what every
// command that classifies items must judge by.
func (e *env) topicsInForce(ctx context.Context, db *store.DB) ([]*feed.Topic, error) {
	topics := e.cfg.FeedTopics()
	return topics, db.ApplyConsoleRules(ctx, topics)
}

// openIngester opens the store (see openStore) with an ingester for it.
func (e *env) openIngester(ctx context.Context) (*store.DB, *refresh.Ingester, error) {
	db, err := e.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	topics, err := e.topicsInForce(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, &refresh.Ingester{DB: db, Topics: topics, NearDistance: e.cfg.NearDuplicateDistance(),
		MaxAge: time.Duration(e.cfg.Retention.MaxAge), MaxContent: int(e.cfg.Retention.MaxContent),
		Sources: e.cfg.FeedSources(), Log: e.log}, nil
}
