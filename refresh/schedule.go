package refresh

import (
	"context"
	"sync"
	"time"
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
	defer d.wg.Wait()
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
func (d *dispatcher) dispatch(ctx context.Context, force bool, only []string) bool {
	listed := time.Now()
	due, err := d.r.Due(ctx, force, only)
	if err != nil && ctx.Err() == nil {
		d.r.logger().ErrorContext(ctx, "list due sources", "err", err)
	}
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
