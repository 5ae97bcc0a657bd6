// Package publish is topicfeed's HTTP side, the output end of
// fetch → refresh → store → publish: topic and search feeds with their
// caches, 304s and gzip, the HTML pages, the admin API, metrics, the
// access log and WebSub pings. It reads storage through the small
// interfaces it declares here (Store, Searcher, AdminStore, SourceReader)
// and leaves items, rules and feed rendering to package feed.
package publish

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/topicfeed/topicfeed/feed"
)

// Store is what the publisher needs from storage.
type Store interface {
	TopicItems(ctx context.Context, topic string, limit int) ([]*feed.Item, error)
	TopicStats(ctx context.Context) (map[string]feed.TopicStat, error)
	Item(ctx context.Context, id int64) (*feed.Item, error)
	Ping(ctx context.Context) error
}

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"date":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ago":      ago,
	"items": func(n int) string {
		if n == 1 {
			return "1 item"
		}
		return strconv.Itoa(n) + " items"
	},
	"summary":  func(it *feed.Item) string { return feed.Summarize(it, 280) },
	"itemURL":  feed.ItemURL,
	"join":     strings.Join,
	"subsData": func(base, name string) map[string]string { return map[string]string{"Base": base, "Name": name} },
	"safe":     func(s string) template.HTML { return template.HTML(s) }, // only for Sanitize'd content
}).ParseFS(templateFS, "templates/*.html"))

// Publisher serves topic feeds, pages, metrics and the admin API. Rendered
// feeds are cached until Invalidate is called, so polling an unchanged
// topic touches no SQL.
type Publisher struct {
	// Search, when set before Handler is called, answers GET /search.rss,
	// /search.atom and /search.json (full-text query feeds, search.go).
	Search http.Handler
	// WebSub, when set before Handler is called, is the WebSub
	// subscriber's callback (websub_callback.go).
	WebSub http.Handler

	store    Store
	opt      Options
	base     string
	started  time.Time // Last-Modified of a feed with no items
	topics   atomic.Pointer[[]*feed.Topic]
	mu       sync.Mutex
	cache    map[cacheKey]*rendered
	cached   int // bytes of plain bodies in cache
	gen      atomic.Uint64
	inflight singleflight.Group
	// announced is each topic's RSS ETag as last told to the hub.
	announced map[string]string
	// cacheControl is the feeds' Cache-Control header value, made once.
	cacheControl []string
	admin        *adminState // the console's sessions and bounds (admin.go); nil when off
}

type cacheKey struct {
	topic  string
	format feed.Format
	limit  int
}

// rendered is one feed body, kept plain and, from the first reader that
// asks for it, gzipped.
type rendered struct {
	gen      uint64
	body     []byte
	etag     string
	modified time.Time
	gzETag   string // the ETag of the gzipped body, made once
	etagH    []string
	gzETagH  []string // header values of etag and gzETag
	gzOnce   sync.Once
	gz       []byte
}

// gzipped compresses once; every later gzip reader gets the same bytes.
func (r *rendered) gzipped() []byte {
	r.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
		zw.Write(r.body)
		zw.Close()
		r.gz = buf.Bytes()
	})
	return r.gz
}

// Options configures a Publisher. Only BaseURL is needed; each
// other field switches on one part of the site.
type Options struct {
	BaseURL string
	MaxAge  time.Duration // Cache-Control max-age for feeds
	// MaxBody is the most a topic feed may hold (refresh.max_body, which
	// readers and topicfeed itself read at most); 0 for feed.DefaultMaxBytes.
	MaxBody int
	Log     *slog.Logger // error logs, and the access log unless AccessLog is set; discarded when nil
	// AccessLog, when set, takes the line logged per request: serve gives
	// it a LogWriter, so that no request waits for the log's output.
	AccessLog *slog.Logger

	Hub       string       // WebSub hub advertised in feeds and pinged on changes
	HubClient *http.Client // for hub pings; a client with a short timeout when nil

	Metrics *Metrics     // serves /metrics and counts requests when set
	Sources SourceReader // serves /sources when set

	// Admin and AdminToken switch the admin API on; without a token every
	// /api/ path answers 404. Refresh queues a refresh pass for the API.
	Admin      AdminStore
	AdminToken string
	Refresh    RefreshFunc
	// Console, with Admin and AdminToken, switches on the operator's
	// console at /admin (admin.go).
	Console *Console
}

