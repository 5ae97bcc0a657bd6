package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const testFeed = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>`

// requestLog records what the client sent, for the test to assert on.
type requestLog struct {
	mu      sync.Mutex
	paths   []string
	headers []http.Header
}

func (l *requestLog) record(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paths = append(l.paths, r.URL.Path)
	l.headers = append(l.headers, r.Header.Clone())
}

func (l *requestLog) snapshot() ([]string, []http.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.paths...), append([]http.Header(nil), l.headers...)
}

// newServer starts a loopback server that logs every request before h runs.
func newServer(t testing.TB, h http.HandlerFunc) (*httptest.Server, *requestLog) {
	t.Helper()
	log := &requestLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.record(r)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, log
}

// newTestClient returns a client allowed to reach the loopback test servers.
func newTestClient(o Options) *Client {
	o.AllowPrivate = true
	return NewClient(o)
}

func fetchErr(t *testing.T, c *Client, url string) *Error {
	t.Helper()
	res, err := c.Fetch(t.Context(), Request{URL: url})
	if err == nil {
		t.Fatalf("Fetch(%s) = %+v, want an error", url, res)
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("Fetch(%s) error %T %q, want *Error", url, err, err)
	}
	return e
}

func TestFetchConditionalGET(t *testing.T) {
	const etag, lastMod = `"v1"`, "Mon, 02 Jan 2006 15:04:05 GMT"
	srv, log := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, testFeed)
	})
	c := newTestClient(Options{})

	res, err := c.Fetch(t.Context(), Request{URL: srv.URL + "/feed"})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != testFeed || res.ETag != etag || res.LastModified != lastMod ||
		res.NotModified || res.ContentType != "application/rss+xml" || res.URL != srv.URL+"/feed" || res.PermanentURL != "" {
		t.Fatalf("first fetch = %+v", res)
	}
	res, err = c.Fetch(t.Context(), Request{URL: srv.URL + "/feed", ETag: res.ETag, LastModified: res.LastModified})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NotModified || res.Body != nil || res.ETag != etag || res.LastModified != lastMod {
		t.Fatalf("second fetch = %+v, want NotModified with the validators kept", res)
	}

	_, headers := log.snapshot()
	if len(headers) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(headers))
	}
	for i, h := range headers {
		if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, "topicfeed/") ||
			!strings.HasSuffix(ua, " (+https://github.com/topicfeed/topicfeed)") {
			t.Errorf("request %d: User-Agent %q", i, ua)
		}
		if ae := h.Get("Accept-Encoding"); ae != "gzip" {
			t.Errorf("request %d: Accept-Encoding %q, want gzip", i, ae)
		}
		if a := h.Get("Accept"); !strings.HasPrefix(a, "application/rss+xml, application/atom+xml") {
			t.Errorf("request %d: Accept %q does not prefer feeds", i, a)
		}
	}
	if h := headers[0]; h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
		t.Errorf("first request sent validators: %v", h)
	}
	if h := headers[1]; h.Get("If-None-Match") != etag || h.Get("If-Modified-Since") != lastMod {
		t.Errorf("second request: If-None-Match %q, If-Modified-Since %q", h.Get("If-None-Match"), h.Get("If-Modified-Since"))
	}
}

func TestFetchUserAgentOption(t *testing.T) {
	srv, log := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, testFeed) })
	c := newTestClient(Options{UserAgent: "custom/1.0"})
	if _, err := c.Fetch(t.Context(), Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if _, h := log.snapshot(); h[0].Get("User-Agent") != "custom/1.0" {
		t.Errorf("User-Agent %q", h[0].Get("User-Agent"))
	}
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetchGzip(t *testing.T) {
	body := gzipped(t, []byte(testFeed))
	srv, log := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			fmt.Fprint(w, "client did not ask for gzip")
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(body)
	})
	res, err := newTestClient(Options{}).Fetch(t.Context(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Body) != testFeed {
		t.Errorf("Body = %q, want the decoded feed", res.Body)
	}
	if paths, _ := log.snapshot(); len(paths) != 1 {
		t.Errorf("server saw %d requests, want 1", len(paths))
	}
}

func TestFetchGzipBomb(t *testing.T) {
	bomb := gzipped(t, make([]byte, 8<<20)) // 8 MiB of zeros in about 8 KB
	if len(bomb) > 64<<10 {
		t.Fatalf("bomb is %d bytes compressed", len(bomb))
	}
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	e := fetchErr(t, newTestClient(Options{MaxBody: 1 << 20}), srv.URL+"/bomb")
	if want := "GET " + srv.URL + "/bomb: body exceeds refresh.max_body (1 MiB)"; e.Kind != KindPermanent || e.Error() != want {
		t.Errorf("error %q kind %v, want %q, permanent", e, e.Kind, want)
	}
}

func TestFetchBodyCap(t *testing.T) {
	const limit = 1000
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := limit
		if r.URL.Path == "/over" {
			n++
		}
		w.Write(bytes.Repeat([]byte("x"), n))
	})
	c := newTestClient(Options{MaxBody: limit})
	res, err := c.Fetch(t.Context(), Request{URL: srv.URL + "/exact"})
	if err != nil || len(res.Body) != limit {
		t.Fatalf("body of exactly the cap: %v, %d bytes", err, len(res.Body))
	}
	e := fetchErr(t, c, srv.URL+"/over")
	if want := "GET " + srv.URL + "/over: body exceeds refresh.max_body (1000 bytes)"; e.Kind != KindPermanent || e.Error() != want {
		t.Errorf("error %q kind %v, want %q, permanent", e, e.Kind, want)
	}
}

// TestFetchEndlessBody: a server streaming without end (no Content-Length)
// is cut off at the cap, and the connection is dropped rather than drained.
func TestFetchEndlessBody(t *testing.T) {
	const serverLimit = 64 << 20
	written := make(chan int64, 1)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("<item>endless</item>\n"), 3000)
		var n int64
		defer func() { written <- n }()
		for n < serverLimit && r.Context().Err() == nil {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				return
			}
		}
	})
	e := fetchErr(t, newTestClient(Options{MaxBody: 1 << 20}), srv.URL+"/endless")
	if !strings.HasSuffix(e.Error(), "body exceeds refresh.max_body (1 MiB)") || e.Kind != KindPermanent {
		t.Errorf("error %q kind %v", e, e.Kind)
	}
	n := <-written
	t.Logf("server wrote %d bytes before the client hung up", n)
	if n >= serverLimit {
		t.Errorf("server wrote all %d bytes: the client kept reading past the cap", n)
	}
}

func redirectServer(t *testing.T, hops map[string]int) (*httptest.Server, *requestLog) {
	// hops maps a path to the status redirecting it to the next path in order
	// a → b → c → d → e → f → feed.
	order := []string{"/a", "/b", "/c", "/d", "/e", "/f", "/feed"}
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		for i, p := range order[:len(order)-1] {
			if code, ok := hops[p]; ok && r.URL.Path == p {
				http.Redirect(w, r, order[i+1], code)
				return
			}
		}
		if r.URL.Path == "/feed" {
			fmt.Fprint(w, testFeed)
			return
		}
		http.NotFound(w, r)
	})
}

func TestFetchRedirects(t *testing.T) {
	const p, m, f, s, tmp = http.StatusPermanentRedirect, http.StatusMovedPermanently, http.StatusFound,
		http.StatusSeeOther, http.StatusTemporaryRedirect
	tests := []struct {
		name      string
		start     string
		hops      map[string]int
		permanent bool
	}{
		{"301 then 308", "/e", map[string]int{"/e": m, "/f": p}, true},
		{"single 301", "/f", map[string]int{"/f": m}, true},
		{"302", "/f", map[string]int{"/f": f}, false},
		{"301 then 302", "/e", map[string]int{"/e": m, "/f": f}, false},
		{"307 then 301", "/e", map[string]int{"/e": tmp, "/f": m}, false},
		{"303", "/f", map[string]int{"/f": s}, false},
		{"five 301s", "/b", map[string]int{"/b": m, "/c": m, "/d": m, "/e": m, "/f": m}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, log := redirectServer(t, tt.hops)
			res, err := newTestClient(Options{}).Fetch(t.Context(), Request{URL: srv.URL + tt.start, ETag: `"x"`})
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.permanent {
				want = srv.URL + "/feed"
			}
			if res.URL != srv.URL+"/feed" || res.PermanentURL != want || string(res.Body) != testFeed {
				t.Errorf("URL %q PermanentURL %q, want %q and %q", res.URL, res.PermanentURL, srv.URL+"/feed", want)
			}
			paths, headers := log.snapshot()
			if len(paths) != len(tt.hops)+1 {
				t.Errorf("server saw %v, want %d requests", paths, len(tt.hops)+1)
			}
			for i, h := range headers {
				if h.Get("If-None-Match") != `"x"` || !strings.HasPrefix(h.Get("User-Agent"), "topicfeed/") {
					t.Errorf("hop %d (%s) lost its headers: %v", i, paths[i], h)
				}
			}
		})
	}
}

func TestFetchTooManyRedirects(t *testing.T) {
	t.Run("six hops", func(t *testing.T) {
		m := http.StatusMovedPermanently
		srv, log := redirectServer(t, map[string]int{"/a": m, "/b": m, "/c": m, "/d": m, "/e": m, "/f": m})
		e := fetchErr(t, newTestClient(Options{}), srv.URL+"/a")
		if want := "GET " + srv.URL + "/a: stopped after 5 redirects"; e.Error() != want || e.Kind != KindPermanent {
			t.Errorf("error %q kind %v, want %q, permanent", e, e.Kind, want)
		}
		if paths, _ := log.snapshot(); len(paths) != 6 {
			t.Errorf("server saw %v, want 6 requests", paths)
		}
	})
	t.Run("loop", func(t *testing.T) {
		srv, log := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, map[string]string{"/x": "/y", "/y": "/x"}[r.URL.Path], http.StatusFound)
		})
		e := fetchErr(t, newTestClient(Options{}), srv.URL+"/x")
		if !strings.HasSuffix(e.Error(), ": stopped after 5 redirects") || e.Kind != KindPermanent {
			t.Errorf("error %q kind %v", e, e.Kind)
		}
		if paths, _ := log.snapshot(); len(paths) != 6 {
			t.Errorf("server saw %v, want 6 requests", paths)
		}
	})
}

func TestFetchStatusKinds(t *testing.T) {
	tests := []struct {
		status int
		kind   Kind
		text   string
	}{
		{http.StatusGone, KindGone, "410 Gone"},
		{http.StatusNotFound, KindPermanent, "404 Not Found"},
		{http.StatusForbidden, KindPermanent, "403 Forbidden"},
		{http.StatusUnauthorized, KindPermanent, "401 Unauthorized"},
		{http.StatusRequestTimeout, KindTransient, "408 Request Timeout"},
		{http.StatusInternalServerError, KindTransient, "500 Internal Server Error"},
		{http.StatusBadGateway, KindTransient, "502 Bad Gateway"},
		{http.StatusServiceUnavailable, KindTransient, "503 Service Unavailable"}, // no Retry-After
		{http.StatusTooManyRequests, KindRateLimited, "429 Too Many Requests"},    // no Retry-After
		{599, KindTransient, "599"},
		{http.StatusMultipleChoices, KindPermanent, "300 Multiple Choices: redirect without Location"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) })
			e := fetchErr(t, newTestClient(Options{}), srv.URL+"/feed")
			if want := "GET " + srv.URL + "/feed: " + tt.text; e.Error() != want {
				t.Errorf("Error() = %q, want %q", e, want)
			}
			if e.Kind != tt.kind || e.Status != tt.status || e.RetryAfter != 0 {
				t.Errorf("Kind %v Status %d RetryAfter %v, want %v %d 0", e.Kind, e.Status, e.RetryAfter, tt.kind, tt.status)
			}
			if !IsKind(fmt.Errorf("source x: %w", e), tt.kind) {
				t.Errorf("IsKind through a wrap failed")
			}
		})
	}
}

func TestFetchRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	date := now.Add(90 * time.Second).Format(http.TimeFormat)
	tests := []struct {
		status     int
		retryAfter string
		want       time.Duration
	}{
		{http.StatusTooManyRequests, "120", 120 * time.Second},
		{http.StatusTooManyRequests, date, 90 * time.Second},
		{http.StatusServiceUnavailable, "120", 120 * time.Second},
		{http.StatusServiceUnavailable, date, 90 * time.Second},
		{http.StatusServiceUnavailable, now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{http.StatusTooManyRequests, "soon", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.retryAfter), func(t *testing.T) {
			srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tt.retryAfter)
				w.WriteHeader(tt.status)
			})
			c := newTestClient(Options{})
			c.now = func() time.Time { return now }
			e := fetchErr(t, c, srv.URL)
			if e.Kind != KindRateLimited || e.RetryAfter != tt.want || e.Status != tt.status {
				t.Errorf("Kind %v RetryAfter %v Status %d, want rate limited, %v, %d", e.Kind, e.RetryAfter, e.Status, tt.want, tt.status)
			}
		})
	}
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	if e, want := fetchErr(t, newTestClient(Options{}), srv.URL+"/f"), "GET "+srv.URL+"/f: 429 Too Many Requests (retry after 2m0s)"; e.Error() != want {
		t.Errorf("Error() = %q, want %q", e, want)
	}
}

func TestFetchTimeout(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall-body" {
			w.Write([]byte("<rss>"))
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done() // never answer (or never finish); ends when the client gives up
	})
	c := newTestClient(Options{Timeout: 200 * time.Millisecond})
	for _, path := range []string{"/silent", "/stall-body"} {
		e := fetchErr(t, c, srv.URL+path)
		if want := "GET " + srv.URL + path + ": timed out after 200ms"; e.Error() != want {
			t.Errorf("Error() = %q, want %q", e, want)
		}
		if e.Kind != KindTransient || !errors.Is(e, context.DeadlineExceeded) {
			t.Errorf("%s: kind %v, Is(DeadlineExceeded) %v", path, e.Kind, errors.Is(e, context.DeadlineExceeded))
		}
	}
}

func TestFetchCallerCancels(t *testing.T) {
	arrived := make(chan struct{})
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-arrived; cancel() }()
	_, err := newTestClient(Options{}).Fetch(ctx, Request{URL: srv.URL})
	if !errors.Is(err, context.Canceled) || !IsKind(err, KindTransient) {
		t.Errorf("error %v, want a transient error wrapping context.Canceled", err)
	}
}

func TestFetchConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/feed"
	srv.Close()
	e := fetchErr(t, newTestClient(Options{}), url)
	if e.Kind != KindTransient || !strings.HasPrefix(e.Error(), "GET "+url+": ") || strings.Contains(e.Error(), `Get "`) {
		t.Errorf("error %q kind %v, want transient naming the URL once", e, e.Kind)
	}
}

