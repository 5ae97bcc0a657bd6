package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// Searcher runs a full-text query: the items rule matches, newest first,
// at most limit of them. *store.DB implements it.
type Searcher interface {
	Search(ctx context.Context, rule *Rule, limit int) ([]*Item, error)
}

// DefaultSearchLimit is the number of items a search feed holds without
// ?limit=.
const DefaultSearchLimit = 50

// NewSearchHandler serves GET /search.rss, /search.atom and /search.json
// with ?q=QUERY in the rule language and an optional &limit=N (at most
// MaxLimit): a feed a reader can subscribe to as a saved search. A query
// that does not parse is a 400 whose one-line body names the column. base
// is the public base URL for links, as in PublisherOptions.
func NewSearchHandler(s Searcher, base string) http.Handler {
	return &searchHandler{s: s, base: strings.TrimRight(base, "/")}
}

type searchHandler struct {
	s    Searcher
	base string
}

// SearchChannel describes the feed of query q in format f, so the HTTP
// handler and `topicfeed search` title and link it alike.
func SearchChannel(base, q string, f Format) Channel {
	base = strings.TrimRight(base, "/")
	return Channel{
		Title:       "Search: " + q,
		Description: "Items matching " + q,
		Link:        base + "/",
		Self:        base + "/search." + string(f) + "?q=" + url.QueryEscape(q),
		BaseURL:     base,
	}
}

func (h *searchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, err := ParseFormat(strings.TrimPrefix(path.Ext(r.URL.Path), "."))
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
	items, err := h.s.Search(r.Context(), rule, limit)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		http.Error(w, "search failed", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := Render(&buf, f, SearchChannel(h.base, q, f), items); err != nil {
		http.Error(w, "search failed", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(buf.Bytes())
	var modified time.Time
	for _, it := range items {
		if it.Updated.After(modified) {
			modified = it.Updated
		}
	}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	// ServeContent answers If-None-Match and If-Modified-Since with 304.
	http.ServeContent(w, r, "", modified, bytes.NewReader(buf.Bytes()))
}

// parseSearch checks the query parameters, returning a one-line message
// for the client when they are unusable.
func parseSearch(q, limitParam string) (*Rule, int, string) {
	if strings.TrimSpace(q) == "" {
		return nil, 0, "missing q: give a query in the topic rule language, e.g. ?q=Pakistan+AND+tariffs"
	}
	rule, err := ParseRule(q)
	if err != nil {
		return nil, 0, oneLine("q: " + err.Error())
	}
	limit := DefaultSearchLimit
	if limitParam != "" {
		n, err := strconv.Atoi(limitParam)
		if err != nil || n < 1 {
			return nil, 0, "limit must be a positive whole number"
		}
		limit = min(n, MaxLimit)
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
