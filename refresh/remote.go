package refresh

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/topicfeed/topicfeed/feed"
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
	// private and loopback addresses unless the config allows them. It also
	// fetches what any remote document links to (linkClient).
	Untrusted   *fetch.Client
	Concurrency int
	Log         *slog.Logger
	Now         func() time.Time
	// Intervals gives the sources whose config sets an interval: they are
	// polled at it. Others adapt to how often they publish, within
	// MinInterval and MaxInterval (5m and 24h when zero); Default is for a
	// source whose rate is unknown, and the base of every error backoff.
	Intervals   map[string]time.Duration
	Default     time.Duration
	MinInterval time.Duration
	MaxInterval time.Duration
	// OnResult, when set, sees every source's result (for metrics).
	OnResult func(Result)
	// FullContent names the sources whose new items get their page
	// fetched (fullcontent.go); nil takes Ingester.Sources' full_content.
	// WebSub, when set, subscribes to the hubs feeds advertise (websub.go).
	// Other sources do no extra work.
	FullContent map[string]bool
	WebSub      *WebSub
	// Owner names this process in the claims it takes on due sources
	// (store.DB.ClaimDue): replicas on one database, and a cron refresh
	// beside the daemon, each fetch what they claimed. Lease is how long
	// a claim lasts when its process dies mid-fetch (DefaultLease when
	// zero). An empty Owner takes a name made of host and process id.
	Owner string
	Lease time.Duration

	// writeMu lets one fetch at a time write. SQLite has one writer anyway;
	// waiting here hands the lock over at once, where SQLite's busy handler
	// would sleep and poll, and leaves one writer per process to share the
	// file with another process (serve beside a cron refresh).
	writeMu sync.Mutex
	// queued holds feeds waiting to be stored; whoever holds writeMu next
	// stores all of them in one transaction (see store).
	queueMu sync.Mutex
	queued  []*queuedWrite

	// slots holds one token per fetch in progress, Concurrency at most.
	// A feed gives its token back once its body is read: parsing and
	// waiting for the writer take no connection (see inFlightPerSlot).
	slotsOnce sync.Once
	slots     chan struct{}
	// cpu holds a token per core, taken by each feed while it is parsed
	// and prepared, and by the writer while it stores: every feed waits
	// for the one writer, which must not queue for a core behind a crowd
	// of parsers.
	cpu chan struct{}

	// sources are Ingester.Sources by name (configured, scrape.go).
	sourcesOnce sync.Once
	sources     map[string]feed.Source

	// Background page passes of pushed items (websub.go): life is the
	// context RunWebSub runs under (nil when it does not), passes counts
	// those running, and pagePass has a source while one runs for it,
	// true when another is to follow it.
	bgMu     sync.Mutex
	life     context.Context
	passes   sync.WaitGroup
	pagePass map[string]bool
}

// inFlightPerSlot is how many sources per fetch slot may be between their
// start and their commit: parsed feeds wait to be stored in one group, so
// the network and the parser keep one core busy while the writer keeps
// the other. A parsed 50-item feed holds ~250 KB.
const inFlightPerSlot = 2

func (r *Refresher) initLimits() {
	r.slotsOnce.Do(func() {
		r.slots = make(chan struct{}, max(1, r.Concurrency))
		r.cpu = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	})
}

// fetchSlot waits for a free fetch slot; release gives it back.
func (r *Refresher) fetchSlot(ctx context.Context) (release func(), err error) {
	r.initLimits()
	select {
	case r.slots <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-r.slots }) }, nil
	case <-ctx.Done():
		return func() {}, ctx.Err()
	}
}

type queuedWrite struct {
	batch store.Batch
	res   store.IngestResult
	err   error
	done  chan struct{}
}

// writeAttempts bounds how often a write is retried when another process
// held the database past the busy timeout (10 s each). SQLite's busy
// handler is not fair: a process writing back to back can starve another
// for as long as its backlog lasts, so a cron refresh beside a daemon in
// its first big pass needs more than one timeout's patience.
const writeAttempts = 10

// write runs a store write under writeMu, retrying when the database stayed
// locked: each write is one transaction, so a retry repeats it whole.
func (r *Refresher) write(ctx context.Context, fn func() error) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	return r.retryBusy(ctx, fn)
}