func TestFetchBadURL(t *testing.T) {
	c := newTestClient(Options{})
	for _, u := range []string{"ftp://example.com/feed", "::nope", "file:///etc/passwd", "http:///feed", "https:feed"} {
		if e := fetchErr(t, c, u); e.Kind != KindPermanent || !strings.HasPrefix(e.Error(), "GET "+u+": ") {
			t.Errorf("%s: error %q kind %v", u, e, e.Kind)
		}
	}
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	if e := fetchErr(t, c, srv.URL); e.Kind != KindPermanent || !strings.Contains(e.Error(), `bad redirect to "file:///etc/passwd"`) {
		t.Errorf("redirect to file: error %q kind %v", e, e.Kind)
	}
	withPassword := strings.Replace(srv.URL, "http://", "http://reader:s3cret@", 1)
	if e := fetchErr(t, c, withPassword); strings.Contains(e.Error(), "s3cret") {
		t.Errorf("error shows the password: %q", e)
	}
}

// TestFetchPerHostLimit holds every request in the handler until all ten
// fetches are accounted for, PerHost of them in the server and the rest
// waiting for a slot, so the count is exact without sleeping. Two clients
// sharing Hosts (trusted and untrusted sources on one site) share the limit.
func TestFetchPerHostLimit(t *testing.T) {
	t.Run("one client", func(t *testing.T) { testPerHostLimit(t, false) })
	t.Run("two clients sharing hosts", func(t *testing.T) { testPerHostLimit(t, true) })
}

