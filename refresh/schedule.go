package refresh

import (
	"context"
	"sync"
	"time"

	"github.com/topicfeed/topicfeed/store"
)

// Run refreshes remote sources as they come due, looking for due sources
// every `every`, until ctx ends. At most Concurrency fetches run at once
// (and the client's per-host limit applies), a source is never fetched
// twice at the same time, and unlike a loop of Pass calls a stalled source
// does not hold back the others: what comes due meanwhile starts as soon as
// a slot is free. Folders are left to Ingester.Watch.
//
// Each list received from requests ("refresh now", from the admin API)
// fetches those sources at once, due or not, folders included; an empty
// list means every enabled source. A nil requests channel is never read.
//
// Run returns when ctx ends and every fetch it started has returned. A
// fetch cancelled by ctx stores nothing: its items and validators are one
// transaction, rolled back.
func (r *Refresher) Run(ctx context.Context, every time.Duration, requests <-chan []string) {
	d := &dispatcher{r: r, sem: make(chan struct{}, r.InFlight()),
		ts: &tracker{busy: map[string]bool{}, finished: map[string]time.Time{}}}
	defer func() {
		d.wg.Wait()
		// Claims taken but not fetched go back at once rather than when
		// their lease runs out.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.ReleaseClaims(ctx); err != nil {
			r.logger().WarnContext(ctx, "release claims", "err", err)
		}
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	force, only := false, []string(nil)
	for {
		if !d.dispatch(ctx, force, only) {
			return
		}
		force, only = false, nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case only = <-requests:
			force = true
		}
	}
}

// dispatcher starts fetches for Run in slots shared across its ticks.
type dispatcher struct {
	r   *Refresher
	sem chan struct{}
	ts  *tracker
	wg  sync.WaitGroup
}

// dispatch starts a fetch of every source listed as due (or forced) that
// is not being fetched already, waiting for free slots; false once ctx ends.
// Due sources are claimed (Refresher.Claim) a slot's worth at a time, so
// that replicas share them and no claim waits long for a slot; forced
// ones, which an operator asked for, are fetched whoever holds them.
func (d *dispatcher) dispatch(ctx context.Context, force bool, only []string) bool {
	if force || len(only) > 0 {
		due, err := d.r.Due(ctx, force, only)
		if err != nil && ctx.Err() == nil {
			d.r.logger().ErrorContext(ctx, "list due sources", "err", err)
		}
		return d.start(ctx, due, force)
	}
	for ctx.Err() == nil {
		due, err := d.r.Claim(ctx, cap(d.sem), true)
		if err != nil && ctx.Err() == nil {
			d.r.logger().ErrorContext(ctx, "claim due sources", "err", err)
		}
		if len(due) == 0 {
			break
		}
		if !d.start(ctx, due, false) {
			return false
		}
	}
	return ctx.Err() == nil
}

// start fetches sources, each in a slot, unless it is being fetched
// already; false once ctx ends.
func (d *dispatcher) start(ctx context.Context, due []store.SourceInfo, force bool) bool {
	listed := time.Now()
	for _, s := range due {
		remote := s.Path == "" && s.URL != ""
		if (!remote && !force) || !d.ts.claim(s.Name, listed) {
			continue
		}
		select {
		case d.sem <- struct{}{}:
		case <-ctx.Done():
			d.ts.release(s.Name)
			return false
		}
		d.wg.Go(func() {
			defer func() { d.ts.release(s.Name); <-d.sem }()
			d.r.logResult(ctx, d.r.timed(ctx, s))
		})
	}
	return ctx.Err() == nil
}

// tracker knows which sources are being fetched, and which finished after
// a due list was read: that list still shows them due, but they are not.
type tracker struct {
	mu       sync.Mutex
	busy     map[string]bool
	finished map[string]time.Time
}

// claim marks a source from a list read at listed as being fetched, unless
// it is already, or has finished since the list was read.
func (t *tracker) claim(name string, listed time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.busy[name] {
		return false
	}
	if done, ok := t.finished[name]; ok {
		if !done.Before(listed) {
			return false
		}
		delete(t.finished, name)
	}
	t.busy[name] = true
	return true
}

func (t *tracker) release(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.busy, name)
	t.finished[name] = time.Now()
}

// logResult logs one source's refresh the way the daemon reports it.
func (r *Refresher) logResult(ctx context.Context, res Result) {
	log := r.logger().With("source", res.Source)
	switch {
	case res.Err != nil && ctx.Err() == nil:
		log.WarnContext(ctx, "refresh failed", "err", res.Err)
	case res.Err != nil:
		// Stopping: the fetch was cancelled, nothing was stored.
	case res.NotModified:
		log.DebugContext(ctx, "not modified")
	default:
		log.InfoContext(ctx, "refreshed", "new", res.New, "updated", res.Updated, "merged", res.Merged)
	}
	if res.MovedTo != "" && res.Err == nil {
		log.InfoContext(ctx, "source moved", "url", redact(res.MovedTo))
	}
}