// NewPublisher returns a publisher of topics from s.
func NewPublisher(s Store, topics []*feed.Topic, o Options) *Publisher {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.AccessLog == nil {
		o.AccessLog = o.Log
	}
	if o.HubClient == nil {
		o.HubClient = &http.Client{Timeout: hubTimeout}
	}
	p := &Publisher{store: s, opt: o, base: strings.TrimRight(o.BaseURL, "/"),
		started: time.Now().UTC().Truncate(time.Second), cache: map[cacheKey]*rendered{}, announced: map[string]string{}}
	if o.MaxAge > 0 {
		p.cacheControl = []string{"max-age=" + strconv.Itoa(int(o.MaxAge.Seconds()))}
	}
	p.SetTopics(topics)
	return p
}

// SetTopics swaps the topic list (on config reload) and drops the cache.
func (p *Publisher) SetTopics(ts []*feed.Topic) {
	p.topics.Store(&ts)
	p.Invalidate()
}

// Invalidate marks every cached feed stale; call it after items change.
func (p *Publisher) Invalidate() { p.gen.Add(1) }

// Generation counts Invalidate calls: what a cache of anything read from
// the store (NewSearchHandler's) is valid for.
func (p *Publisher) Generation() uint64 { return p.gen.Load() }

func (p *Publisher) topic(name string) *feed.Topic {
	for _, t := range *p.topics.Load() {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Handler routes every public page and feed, /metrics, /healthz and the
// admin API, with access logs and request metrics around them.
func (p *Publisher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.serveIndex)
	mux.HandleFunc("GET /topics/{file}", p.serveTopic)
	mux.HandleFunc("GET /topics.opml", p.serveOPML)
	mux.HandleFunc("GET /items/{id}", p.serveItem)
	mux.HandleFunc("GET /healthz", p.serveHealth)
	if p.opt.Sources != nil {
		mux.HandleFunc("GET /sources", p.serveSources)
	}
	if p.opt.Metrics != nil {
		mux.Handle("GET /metrics", p.opt.Metrics.Handler())
	}
	// Search hook: search.go provides the handler; mounted only when set.
	if p.Search != nil {
		for _, ext := range []string{"rss", "atom", "json"} {
			mux.Handle("GET /search."+ext, p.Search)
		}
	}
	if p.WebSub != nil {
		mux.Handle("/websub/callback/{token}", p.WebSub)
	}
	p.registerConsole(mux)
	p.registerAPI(mux)
	return p.observe(mux)
}

// serveTopic answers /topics/NAME (HTML) and /topics/NAME.rss|.atom|.json.
// Wildcards must be whole segments, so the extension is split here.
func (p *Publisher) serveTopic(w http.ResponseWriter, r *http.Request) {
	name, ext, hasExt := strings.Cut(r.PathValue("file"), ".")
	t := p.topic(name)
	if t == nil {
		http.Error(w, "unknown topic "+strconv.Quote(short(name, maxNameQuote)), http.StatusNotFound)
		return
	}
	if !hasExt {
		p.serveTopicPage(w, r, t)
		return
	}
	f, err := feed.ParseFormat(ext)
	if err != nil {
		http.Error(w, "unknown format "+strconv.Quote(short(ext, maxNameQuote))+" (want rss, atom or json)", http.StatusNotFound)
		return
	}
	limit := t.Limit
	// Most polls carry no query: not parsing one saves a map a request.
	if v := queryParam(r, "limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			http.Error(w, "limit must be a positive whole number", http.StatusBadRequest)
			return
		}
		limit = min(n, feed.MaxLimit)
	}
	doc, err := p.feed(r.Context(), t, f, limit)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	writeFeed(w, r, f, doc, p.cacheControl)
}

