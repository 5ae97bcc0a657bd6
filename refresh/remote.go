package refresh

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// maxBackoff caps how long a failing source waits before the next try.
const maxBackoff = 24 * time.Hour

// Refresher fetches remote sources and stores what they send.
type Refresher struct {
	Ingester *Ingester
	Client   *fetch.Client // for config-file sources, which are trusted
	// Untrusted fetches sources added through the admin API; it refuses
	// private and loopback addresses unless the config allows them.
	Untrusted   *fetch.Client
	Concurrency int
	Log         *slog.Logger
	Now         func() time.Time
	// Intervals gives each source's configured interval; Default otherwise.
	Intervals map[string]time.Duration
	Default   time.Duration
	// OnResult, when set, sees every source's result (for metrics).
	OnResult func(Result)
}

// Result is what refreshing one source did.
type Result struct {
	Source      string
	Status      int // HTTP status; 0 for folders and failures before an answer
	NotModified bool
	Err         error
	Duration    time.Duration
	store.IngestResult
}

// Due lists the stored sources that should be fetched now: every enabled
// source with force, else those whose next fetch time has come.
func (r *Refresher) Due(ctx context.Context, force bool, only []string) ([]store.SourceInfo, error) {
	all, err := r.Ingester.DB.Sources(ctx)
	if err != nil {
		return nil, err
	}
	now := r.Now()
	var due []store.SourceInfo
	for _, s := range all {
		if len(only) > 0 && !contains(only, s.Name) {
			continue
		}
		if s.Disabled && len(only) == 0 {
			continue
		}
		if force || len(only) > 0 || !s.NextFetch.After(now) {
			due = append(due, s)
		}
	}
	return due, nil
}

// Pass refreshes sources with at most Concurrency at once (the fetch
// client adds its per-host limit) and returns one result per source.
func (r *Refresher) Pass(ctx context.Context, sources []store.SourceInfo) []Result {
	results := make([]Result, len(sources))
	sem := make(chan struct{}, max(1, r.Concurrency))
	var wg sync.WaitGroup
	for i, s := range sources {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i] = Result{Source: s.Name, Err: ctx.Err()}
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			res := r.one(ctx, s)
			res.Duration = time.Since(start)
			if r.OnResult != nil {
				r.OnResult(res)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	return results
}

func (r *Refresher) one(ctx context.Context, s store.SourceInfo) Result {
	if s.Path != "" {
		return r.folder(ctx, s)
	}
	res := Result{Source: s.Name}
	now := r.Now()
	client := r.Client
	if s.Origin != store.OriginConfig && r.Untrusted != nil {
		client = r.Untrusted
	}
	resp, err := client.Fetch(ctx, fetch.Request{URL: s.URL, ETag: s.ETag, LastModified: s.LastModified})
	if err != nil {
		res.Err = err
		var fe *fetch.Error
		if errors.As(err, &fe) {
			res.Status = fe.Status
		}
		r.failed(ctx, s, now, err)
		return res
	}
	res.Status = 200
	state := &store.FetchState{ETag: resp.ETag, LastModified: resp.LastModified, MovedTo: resp.PermanentURL,
		Status: 200, Fetched: now, NextFetch: now.Add(r.jittered(s.Name))}
	if resp.NotModified {
		res.NotModified = true
		res.Status, state.Status = 304, 304
		// A 304 may omit validators; keep the ones that earned it.
		state.ETag, state.LastModified = cmp.Or(resp.ETag, s.ETag), cmp.Or(resp.LastModified, s.LastModified)
		res.Err = r.Ingester.DB.SaveFetchState(ctx, s.Name, state)
		return res
	}
	items, err := fetch.ParseFeed(s.Name+": "+resp.URL, resp.Body, resp.URL)
	if err != nil {
		res.Err = err
		r.failed(ctx, s, now, err)
		return res
	}
	res.IngestResult, res.Err = r.Ingester.DB.Ingest(ctx, s.Name, items, store.IngestOptions{
		Topics: r.Ingester.Topics, NearDistance: r.Ingester.NearDistance, Fetch: state})
	return res
}

// failed records an error, keeping the old validators so nothing that
// was not stored can later hide behind a 304.
func (r *Refresher) failed(ctx context.Context, s store.SourceInfo, now time.Time, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	st := &store.FetchState{ETag: s.ETag, LastModified: s.LastModified, Error: err.Error(),
		Failures: s.Failures + 1, Fetched: now}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		st.Status = fe.Status
	}
	wait := fetch.Backoff(st.Failures, r.interval(s.Name), maxBackoff, nil)
	switch {
	case fetch.IsKind(err, fetch.KindGone):
		st.Disabled = true
	case fetch.IsKind(err, fetch.KindRateLimited) && fe.RetryAfter > wait:
		wait = fe.RetryAfter
	}
	st.NextFetch = now.Add(wait)
	if err := r.Ingester.DB.SaveFetchState(ctx, s.Name, st); err != nil {
		r.Log.Error("save fetch state", "source", s.Name, "err", err)
	}
}

// folder re-reads a path source; unchanged files change nothing.
func (r *Refresher) folder(ctx context.Context, s store.SourceInfo) Result {
	res := Result{Source: s.Name}
	var rejected []error
	fr, err := r.Ingester.Files(ctx, []string{s.Path}, nil, func(e error) { rejected = append(rejected, e) }, nil)
	res.IngestResult = fr.IngestResult
	res.Err = errors.Join(append(rejected, err)...)
	now := r.Now()
	st := &store.FetchState{Fetched: now, NextFetch: now.Add(r.jittered(s.Name))}
	if res.Err != nil {
		st.Error = res.Err.Error()
	}
	if err := r.Ingester.DB.SaveFetchState(ctx, s.Name, st); err != nil && res.Err == nil {
		res.Err = err
	}
	return res
}

func (r *Refresher) interval(name string) time.Duration {
	if d := r.Intervals[name]; d > 0 {
		return d
	}
	return r.Default
}

// jittered spreads sources over ±10% of their interval so a thousand
// sources configured together do not fire together.
func (r *Refresher) jittered(name string) time.Duration {
	d := r.interval(name)
	return d - d/10 + time.Duration(rand.Int64N(int64(d/5)+1))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
