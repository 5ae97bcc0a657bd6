package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestServeUntilFinishesInFlight: when the stop signal arrives (SIGTERM
// cancels Main's context) a request already being served completes, and
// no new connection is accepted.
func TestServeUntilFinishesInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntil(ctx, srv, ln) }()

	type answer struct {
		body string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- answer{string(b), err}
	}()
	<-entered
	cancel()
	// The listener closes as shutdown starts; only then let the handler go.
	waitFor(t, "listener closed", func() bool {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	close(release)
	if a := <-got; a.err != nil || a.body != "finished" {
		t.Errorf("in-flight request: %q, %v; want it finished", a.body, a.err)
	}
	if err := <-done; err != nil {
		t.Errorf("serveUntil = %v, want nil after a clean shutdown", err)
	}
}

const upstreamRSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Up</title><link>http://up.example/</link>
<item><guid>crane-1</guid><title>Harbour Crane Delivered</title><link>http://up.example/crane</link>
<pubDate>Mon, 01 Jun 2026 10:00:00 GMT</pubDate><description>A new harbour crane arrived by barge.</description></item>
</channel></rss>`

// TestServeDaemon runs `topicfeed serve` through Main on 127.0.0.1:0 with
// a remote source, the admin API and metrics, then stops it.
func TestServeDaemon(t *testing.T) {
	var fetches atomic.Int64
	up := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, upstreamRSS)
	}))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte("  tok-123\n"), 0o600)
	cfg := writeConfig(t, dir, "admin_token_file: token\nsources:\n  - name: up\n    url: "+up+"/feed.xml\n")
	logs, stop := serveInProcess(t, cfg)
	base := waitAddr(t, logs)

	waitFor(t, "first fetch stored", func() bool {
		_, body := get(t, base+"/topics/harbour.rss")
		return strings.Contains(body, "Harbour Crane Delivered")
	})
	checks := []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"healthz", "GET", "/healthz", "", "", 200, "ok"},
		{"opml", "GET", "/topics.opml", "", "", 200, "http://feeds.example.org/topics/harbour.rss"},
		{"sources page", "GET", "/sources", "", "", 200, "HTTP 200"},
		{"search hook", "GET", "/search.atom?q=crane", "", "", 200, "Harbour Crane Delivered"},
		{"api without token", "GET", "/api/topics", "", "", 401, "bearer token"},
		{"api with token", "GET", "/api/sources", "tok-123", "", 200, `"name": "up"`},
		{"refresh unknown", "POST", "/api/refresh", "tok-123", `{"sources":["nope"]}`, 404, "nope"},
		{"refresh now", "POST", "/api/refresh", "tok-123", `{"sources":["up"]}`, 202, `"up"`},
	}
	for _, c := range checks {
		resp, body := request(t, c.method, base+c.path, c.token, c.body)
		if resp.StatusCode != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, resp.StatusCode, body, c.status, c.want)
		}
	}
	waitFor(t, "forced refresh", func() bool { return fetches.Load() >= 2 })
	waitFor(t, "metrics", func() bool {
		_, body := get(t, base+"/metrics")
		return strings.Contains(body, `topicfeed_fetches_total{status="200"} 2`) &&
			strings.Contains(body, `topicfeed_items_ingested_total{kind="new"} 1`) &&
			strings.Contains(body, `topicfeed_http_requests_total{code="401",route="GET /api/topics"} 1`) &&
			strings.Contains(body, "topicfeed_refresh_duration_seconds_count 2") &&
			strings.Contains(body, "go_goroutines")
	})
	stop()
	if !strings.Contains(logs.String(), `"msg":"http","method":"GET","path":"/healthz","status":200`) {
		t.Errorf("no access log line for /healthz:\n%s", logs.String())
	}
}

func TestServeBadToken(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "empty"), []byte("\n"), 0o600)
	for name, file := range map[string]string{"missing file": "nope", "empty file": "empty"} {
		t.Run(name, func(t *testing.T) {
			cfg := writeConfig(t, dir, "admin_token_file: "+file+"\n")
			code, _, errs := run(t, "", "serve", "-config", cfg)
			if code != exitBadConfig || !strings.Contains(errs, "admin_token_file") {
				t.Errorf("serve = %d %q, want 2 naming admin_token_file", code, errs)
			}
		})
	}
}

// serveInProcess runs `serve -config cfg`, logging JSON, in this process.
// stop ends it and fails the test unless it exits 0; the test's end
// stops it too.
func serveInProcess(t *testing.T, cfg string) (*syncBuffer, func()) {
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{"serve", "-config", cfg, "-log-format", "json"}, nil, io.Discard, logs)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if code := <-exit; code != 0 {
				t.Errorf("serve exit %d after stop, want 0\n%s", code, logs.String())
			}
		})
	}
	t.Cleanup(stop)
	return logs, stop
}

// newLoopbackServer serves h on 127.0.0.1 and returns its base URL.
func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func request(t *testing.T, method, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestServeRuleSaveKeepsWorkers: a rule saved through the API is in force
// for the next file the watcher ingests, without restarting the workers:
// a restart read every watched folder again (a second "folder ingest"
// that /sources showed as a change) and dropped forced refreshes.
func TestServeRuleSaveKeepsWorkers(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	os.WriteFile(filepath.Join(in, "terminal.txt"), []byte(article), 0o644)
	os.WriteFile(filepath.Join(dir, "token"), []byte("tok-123\n"), 0o600)
	cfg := writeConfig(t, dir, "admin_token_file: token\nsources:\n  - name: desk\n    path: in\n")
	logs, stop := serveInProcess(t, cfg)
	base := waitAddr(t, logs)
	waitFor(t, "the folder ingested", func() bool {
		_, body := get(t, base+"/topics/harbour.json")
		return strings.Contains(body, "Harbour Terminal Approved")
	})
	ingests := func() int { return strings.Count(logs.String(), `"msg":"folder ingest"`) }
	before := ingests()

	resp, body := request(t, "PUT", base+"/api/topics/harbour/rule", "tok-123", `{"match":"orchard"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("save rule: %d %s", resp.StatusCode, body)
	}
	if _, body := get(t, base+"/topics/harbour.json"); strings.Contains(body, "Harbour Terminal") {
		t.Errorf("the harbour feed still holds the terminal story after the save:\n%s", body)
	}
	// The watcher classifies a new file by the saved rule.
	os.WriteFile(filepath.Join(in, "orchard.txt"), []byte("Orchard Bloom Early\n\nApril 4, 2026\n\nApple trees in the valley orchard flowered three weeks early this year.\n"), 0o644)
	waitFor(t, "the new file in the harbour feed", func() bool {
		_, body := get(t, base+"/topics/harbour.json")
		return strings.Contains(body, "Orchard Bloom Early")
	})
	if got := ingests() - before; got != 1 {
		t.Errorf("%d folder ingests after the save, want 1 (the new file only):\n%s", got, logs.String())
	}
	stop()
}