// feed returns the cached rendering, rendering at most once per change
// even when many readers ask at the same moment.
func (p *Publisher) feed(ctx context.Context, t *feed.Topic, f feed.Format, limit int) (*rendered, error) {
	key := cacheKey{t.Name, f, limit}
	gen := p.gen.Load()
	p.mu.Lock()
	old := p.cache[key]
	p.mu.Unlock()
	if old != nil && old.gen == gen {
		return old, nil
	}
	v, err, _ := p.inflight.Do(fmt.Sprintf("%s\x00%s\x00%d", key.topic, key.format, key.limit), func() (any, error) {
		items, err := p.store.TopicItems(ctx, t.Name, limit)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := feed.Render(&buf, f, p.channel(t, f), items); err != nil {
			return nil, err
		}
		c := p.newRendered(gen, buf.Bytes(), items, old)
		p.keep(key, c)
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*rendered), nil
}

// maxFeedCache bounds the bytes of plain feed bodies kept. Each topic,
// format and ?limit is a rendering of its own: without a bound, a client
// asking for every limit up to 500 in every format would have the
// publisher keep thousands of them.
const maxFeedCache = 64 << 20

// keep caches c under key, first dropping renderings of an older
// generation, then any others, until it fits.
func (p *Publisher) keep(key cacheKey, c *rendered) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev := p.cache[key]; prev != nil {
		p.cached -= len(prev.body)
		delete(p.cache, key)
	}
	if p.cached+len(c.body) > maxFeedCache {
		for k, r := range p.cache {
			if r.gen != c.gen {
				delete(p.cache, k)
				p.cached -= len(r.body)
			}
		}
		for k, r := range p.cache {
			if p.cached+len(c.body) <= maxFeedCache {
				break
			}
			delete(p.cache, k)
			p.cached -= len(r.body)
		}
	}
	p.cache[key] = c
	p.cached += len(c.body)
}

func (p *Publisher) channel(t *feed.Topic, f feed.Format) feed.Channel {
	page := p.base + "/topics/" + t.Name
	return feed.Channel{Title: t.Title, Description: t.Description, Link: page,
		Self: page + "." + string(f), Hub: p.opt.Hub, BaseURL: p.base, MaxBytes: p.opt.MaxBody}
}

// newRendered hashes the body and works out Last-Modified: the newest
// item's update, moved to now when the body changed without any item
// getting newer (an item hidden or dropped), so If-Modified-Since stays true.
func (p *Publisher) newRendered(gen uint64, body []byte, items []*feed.Item, old *rendered) *rendered {
	sum := sha256.Sum256(body)
	r := &rendered{gen: gen, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	for _, it := range items {
		if it.Updated.After(r.modified) {
			r.modified = it.Updated
		}
	}
	switch {
	case old != nil && old.etag == r.etag:
		r.modified = old.modified
	case old != nil && !r.modified.After(old.modified):
		// Whole seconds, as HTTP dates are; strictly later than before even
		// when items carry dates ahead of this clock.
		r.modified = time.Now().UTC().Truncate(time.Second)
		if !r.modified.After(old.modified) {
			r.modified = old.modified.Truncate(time.Second).Add(time.Second)
		}
	case r.modified.IsZero():
		r.modified = p.started
	}
	r.setETags()
	return r
}

var varyAcceptEncoding = []string{"Accept-Encoding"}

// queryParam is r's query parameter name, without parsing an empty query.
func queryParam(r *http.Request, name string) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return r.URL.Query().Get(name)
}

// setETags fills in the gzip ETag and the header values of both, once.
func (r *rendered) setETags() {
	r.gzETag = gzETag(r.etag)
	r.etagH, r.gzETagH = []string{r.etag}, []string{r.gzETag}
}