// retryBusy runs fn until the database is not busy, writeAttempts times at most.
func (r *Refresher) retryBusy(ctx context.Context, fn func() error) error {
	var err error
	for attempt := range writeAttempts {
		if err = fn(); !store.IsBusy(err) || ctx.Err() != nil {
			return err
		}
		r.logger().DebugContext(ctx, "database busy; retrying", "err", err)
		// SQLite has waited in its busy handler already; a PostgreSQL
		// server restarting needs a moment before a new connection works.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
		}
	}
	return err
}

// store writes a fetched feed with its validators. Feeds that finish while
// another is being written queue up, and the next writer stores the whole
// queue in one transaction: a commit is most of what storing a 50-item
// feed costs. If that transaction fails, each feed is tried alone, so one
// bad feed fails only itself.
func (r *Refresher) store(ctx context.Context, b store.Batch) (store.IngestResult, error) {
	w := &queuedWrite{batch: b, done: make(chan struct{})}
	r.queueMu.Lock()
	r.queued = append(r.queued, w)
	r.queueMu.Unlock()

	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.initLimits()
	r.cpu <- struct{}{}
	defer func() { <-r.cpu }()
	for {
		select {
		case <-w.done: // this writer or an earlier one stored it
			return w.res, w.err
		default:
		}
		r.queueMu.Lock()
		group := r.queued[:min(len(r.queued), maxGroup)]
		r.queued = r.queued[len(group):]
		r.queueMu.Unlock()
		r.storeGroup(ctx, group)
	}
}

// maxGroup bounds the feeds stored in one transaction, and with them the
// memory a transaction holds: a commit shared by 8 feeds costs each little.
const maxGroup = 8

func (r *Refresher) ingestOptions() store.IngestOptions {
	return r.Ingester.options()
}

// storeGroup stores a queue of feeds (holding writeMu) and hands each its
// result.
func (r *Refresher) storeGroup(ctx context.Context, group []*queuedWrite) {
	opt := r.ingestOptions()
	batches := make([]store.Batch, len(group))
	for i, w := range group {
		batches[i] = w.batch
	}
	var res []store.IngestResult
	err := r.retryBusy(ctx, func() (err error) {
		res, err = r.Ingester.DB.IngestBatches(ctx, batches, opt)
		return err
	})
	if err != nil && len(group) > 1 {
		r.logger().DebugContext(ctx, "storing feeds together failed; storing each alone", "feeds", len(group), "err", err)
		for _, w := range group {
			r.storeGroup(ctx, []*queuedWrite{w})
		}
		return
	}
	for i, w := range group {
		if err != nil {
			w.err = err
		} else {
			w.res = res[i]
		}
		close(w.done)
	}
}

// InFlight is how many sources may be refreshed at once, counting those
// parsed and waiting to be stored: the bound for a caller's own semaphore.
func (r *Refresher) InFlight() int {
	return inFlightPerSlot * max(1, r.Concurrency)
}

func (r *Refresher) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Refresher) logger() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Result is what refreshing one source did.
type Result struct {
	Source      string
	Status      int // HTTP status; 0 for folders and failures before an answer
	NotModified bool
	MovedTo     string // the source's new URL after a 301/308 or autodiscovery
	Err         error
	Duration    time.Duration
	store.IngestResult
}

// Due lists the stored sources that should be fetched now. With only, it
// is those sources, disabled or not (naming one asks for it); with force,
// every enabled source; otherwise the enabled sources whose next fetch time
// has come, which includes every source never fetched.
func (r *Refresher) Due(ctx context.Context, force bool, only []string) ([]store.SourceInfo, error) {
	f := store.FetchFilter{Names: only}
	if len(only) == 0 {
		f.SkipDisabled = true
		if !force {
			f.DueBy = r.now()
		}
	}
	return r.Ingester.DB.FetchList(ctx, f)
}

// DefaultLease is how long a claim on a due source lasts: longer than a
// fetch (refresh.timeout) plus its wait for a slot and for the writer.
const DefaultLease = 2 * time.Minute

var defaultOwner = sync.OnceValue(func() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%04x", host, os.Getpid(), rand.Uint32()&0xffff)
})

func (r *Refresher) owner() string {
	if r.Owner != "" {
		return r.Owner
	}
	return defaultOwner()
}

func (r *Refresher) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	return DefaultLease
}

// Claim claims up to n due sources for this process (remote ones only,
// with remoteOnly) and returns them; none when nothing is due or other
// processes hold what is.
func (r *Refresher) Claim(ctx context.Context, n int, remoteOnly bool) ([]store.SourceInfo, error) {
	return r.Ingester.DB.ClaimDue(ctx, r.owner(), r.now(), r.lease(), n, remoteOnly)
}

