package refresh

import (
	"compress/gzip"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// sent is what the fake upstream saw of one request.
type sent struct {
	Path, IfNoneMatch, IfModifiedSince, UserAgent, AcceptEncoding string
}

// upstream is a loopback feed server that records every request, so tests
// assert on what the client sent, not only on what it stored.
type upstream struct {
	*httptest.Server
	mu     sync.Mutex
	log    []sent
	routes map[string]http.HandlerFunc
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{routes: map[string]http.HandlerFunc{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.log = append(u.log, sent{r.URL.Path, r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since"),
			r.Header.Get("User-Agent"), r.Header.Get("Accept-Encoding")})
		h := u.routes[r.URL.Path]
		u.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// handle sets (or replaces) the handler of path.
func (u *upstream) handle(path string, h http.HandlerFunc) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.routes[path] = h
}

// hits returns the requests made for path, in order.
func (u *upstream) hits(path string) []sent {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []sent
	for _, s := range u.log {
		if s.Path == path {
			out = append(out, s)
		}
	}
	return out
}

// words make item texts distinct enough that dedup never merges two of them.
var words = strings.Fields(`harbour council budget railway tunnel election minister drought reservoir
	festival museum satellite orbit vaccine clinic teachers strike tariff export wheat copper bridge
	ferry airport runway glacier volcano earthquake flood monsoon cricket stadium parliament senate court
	verdict appeal lawyer river canal pipeline refinery solar turbine battery factory union wages pension
	library archive novel painter orchestra theatre border treaty summit embassy customs shipping`)

// itemText is a deterministic sentence stream for one guid.
func itemText(guid string) string {
	h := fnv.New64a()
	h.Write([]byte(guid))
	r := rand.New(rand.NewPCG(h.Sum64(), 1))
	out := make([]string, 60)
	for i := range out {
		out[i] = words[r.IntN(len(words))]
	}
	return strings.Join(out, " ") + "."
}

// rssBody renders an RSS 2.0 feed of the given guids.
func rssBody(guids ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://example.org/</link>`)
	for _, g := range guids {
		fmt.Fprintf(&b, `<item><guid>%s</guid><title>Story %s</title><link>http://example.org/%s</link>`+
			`<description>%s</description><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate></item>`, g, g, g, itemText(g))
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// feedHandler serves body with an ETag and Last-Modified, answering 304
// when the client sends the current ETag; gzip when the client asks.
func feedHandler(etag string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", "Mon, 02 Mar 2026 10:00:00 GMT")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(body)
			zw.Close()
			return
		}
		w.Write(body)
	}
}