// gzETag is the ETag of the gzipped body of a rendering tagged etag.
func gzETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gz"` }

// writeFeed answers with doc, gzipped when the client takes it, as
// topic and search feeds are served alike.
func writeFeed(w http.ResponseWriter, r *http.Request, f feed.Format, doc *rendered, cacheControl []string) {
	// Header values are slices made once and shared, not made by Set per
	// request: net/http only reads them. (Three allocations of a 304's nine.)
	h := w.Header()
	h["Vary"] = varyAcceptEncoding
	if cacheControl != nil {
		h["Cache-Control"] = cacheControl
	}
	gz := acceptsGzip(r)
	etag, etagH := doc.etag, doc.etagH
	if gz {
		etag, etagH = doc.gzETag, doc.gzETagH
	}
	h["Etag"] = etagH
	// Readers polling an unchanged feed are most requests: answer their
	// 304 from the cached validators. ServeContent, below, decides every
	// other case (If-Match, ranges) and gives the same answer to these.
	if notModified(r, etag, doc.modified) {
		// No Last-Modified beside an ETag, as ServeContent's 304 does.
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", f.ContentType())
	body := doc.body
	if gz {
		body = doc.gzipped()
		h.Set("Content-Encoding", "gzip")
	}
	http.ServeContent(w, r, "", doc.modified, bytes.NewReader(body))
}

// notModified reports whether a GET or HEAD carrying only If-None-Match
// or If-Modified-Since gets a 304, as RFC 9110 section 13.2.2 orders
// them: If-None-Match, when present, decides alone (weak comparison).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead ||
		r.Header.Get("If-Match") != "" || r.Header.Get("If-Unmodified-Since") != "" {
		return false
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		want := strings.TrimPrefix(etag, "W/")
		for tag := range strings.SplitSeq(inm, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
				return true
			}
		}
		return false
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || modified.IsZero() { // as ServeContent: no time, no date check
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !modified.Truncate(time.Second).After(t)
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (p *Publisher) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, feed.ErrNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	p.opt.Log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func (p *Publisher) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := p.store.Ping(ctx); err != nil {
		http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

// hubTimeout bounds one WebSub ping: a slow hub must not hold up the next.
const hubTimeout = 10 * time.Second

// Changed drops cached feeds after the database changed and, when a hub
// is configured, pings it for every topic whose feed really changed: each
// topic's default RSS feed is re-rendered and its ETag compared with the
// one last announced. The first call only records ETags, so call it once
// at start-up. Errors from the hub are joined; nothing is retried.
func (p *Publisher) Changed(ctx context.Context) error {
	p.Invalidate()
	if p.opt.Hub == "" {
		return nil
	}
	var errs []error
	for _, t := range *p.topics.Load() {
		doc, err := p.feed(ctx, t, feed.RSS, t.Limit)
		if err != nil {
			errs = append(errs, fmt.Errorf("topic %s: %w", t.Name, err))
			continue
		}
		p.mu.Lock()
		prev := p.announced[t.Name]
		p.announced[t.Name] = doc.etag
		p.mu.Unlock()
		if prev == "" || prev == doc.etag {
			continue
		}
		for _, f := range []feed.Format{feed.RSS, feed.Atom, feed.JSON} {
			if err := p.ping(ctx, p.channel(t, f).Self); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ping tells the hub that the feed at feedURL has new content (WebSub
// publisher notification, the de-facto hub.mode=publish form).
func (p *Publisher) ping(ctx context.Context, feedURL string) error {
	ctx, cancel := context.WithTimeout(ctx, hubTimeout)
	defer cancel()
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {feedURL}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.opt.Hub, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("websub hub %s: %w", p.opt.Hub, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.opt.HubClient.Do(req)
	if err != nil {
		return fmt.Errorf("websub ping for %s: %w", feedURL, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("websub ping for %s: hub %s answered %s", feedURL, p.opt.Hub, resp.Status)
	}
	return nil
}