// ReleaseClaims gives back the claims of sources this process did not
// fetch, when it stops.
func (r *Refresher) ReleaseClaims(ctx context.Context) error {
	return r.Ingester.DB.ReleaseClaims(ctx, r.owner())
}

// PassDue refreshes the due sources this process can claim, a slot's
// worth at a time, so that no claim waits long for a slot: it is what a
// cron refresh does beside the daemon and other replicas.
func (r *Refresher) PassDue(ctx context.Context) ([]store.SourceInfo, []Result, error) {
	var all []store.SourceInfo
	var results []Result
	for ctx.Err() == nil {
		due, err := r.Claim(ctx, 2*r.InFlight(), false)
		if err != nil || len(due) == 0 {
			return all, results, err
		}
		all = append(all, due...)
		results = append(results, r.Pass(ctx, due)...)
	}
	return all, results, ctx.Err()
}

// Pass refreshes sources with at most Concurrency fetching at once (the
// fetch client adds its per-host limit) and returns one result per source.
func (r *Refresher) Pass(ctx context.Context, sources []store.SourceInfo) []Result {
	results := make([]Result, len(sources))
	sem := make(chan struct{}, r.InFlight())
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
			results[i] = r.timed(ctx, s)
		}()
	}
	wg.Wait()
	return results
}

// timed refreshes one source, timing it and reporting it to OnResult.
func (r *Refresher) timed(ctx context.Context, s store.SourceInfo) Result {
	start := time.Now()
	res := r.one(ctx, s)
	res.Duration = time.Since(start)
	if r.OnResult != nil {
		r.OnResult(res)
	}
	return res
}

// one fetches a source and stores its items together with the validators
// that came with them. Anything short of that is a failure that keeps the
// old validators.
func (r *Refresher) one(ctx context.Context, s store.SourceInfo) Result {
	if s.Path != "" {
		return r.folder(ctx, s)
	}
	res := Result{Source: s.Name}
	release, err := r.fetchSlot(ctx)
	defer release()
	now := r.now()
	if err != nil {
		return r.failed(ctx, s, now, res, err)
	}
	client, err := r.clientFor(s)
	if err != nil {
		return r.failed(ctx, s, now, res, err)
	}
	scrape := r.scrapeFor(s)
	req := fetch.Request{URL: s.URL, ETag: s.ETag, LastModified: s.LastModified}
	var resp *fetch.Response
	if scrape != nil {
		resp, err = client.Listing(ctx, req)
	} else {
		resp, err = client.Fetch(ctx, req)
	}
	if err != nil {
		return r.failed(ctx, s, now, res, err)
	}
	res.Status, res.MovedTo = http.StatusOK, resp.PermanentURL
	state := &store.FetchState{ETag: resp.ETag, LastModified: resp.LastModified, MovedTo: resp.PermanentURL,
		Status: http.StatusOK, Fetched: now}
	if resp.NotModified {
		release()
		res.NotModified = true
		res.Status, state.Status = http.StatusNotModified, http.StatusNotModified
		// A 304 may omit validators; keep the ones that earned it.
		state.ETag, state.LastModified = cmp.Or(resp.ETag, s.ETag), cmp.Or(resp.LastModified, s.LastModified)
		var every time.Duration
		every, state.Poll = r.notModifiedPoll(s, resp.Cache, now)
		state.NextFetch = now.Add(jitter(every))
		err := r.write(ctx, func() error { return r.Ingester.DB.SaveFetchState(ctx, s.Name, state) })
		if err != nil {
			return r.failed(ctx, s, now, res, err)
		}
		if r.fullContentOn(s.Name) {
			r.fullContent(ctx, s.Name, nil) // pages a stop left unfetched
		}
		return res
	}
	release()
	r.cpu <- struct{}{}
	var doc fetch.Parsed
	if scrape != nil {
		doc, err = fetch.ParseScrape(redact(resp.URL), resp.Body, resp.URL, resp.Charset(), scrape)
	} else {
		doc, err = fetch.ParseFeedPolled(redact(resp.URL), resp.Body, resp.URL, resp.Charset())
	}
	// The body is not kept while the feed waits for the writer: a parsed
	// feed holds its items already, and the hub is all WebSub reads of it.
	var hub, self string
	if r.WebSub != nil && scrape == nil {
		hub, self = fetch.FeedHub(resp.Body)
	}
	cache := resp.Cache
	resp = nil
	b := store.Batch{Source: s.Name, Items: doc.Items, Fetch: state}
	if err == nil {
		poll := r.policy(s.Name).choose(publishRate(doc.Items, now), cache.Longer(doc.Hint))
		state.Poll, state.NextFetch = &poll, now.Add(jitter(poll.Interval))
		b.Prepare(r.ingestOptions())
	}
	<-r.cpu
	if err != nil {
		return r.failed(ctx, s, now, res, err)
	}
	res.IngestResult, err = r.store(ctx, b)
	if err != nil {
		return r.failed(ctx, s, now, res, err)
	}
	res.Empty = doc.Empty
	if r.fullContentOn(s.Name) {
		r.fullContent(ctx, s.Name, doc.Items)
	}
	if hub != "" {
		r.notice(ctx, s, hub, self)
	}
	return res
}

