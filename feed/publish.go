package feed

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
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Store is what the publisher needs from storage.
type Store interface {
	TopicItems(ctx context.Context, topic string, limit int) ([]*Item, error)
	TopicStats(ctx context.Context) (map[string]TopicStat, error)
	Item(ctx context.Context, id int64) (*Item, error)
	Ping(ctx context.Context) error
}

// MaxLimit caps ?limit= on feeds.
const MaxLimit = 500

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"date":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"summary": func(it *Item) string { return Summarize(it, 280) },
	"itemURL": ItemURL,
	"join":    strings.Join,
	"safe":    func(s string) template.HTML { return template.HTML(s) }, // only for Sanitize'd content
}).ParseFS(templateFS, "templates/*.html"))

// Publisher serves topic feeds and pages. Rendered feeds are cached until
// Invalidate is called, so polling an unchanged topic touches no SQL.
type Publisher struct {
	store    Store
	base     string
	hub      string
	maxAge   time.Duration
	log      *slog.Logger
	topics   atomic.Pointer[[]*Topic]
	mu       sync.Mutex
	cache    map[cacheKey]*rendered
	gen      atomic.Uint64
	inflight singleflight.Group
}

type cacheKey struct {
	topic  string
	format Format
	limit  int
}

// rendered is one feed body, kept plain and gzipped.
type rendered struct {
	gen      uint64
	body, gz []byte
	etag     string
	modified time.Time
}

// PublisherOptions configures a Publisher.
type PublisherOptions struct {
	BaseURL string
	Hub     string        // WebSub hub advertised in feeds, optional
	MaxAge  time.Duration // Cache-Control max-age for feeds
	Log     *slog.Logger
}

func NewPublisher(s Store, topics []*Topic, o PublisherOptions) *Publisher {
	p := &Publisher{store: s, base: strings.TrimRight(o.BaseURL, "/"), hub: o.Hub, maxAge: o.MaxAge,
		log: o.Log, cache: map[cacheKey]*rendered{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.SetTopics(topics)
	return p
}

// SetTopics swaps the topic list (on config reload) and drops the cache.
func (p *Publisher) SetTopics(ts []*Topic) {
	p.topics.Store(&ts)
	p.Invalidate()
}

// Invalidate marks every cached feed stale; call it after items change.
func (p *Publisher) Invalidate() { p.gen.Add(1) }

func (p *Publisher) topic(name string) *Topic {
	for _, t := range *p.topics.Load() {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Handler routes the public pages and feeds.
func (p *Publisher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.serveIndex)
	mux.HandleFunc("GET /topics/{file}", p.serveTopic)
	mux.HandleFunc("GET /items/{id}", p.serveItem)
	mux.HandleFunc("GET /healthz", p.serveHealth)
	return mux
}

// serveTopic answers /topics/NAME (HTML) and /topics/NAME.rss|.atom|.json.
// Wildcards must be whole segments, so the extension is split here.
func (p *Publisher) serveTopic(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	name, ext, hasExt := strings.Cut(file, ".")
	t := p.topic(name)
	if t == nil {
		http.Error(w, "unknown topic "+strconv.Quote(name), http.StatusNotFound)
		return
	}
	if !hasExt {
		p.serveTopicPage(w, r, t)
		return
	}
	f, err := ParseFormat(ext)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	limit := t.Limit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			http.Error(w, "limit must be a positive whole number", http.StatusBadRequest)
			return
		}
		limit = min(n, MaxLimit)
	}
	doc, err := p.feed(r.Context(), t, f, limit)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.writeFeed(w, r, f, doc)
}

// feed returns the cached rendering, rendering at most once per change
// even when many readers ask at the same moment.
func (p *Publisher) feed(ctx context.Context, t *Topic, f Format, limit int) (*rendered, error) {
	key := cacheKey{t.Name, f, limit}
	gen := p.gen.Load()
	p.mu.Lock()
	c := p.cache[key]
	p.mu.Unlock()
	if c != nil && c.gen == gen {
		return c, nil
	}
	v, err, _ := p.inflight.Do(fmt.Sprintf("%s\x00%s\x00%d", key.topic, key.format, key.limit), func() (any, error) {
		items, err := p.store.TopicItems(ctx, t.Name, limit)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		ch := Channel{Title: t.Title, Description: t.Description, Link: p.base + "/topics/" + t.Name,
			Self: p.base + "/topics/" + t.Name + "." + string(f), Hub: p.hub, BaseURL: p.base}
		if err := Render(&buf, f, ch, items); err != nil {
			return nil, err
		}
		c := newRendered(gen, buf.Bytes(), items)
		p.mu.Lock()
		p.cache[key] = c
		p.mu.Unlock()
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*rendered), nil
}

func newRendered(gen uint64, body []byte, items []*Item) *rendered {
	sum := sha256.Sum256(body)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(body)
	zw.Close()
	r := &rendered{gen: gen, body: body, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	for _, it := range items {
		if it.Updated.After(r.modified) {
			r.modified = it.Updated
		}
	}
	return r
}

func (p *Publisher) writeFeed(w http.ResponseWriter, r *http.Request, f Format, doc *rendered) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType())
	h.Set("Vary", "Accept-Encoding")
	if p.maxAge > 0 {
		h.Set("Cache-Control", "max-age="+strconv.Itoa(int(p.maxAge.Seconds())))
	}
	body, etag := doc.body, doc.etag
	if acceptsGzip(r) {
		body, etag = doc.gz, strings.TrimSuffix(doc.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match and If-Modified-Since with 304.
	http.ServeContent(w, r, "", doc.modified, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (p *Publisher) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	p.log.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "err", err)
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
	w.Write([]byte("ok\n"))
}
