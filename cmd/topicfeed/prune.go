package main

import (
	"context"
	"fmt"
	"time"

	"github.com/topicfeed/topicfeed/config"
	"github.com/topicfeed/topicfeed/store"
)

// pruneInterval is how often serve applies the retention policy.
const pruneInterval = 6 * time.Hour

// runPrune applies the retention policy once: items older than
// retention.max_age and beyond retention.max_items_per_source go, pinned
// items stay.
func runPrune(ctx context.Context, e *env, args []string) error {
	pos, err := parse(e.flags("prune"), args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &exitError{exitBadConfig, fmt.Errorf("unexpected argument %q", pos[0])}
	}
	db, err := e.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	r := e.cfg.Retention
	res, err := db.Prune(ctx, time.Duration(r.MaxAge), r.MaxItemsPerSource)
	fmt.Fprintf(e.stdout, "%d items pruned: %d older than %s, %d beyond %d per source; %d pinned items kept\n",
		res.Deleted, res.Old, describeAge(r), res.Excess, r.MaxItemsPerSource, res.Pinned)
	return err
}

func describeAge(r config.Retention) string {
	d := time.Duration(r.MaxAge)
	if d <= 0 {
		return "any age (max_age off)"
	}
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// pruneEvery applies the retention policy at start and then every
// interval until ctx ends; serve runs it in the background. The policy is
// the one in force when serve started.
func (e *env) pruneEvery(ctx context.Context, db *store.DB, interval time.Duration) {
	r := e.cfg.Retention
	log := e.log
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		res, err := db.Prune(ctx, time.Duration(r.MaxAge), r.MaxItemsPerSource)
		if err != nil && ctx.Err() == nil {
			log.Error("prune", "err", err, "deleted", res.Deleted)
		} else if res.Deleted > 0 {
			log.Info("prune", "deleted", res.Deleted, "old", res.Old, "excess", res.Excess,
				"pinned_kept", res.Pinned, "took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