func testPerHostLimit(t *testing.T, shared bool) {
	const perHost, n = 2, 10
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	arrived, gate := make(chan struct{}, n), make(chan struct{})
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		maxInFlight = max(maxInFlight, inFlight)
		mu.Unlock()
		arrived <- struct{}{}
		select {
		case <-gate:
		case <-r.Context().Done():
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
		fmt.Fprint(w, testFeed)
	})
	clients := []*Client{newTestClient(Options{PerHost: perHost})}
	if shared {
		hosts := NewHosts(perHost)
		clients = []*Client{newTestClient(Options{PerHost: perHost, Hosts: hosts}), newTestClient(Options{PerHost: perHost, Hosts: hosts})}
	}
	waiting := make(chan struct{}, n)
	for _, c := range clients {
		c.onWait = func() { waiting <- struct{}{} }
	}

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		c := clients[i%len(clients)]
		wg.Go(func() {
			_, err := c.Fetch(t.Context(), Request{URL: srv.URL + "/feed"})
			errs <- err
		})
	}
	for arrivals, waits := 0, 0; arrivals < perHost || waits < n-perHost; {
		select {
		case <-arrived:
			if arrivals++; arrivals > perHost {
				close(gate)
				t.Fatalf("%d requests reached the server at once, want at most %d", arrivals, perHost)
			}
		case <-waiting:
			waits++
		}
	}
	mu.Lock()
	now := inFlight
	mu.Unlock()
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if now != perHost || maxInFlight != perHost {
		t.Errorf("in flight %d with %d queued, max %d; want %d", now, n-perHost, maxInFlight, perHost)
	}
}

