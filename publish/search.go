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
	"time"

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
// that does not parse, or is over lim's caps, is a 400 whose one-line body
// says why. base is the public base URL for links, as in Options.
//
// changes, when set, counts the database's changes (Publisher.Generation):
// a rendered search is kept until it moves, so readers polling a saved
// search between refreshes cost a map lookup each. nil keeps nothing.
//
// Searches that are run, not answered from what was kept, are bounded by
// lim: a rate per client (429), a number running at once and waiting
// (503), and a deadline (503).
func NewSearchHandler(s Searcher, base string, changes func() uint64, lim SearchLimits) http.Handler {
	lim = lim.withDefaults()
	return &searchHandler{s: s, base: strings.TrimRight(base, "/"), changes: changes, cache: map[searchKey]*rendered{},
		lim: lim, gate: newGate(lim.Running, lim.Waiting), rates: newClientRates(lim.Rate, lim.Burst, lim.Clients)}
}

type searchHandler struct {
	s       Searcher
	base    string
	changes func() uint64
	lim     SearchLimits
	gate    *gate
	rates   *clientRates // nil: no per-client limit

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
	// Percent-encoding takes at most three bytes a byte: a longer raw
	// query cannot hold an acceptable q, and is refused before decoding.
	if len(r.URL.RawQuery) > 3*h.lim.MaxQuery+64 {
		http.Error(w, "query string is "+strconv.Itoa(len(r.URL.RawQuery))+" bytes long; a search takes at most "+
			strconv.Itoa(h.lim.MaxQuery)+" bytes of q", http.StatusBadRequest)
		return
	}
	params := r.URL.Query()
	q := params.Get("q")
	rule, limit, msg := h.parseSearch(q, params.Get("limit"))
	if msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	res, err := h.search(w, r, q, rule, f, limit)
	switch {
	case err == nil:
		writeFeed(w, r, f, res, nil)
	case errors.Is(err, errRefused):
		// answered by search
	case errors.Is(err, errBusy) || errors.Is(err, errTooSlow):
		retryAfter(w, time.Second)
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	case errors.Is(err, context.Canceled):
	default:
		http.Error(w, "search failed", http.StatusInternalServerError)
	}
}

// errRefused: search has answered the client itself (429).
var errRefused = errors.New("refused")

// search renders the feed of rule, parsed from q, or returns the rendering
// kept since the database last changed. A search that has to run is
// first counted against the client's rate, then waits for a slot, and
// runs under the deadline.
func (h *searchHandler) search(w http.ResponseWriter, r *http.Request, q string, rule *feed.Rule, f feed.Format, limit int) (*rendered, error) {
	var k searchKey
	var gen uint64
	if h.changes != nil {
		k, gen = searchKey{q, f, limit}, h.changes()
		if res := h.lookup(k, gen); res != nil {
			return res, nil
		}
	}
	if d := h.rates.wait(r.RemoteAddr, time.Now()); d > 0 {
		retryAfter(w, d)
		http.Error(w, "too many searches from your address; try again in a moment", http.StatusTooManyRequests)
		return nil, errRefused
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.lim.Timeout)
	defer cancel()
	if err := h.gate.enter(ctx); err != nil {
		return nil, err
	}
	defer h.gate.leave()
	items, err := h.s.Search(ctx, rule, limit)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil {
			return nil, errTooSlow
		}
		if r.Context().Err() != nil {
			return nil, context.Canceled
		}
		return nil, err
	}
	ch := feed.SearchChannel(h.base, q, f)
	// The self link names the query whole (at most MaxQuery bytes); the
	// title a reader shows is kept short.
	if len(q) > searchTitleMax {
		brief := feed.SearchChannel(h.base, short(q, searchTitleMax), f)
		ch.Title, ch.Description = brief.Title, brief.Description
	}
	var buf bytes.Buffer
	if err := feed.Render(&buf, f, ch, items); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	res := &rendered{body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	res.setETags()
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

// searchTitleMax is how much of the query a search feed's title quotes.
const searchTitleMax = 80

// parseSearch checks the query parameters, returning a one-line message
// for the client when they are unusable.
func (h *searchHandler) parseSearch(q, limitParam string) (*feed.Rule, int, string) {
	if strings.TrimSpace(q) == "" {
		return nil, 0, "missing q: give a query in the topic rule language, e.g. ?q=Pakistan+AND+tariffs"
	}
	if msg := h.lim.checkQuery(q); msg != "" {
		return nil, 0, msg
	}
	rule, err := feed.ParseRule(q)
	if err != nil {
		// A parse error may quote a token of the query.
		return nil, 0, oneLine("q: " + short(err.Error(), maxErrorQuote))
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

// maxErrorQuote bounds the bytes of a parse error a 400 repeats.
const maxErrorQuote = 160

// oneLine keeps a message that quotes the query on one line of text.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