// clientFor picks the client a source may use: sources from the config
// file (or an operator's OPML import) are trusted; others, added through the
// admin API, get Untrusted, which refuses private addresses. Without
// Untrusted those sources are not fetched at all.
func (r *Refresher) clientFor(s store.SourceInfo) (*fetch.Client, error) {
	if s.Origin == store.OriginConfig {
		return r.Client, nil
	}
	if r.Untrusted == nil {
		return nil, fmt.Errorf("no client for sources of origin %q", s.Origin)
	}
	return r.Untrusted, nil
}

// errNoLinkClient: without Untrusted, nothing a document links to is fetched.
var errNoLinkClient = errors.New("no client for URLs from remote documents (Refresher.Untrusted)")

// linkClient is the client for URLs that a remote document names, not the
// operator: full_content pages (and their sites' robots.txt) and WebSub
// hubs. Whatever the source's origin they get Untrusted, which refuses
// private, loopback and link-local addresses unless refresh.allow_private
// is true: trusting a feed's URL is not trusting every link a hijacked
// feed can carry (http://169.254.169.254/… fetched and published).
func (r *Refresher) linkClient() (*fetch.Client, error) {
	if r.Untrusted == nil {
		return nil, errNoLinkClient
	}
	return r.Untrusted, nil
}

// failed records an error and when to try again, keeping the old
// validators so that items which were not stored cannot later hide behind
// a 304. A 410 disables the source; a Retry-After is honoured; anything
// else backs off exponentially with jitter. Cancellation (shutdown) is not
// the source's fault and records nothing.
func (r *Refresher) failed(ctx context.Context, s store.SourceInfo, now time.Time, res Result, err error) Result {
	res.Err = err
	fe, isFetch := errors.AsType[*fetch.Error](err)
	if isFetch {
		res.Status = fe.Status
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return res
	}
	st := &store.FetchState{MovedTo: res.MovedTo, ETag: s.ETag, LastModified: s.LastModified,
		Status: res.Status, Error: err.Error(), Failures: s.Failures + 1, Fetched: now}
	wait := fetch.Backoff(st.Failures, r.interval(s.Name), maxBackoff, nil)
	switch {
	case isFetch && fe.Kind == fetch.KindGone:
		st.Disabled = true
	case isFetch && fe.Kind == fetch.KindRateLimited:
		wait = max(wait, fe.RetryAfter)
	}
	st.NextFetch = now.Add(wait)
	if err := r.write(ctx, func() error { return r.Ingester.DB.SaveFetchState(ctx, s.Name, st) }); err != nil {
		r.logger().Error("save fetch state", "source", s.Name, "err", err)
	}
	return res
}

// folder re-reads a path source; unchanged files change nothing.
func (r *Refresher) folder(ctx context.Context, s store.SourceInfo) Result {
	res := Result{Source: s.Name}
	var rejected []error
	fr, err := r.Ingester.Files(ctx, []string{s.Path}, nil, func(e error) { rejected = append(rejected, e) }, nil)
	res.IngestResult = fr.IngestResult
	res.Err = errors.Join(append(rejected, err)...)
	now := r.now()
	st := &store.FetchState{Fetched: now, NextFetch: now.Add(r.jittered(s.Name))}
	if res.Err != nil {
		// One rejected file per line in res.Err; one line in the table.
		st.Error = strings.ReplaceAll(res.Err.Error(), "\n", "; ")
	}
	err = r.write(ctx, func() error { return r.Ingester.DB.SaveFetchState(ctx, s.Name, st) })
	if err != nil && res.Err == nil {
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

// jittered is the source's configured interval, spread (see jitter).
func (r *Refresher) jittered(name string) time.Duration {
	return jitter(r.interval(name))
}

// redact hides a password in a URL before it is named in an error.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}
