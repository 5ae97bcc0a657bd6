package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/topicfeed/topicfeed/feed"
)

// Searcher runs a full-text query: the items rule matches, newest first,
// at most limit of them. *store.DB implements it.
type Searcher interface {
	Search(ctx context.Context, rule *feed.Rule, limit int) ([]*feed.Item, error)
}

// NewSearchHandler serves GET /search.rss, /search.atom and /search.json
// with ?q=QUERY in the rule language and an optional &limit=N (at most
// feed.MaxLimit): a feed a reader can subscribe to as a saved search. A query
// that does not parse is a 400 whose one-line body names the column. base
// is the public base URL for links, as in Options.
//
// changes, when set, counts the database's changes (Publisher.Generation):
// a rendered search is kept until it moves, so readers polling a saved
// search between refreshes cost a map lookup each. nil keeps nothing.
func NewSearchHandler(s Searcher, base string, changes func() uint64) http.Handler {
	return &searchHandler{s: s, base: strings.TrimRight(base, "/"), changes: changes, cache: map[searchKey]*rendered{}}
}

type searchHandler struct {
	s       Searcher
	base    string
	changes func() uint64

	mu     sync.Mutex
	gen    uint64 // the change the cached results were made at
	cache  map[searchKey]*rendered
	cached int // bytes of plain bodies in cache (a gzipped copy adds ~a third)
}

type searchKey struct {
	q      string // as typed: the feed's title and self link name it
	format feed.Format
	limit  int
}

// maxSearchCache bounds the bytes of rendered searches kept.
const maxSearchCache = 8 << 20

func (h *searchHandler) lookup(k searchKey, gen uint64) *rendered {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gen != gen {
		return nil
	}
	return h.cache[k]
}

func (h *searchHandler) keep(k searchKey, gen uint64, res *rendered) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if gen != h.gen {
		if gen < h.gen {
			return // made before a change another request has seen
		}
		clear(h.cache)
		h.gen, h.cached = gen, 0
	}
	if len(res.body) > maxSearchCache {
		return
	}
	if prev := h.cache[k]; prev != nil {
		delete(h.cache, k)
		h.cached -= len(prev.body)
	}
	for old, r := range h.cache { // evict any, until the new one fits
		if h.cached+len(res.body) <= maxSearchCache {
			break
		}
		delete(h.cache, old)
		h.cached -= len(r.body)
	}
	h.cache[k] = res
	h.cached += len(res.body)
}

func (h *searchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, err := feed.ParseFormat(strings.TrimPrefix(path.Ext(r.URL.Path), "."))
	if err != nil {
		http.Error(w, "search feeds are /search.rss, /search.atom or /search.json", http.StatusNotFound)
		return
	}
	q := r.URL.Query().Get("q")
	rule, limit, msg := parseSearch(q, r.URL.Query().Get("limit"))
	if msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	res, err := h.search(r.Context(), q, rule, f, limit)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		http.Error(w, "search failed", http.StatusInternalServerError)
		return
	}
	writeFeed(w, r, f, res, "")
}

// search renders the feed of rule, parsed from q, or returns the rendering
// kept since the database last changed.
func (h *searchHandler) search(ctx context.Context, q string, rule *feed.Rule, f feed.Format, limit int) (*rendered, error) {
	var k searchKey
	var gen uint64
	if h.changes != nil {
		k, gen = searchKey{q, f, limit}, h.changes()
		if res := h.lookup(k, gen); res != nil {
			return res, nil
		}
	}
	items, err := h.s.Search(ctx, rule, limit)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := feed.Render(&buf, f, feed.SearchChannel(h.base, q, f), items); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	res := &rendered{body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	res.gzETag = gzETag(res.etag)
	for _, it := range items {
		if it.Updated.After(res.modified) {
			res.modified = it.Updated
		}
	}
	if h.changes != nil {
		h.keep(k, gen, res)
	}
	return res, nil
}

// parseSearch checks the query parameters, returning a one-line message
// for the client when they are unusable.
func parseSearch(q, limitParam string) (*feed.Rule, int, string) {
	if strings.TrimSpace(q) == "" {
		return nil, 0, "missing q: give a query in the topic rule language, e.g. ?q=Pakistan+AND+tariffs"
	}
	rule, err := feed.ParseRule(q)
	if err != nil {
		return nil, 0, oneLine("q: " + err.Error())
	}
	limit := feed.DefaultSearchLimit
	if limitParam != "" {
		n, err := strconv.Atoi(limitParam)
		if err != nil || n < 1 {
			return nil, 0, "limit must be a positive whole number"
		}
		limit = min(n, feed.MaxLimit)
	}
	return rule, limit, ""
}

// oneLine keeps a message that quotes the query on one line of text.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
