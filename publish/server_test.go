package publish_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
)

// The worst input each public endpoint can get, over a real server on
// 127.0.0.1 with serve's limits (publish.NewServer): a huge query, a huge
// header, a client that sends its request a byte at a time, and many
// connections at once. Behaviour only: statuses, and that answers come
// (within generous deadlines), never how fast.

// loopback serves h with publish.NewServer's limits, changed by adjust.
func loopback(t *testing.T, h http.Handler, adjust func(*http.Server)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := publish.NewServer(h)
	if adjust != nil {
		adjust(srv)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// fullPublisher is the publisher as serve wires it, with the search hook.
func fullPublisher(t *testing.T, s publish.Searcher, lim publish.SearchLimits) http.Handler {
	f := newFixture(t)
	pub := f.publisher(publish.Options{Sources: admin{f.db}, Metrics: publish.NewMetrics(prometheus.NewRegistry())})
	if s == nil {
		s = f.db
	}
	pub.Search = publish.NewSearchHandler(s, "http://x", pub.Generation, lim)
	return pub.Handler()
}

var client = &http.Client{Timeout: 30 * time.Second}

// publicPaths is one request to each public endpoint.
var publicPaths = []string{"/", "/topics/harbour", "/topics/harbour.rss", "/topics/harbour.atom", "/topics/harbour.json",
	"/topics.opml", "/sources", "/items/1", "/search.rss?q=harbour", "/search.atom?q=harbour", "/search.json?q=harbour",
	"/healthz", "/metrics"}

// TestHugeQueryEveryEndpoint: a 100 KB query string gets a short answer
// from every public endpoint: the search and a feed's limit refuse it
// (400), the others ignore what they do not read; none repeats it.
func TestHugeQueryEveryEndpoint(t *testing.T) {
	base := loopback(t, fullPublisher(t, nil, publish.SearchLimits{}), nil)
	junk := strings.Repeat("harbour ", 100<<10/8)
	tests := []struct {
		path string
		code int
	}{
		{"/search.rss?q=" + url.QueryEscape(junk), 400},
		{"/search.json?limit=5&q=" + url.QueryEscape(junk), 400},
		{"/topics/harbour.atom?limit=" + strings.Repeat("9", 100<<10), 400},
		{"/?x=" + url.QueryEscape(junk), 200},
		{"/topics/harbour?x=" + url.QueryEscape(junk), 200},
		{"/topics/harbour.rss?x=" + url.QueryEscape(junk), 200},
		{"/topics.opml?x=" + url.QueryEscape(junk), 200},
		{"/sources?x=" + url.QueryEscape(junk), 200},
		{"/items/1?x=" + url.QueryEscape(junk), 200},
		{"/healthz?x=" + url.QueryEscape(junk), 200},
		{"/metrics?x=" + url.QueryEscape(junk), 200},
		{"/topics/" + strings.Repeat("h", 100<<10) + ".rss", 404},
		{"/topics/harbour." + strings.Repeat("x", 100<<10), 404},
		{"/items/" + strings.Repeat("9", 100<<10), 404},
	}
	for _, tc := range tests {
		resp, err := client.Get(base + tc.path)
		if err != nil {
			t.Fatalf("%.40s…: %v", tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%.40s… (%d bytes): %d %.200s, want %d", tc.path, len(tc.path), resp.StatusCode, body, tc.code)
		}
		if strings.Contains(string(body), strings.Repeat("harbour ", 20)) || strings.Contains(string(body), strings.Repeat("h", 200)) ||
			strings.Contains(string(body), strings.Repeat("9", 200)) || strings.Contains(string(body), strings.Repeat("x", 200)) {
			t.Errorf("%.40s…: the answer (%d bytes) repeats the input", tc.path, len(body))
		}
	}
}

// TestHugeHeader: request headers past MaxHeaderBytes are refused with
// 431, and the server goes on answering.
func TestHugeHeader(t *testing.T) {
	base := loopback(t, fullPublisher(t, nil, publish.SearchLimits{}), nil)
	for _, path := range publicPaths {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("X-Junk", strings.Repeat("j", publish.MaxHeaderBytes+8<<10))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s with a %d-byte header: %d, want 431", path, publish.MaxHeaderBytes+8<<10, resp.StatusCode)
		}
	}
	resp, err := client.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after huge headers: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestSlowClientCutOff: a client sending its request line and headers a
// byte at a time is cut off at ReadHeaderTimeout (shortened here), long
// before it has sent them.
func TestSlowClientCutOff(t *testing.T) {
	const timeout = 300 * time.Millisecond
	base := loopback(t, fullPublisher(t, nil, publish.SearchLimits{}), func(s *http.Server) { s.ReadHeaderTimeout = timeout })
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	closed := make(chan error, 1)
	go func() { // the server's side: anything it says, then the close
		_, err := io.Copy(io.Discard, conn)
		closed <- err
	}()
	req := "GET /search.rss?q=harbour HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Slow: aaaaaaaa\r\n", 20) + "\r\n"
	for i := range len(req) { // ~20 s at 50 ms a byte, if never cut off
		select {
		case <-closed:
			if i == len(req)-1 {
				t.Fatal("the whole request was sent before the server closed")
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{req[i]}); err != nil {
			return // reset by the server: cut off
		}
	}
	t.Fatalf("a %d-byte request sent a byte every 50 ms was never cut off (ReadHeaderTimeout %v)", len(req), timeout)
}

// slowSearcher takes a while over each search, as a hard query on a big
// store does, and stops when the search's context ends.
type slowSearcher struct{ d time.Duration }

func (s slowSearcher) Search(ctx context.Context, _ *feed.Rule, _ int) ([]*feed.Item, error) {
	select {
	case <-time.After(s.d):
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestManyConnections: 200 clients, each on its own connection, search at
// once. The searches admitted (2 running, 8 waiting) finish; the rest are
// turned away at once with 503 and Retry-After instead of queueing; the
// server answers other requests throughout.
func TestManyConnections(t *testing.T) {
	const clients = 200
	lim := publish.SearchLimits{Running: 2, Waiting: 8, Rate: -1}
	base := loopback(t, fullPublisher(t, slowSearcher{100 * time.Millisecond}, lim), nil)
	tr := &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var mu sync.Mutex
	codes := map[int]int{}
	var errs []error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range clients {
		wg.Go(func() {
			<-start
			resp, err := c.Get(fmt.Sprintf("%s/search.rss?q=harbour%d", base, i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[resp.StatusCode]++
			if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
				errs = append(errs, fmt.Errorf("503 without Retry-After"))
			}
		})
	}
	close(start)
	// Meanwhile the rest of the site answers.
	for _, path := range []string{"/healthz", "/topics/harbour.rss", "/"} {
		resp, err := c.Get(base + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s during the searches: %v %v", path, resp, err)
			continue
		}
		resp.Body.Close()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if codes[200] < lim.Running || codes[503] == 0 || codes[200]+codes[503] != clients {
		t.Errorf("statuses %v; want %d answers, 200s for at least the %d running and 503s for the rest",
			codes, clients, lim.Running)
	}
}

// TestRateLimitOverLoopback: one address searching past its burst gets
// 429 with Retry-After; feeds and pages are not counted.
func TestRateLimitOverLoopback(t *testing.T) {
	base := loopback(t, fullPublisher(t, nil, publish.SearchLimits{Rate: 0.01, Burst: 5}), nil)
	var got []int
	for i := range 8 {
		resp, err := client.Get(fmt.Sprintf("%s/search.atom?q=harbour%d", base, i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if got[0] != 200 || got[len(got)-1] != 429 {
		t.Errorf("8 searches at once from one address, burst 5: %v; want 200s, then 429s", got)
	}
	resp, err := client.Get(base + "/topics/harbour.rss")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a feed after the searches: %v %v", resp, err)
	}
	resp.Body.Close()
}