func TestHTTPErrorKinds(t *testing.T) {
	// Error() itself is asserted against real servers in the tests above.
	for k, want := range map[Kind]string{KindTransient: "transient", KindRateLimited: "rate limited",
		KindGone: "gone", KindPermanent: "permanent", 0: "Kind(0)"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), k, want)
		}
	}
	if IsKind(errors.New("plain"), KindTransient) || IsKind(nil, KindPermanent) {
		t.Error("IsKind true for a non-*Error")
	}
	for n, want := range map[int64]string{10 << 20: "10 MiB", 1536: "1536 bytes", 2048: "2 KiB", 5: "5 bytes"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func benchServer(b *testing.B, body []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"bench"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"bench"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		if r.URL.Path == "/length" {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchFeed() []byte {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>`)
	for i := 0; buf.Len() < 100<<10-200; i++ {
		fmt.Fprintf(&buf, "<item><title>Item %d</title><link>https://example.com/%d</link><description>Some text for item %d.</description></item>\n", i, i, i)
	}
	buf.WriteString("</channel></rss>")
	return buf.Bytes()
}

// BenchmarkFetch fetches a 100 KB feed from a loopback server, sent chunked
// and with a Content-Length.
func BenchmarkFetch(b *testing.B) {
	body := benchFeed()
	srv := benchServer(b, body)
	for _, path := range []string{"/chunked", "/length"} {
		b.Run(path[1:], func(b *testing.B) {
			c := newTestClient(Options{})
			n := 0
			for b.Loop() {
				res, err := c.Fetch(b.Context(), Request{URL: srv.URL + path})
				if err != nil || len(res.Body) != len(body) {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "fetches/s")
			b.ReportMetric(float64(n*len(body))/b.Elapsed().Seconds(), "bytes/s")
		})
	}
}

// BenchmarkFetchNotModified is the steady state: a conditional GET answered 304.
func BenchmarkFetchNotModified(b *testing.B) {
	srv := benchServer(b, benchFeed())
	c := newTestClient(Options{})
	n := 0
	for b.Loop() {
		res, err := c.Fetch(b.Context(), Request{URL: srv.URL, ETag: `"bench"`})
		if err != nil || !res.NotModified {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "fetches/s")
}

func TestBackoff(t *testing.T) {
	const base, ceiling = time.Second, time.Hour
	seq := func(seed uint64) []time.Duration {
		rnd := rand.New(rand.NewPCG(seed, 1))
		var out []time.Duration
		for f := range 20 {
			out = append(out, Backoff(f+1, base, ceiling, rnd))
		}
		return out
	}
	if a, b := seq(7), seq(7); !slices.Equal(a, b) {
		t.Errorf("same seed, different delays:\n%v\n%v", a, b)
	}
	if a, b := seq(7), seq(8); slices.Equal(a, b) {
		t.Errorf("different seeds, same delays: %v", a)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	window := base // base doubled per failure, capped: never shrinks
	for f := 1; f <= 100; f, window = f+1, min(2*window, ceiling) {
		for range 50 {
			if d := Backoff(f, base, ceiling, rnd); d < window/2 || d > window {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", f, d, window/2, window)
			}
		}
	}
	if d := Backoff(1, base, ceiling, rnd); d < base/2 || d > base {
		t.Errorf("first failure waits %v, want about %v", d, base)
	}
	for _, f := range []int{64, 1000, math.MaxInt} {
		if d := Backoff(f, base, ceiling, nil); d < ceiling/2 || d > ceiling {
			t.Errorf("Backoff(%d) = %v, want capped at %v", f, d, ceiling)
		}
	}
	if d := Backoff(0, base, ceiling, rnd); d != 0 {
		t.Errorf("Backoff(0) = %v, want 0", d)
	}
	if d := Backoff(3, time.Minute, time.Second, rnd); d < time.Second/2 || d > time.Second {
		t.Errorf("base above ceiling: %v, want within the ceiling", d)
	}
}

func TestBackoffParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour, true},
		{now.Add(time.Hour).Format(time.RFC850), time.Hour, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"99999999999", maxRetryAfter, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		if got, ok := parseRetryAfter(tt.in, now); got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
