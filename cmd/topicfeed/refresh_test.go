package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/topicfeed/topicfeed/store"
)

// feedServer serves /NAME as a feed of items NAME-0..NAME-(n-1) with an
// ETag, answering 304 to it; /broken answers 500 and /junk is not a feed.
// It counts every request by path and whether it was conditional.
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	hits        map[string]int
	conditional map[string]int
	total       int

	// gate, when set, holds every answer until gateAt requests have come.
	gate   chan struct{}
	gateAt int
}

func newFeedServer(t *testing.T, items int) *feedServer {
	t.Helper()
	f := &feedServer{hits: map[string]int{}, conditional: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		f.mu.Lock()
		f.hits[name]++
		if r.Header.Get("If-None-Match") != "" {
			f.conditional[name]++
		}
		f.total++
		gate := f.gate
		if gate != nil && f.total == f.gateAt {
			close(gate)
		}
		f.mu.Unlock()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		switch name {
		case "broken":
			w.WriteHeader(http.StatusInternalServerError)
			return
		case "junk":
			fmt.Fprint(w, "this is not a feed at all")
			return
		}
		etag := `"` + name + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>`+name+`</title>`)
		for i := range items {
			fmt.Fprintf(w, `<item><guid>%[1]s-%[2]d</guid><title>%[1]s harbour story %[2]d</title>`+
				`<description>%[3]s</description></item>`, name, i, storyText(name, i))
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feedServer) count(name string) (hits, conditional int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[name], f.conditional[name]
}

// storyText is distinct per story so dedup keeps every item apart.
func storyText(name string, i int) string {
	var b strings.Builder
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", name, i)
	x := h.Sum64()
	for range 40 {
		x = x*6364136223846793005 + 1442695040888963407
		fmt.Fprintf(&b, "w%x ", x>>50)
	}
	return b.String()
}

func sourcesYAML(base string, names ...string) string {
	var b strings.Builder
	b.WriteString("sources:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - name: %s\n    url: %s/%s\n", n, base, n)
	}
	return b.String()
}

func TestRefreshCommand(t *testing.T) {
	srv := newFeedServer(t, 3)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, sourcesYAML(srv.URL, "alpha", "beta"))

	code, out, errs := run(t, "", "refresh", "-config", cfg)
	if code != exitOK || !strings.Contains(out, "2 sources refreshed (0 not modified, 0 failed): 6 new") {
		t.Fatalf("first refresh: %d %q %q", code, out, errs)
	}
	code, out, _ = run(t, "", "refresh", "-config", cfg)
	if hits, _ := srv.count("alpha"); code != exitOK || !strings.Contains(out, "0 sources refreshed") || hits != 1 {
		t.Errorf("refresh with nothing due: %d %q, alpha asked %d times; want nothing fetched", code, out, hits)
	}
	code, out, _ = run(t, "", "refresh", "-force", "-config", cfg)
	if hits, cond := srv.count("alpha"); code != exitOK || !strings.Contains(out, "(2 not modified") || hits != 2 || cond != 1 {
		t.Errorf("refresh -force: %d %q, alpha asked %d times (%d conditional); want a conditional 304", code, out, hits, cond)
	}
	code, out, _ = run(t, "", "refresh", "-source", "beta", "-config", cfg)
	if a, _ := srv.count("alpha"); code != exitOK || !strings.Contains(out, "1 sources refreshed") || a != 2 {
		t.Errorf("refresh -source beta: %d %q, alpha asked %d times; want beta only", code, out, a)
	}
	if b, _ := srv.count("beta"); b != 3 {
		t.Errorf("beta asked %d times, want 3", b)
	}
	code, _, errs = run(t, "", "refresh", "-source", "gamma", "-config", cfg)
	if code != exitBadConfig || !strings.Contains(errs, `unknown source "gamma"`) {
		t.Errorf("unknown -source: %d %q, want 2 naming it", code, errs)
	}
}

func TestRefreshCommandFailures(t *testing.T) {
	srv := newFeedServer(t, 2)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, sourcesYAML(srv.URL, "alpha", "broken", "junk", "beta"))
	code, out, errs := run(t, "", "refresh", "-config", cfg)
	if code != exitFailed {
		t.Errorf("refresh with two bad sources: status %d, want 1", code)
	}
	if !strings.Contains(out, "4 sources refreshed (0 not modified, 2 failed): 4 new") {
		t.Errorf("stdout %q, want the good sources stored", out)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 2 {
		t.Fatalf("stderr has %d lines, want one per failed source:\n%s", len(lines), errs)
	}
	want := []string{
		"source broken: GET " + srv.URL + "/broken: 500 Internal Server Error",
		"source junk: " + srv.URL + "/junk: not a feed",
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("stderr line %d = %q, want it to start %q", i+1, lines[i], w)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("sources:\n  - name: x\n    url: ftp://nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "", "refresh", "-config", bad); code != exitBadConfig || !strings.Contains(errs, "source x") {
		t.Errorf("bad config: %d %q, want 2 naming the problem", code, errs)
	}
}

// TestRefreshWhileServing runs two refresh passes at once on one database,
// as a cron refresh beside the daemon does: each waits for the other's
// writes instead of failing with "database is locked", and no item is
// stored twice. With the binary built, one of the two is another process.
func TestRefreshWhileServing(t *testing.T) {
	const sources, items = 24, 20
	srv := newFeedServer(t, items)
	// Each pass has at most per_host (2) requests open to the server, so
	// holding answers until the 3rd request makes the two passes overlap.
	srv.gate, srv.gateAt = make(chan struct{}), 3
	dir := t.TempDir()
	var names []string
	for i := range sources {
		names = append(names, fmt.Sprintf("s%02d", i))
	}
	cfg := writeConfig(t, dir, sourcesYAML(srv.URL, names...))
	// The daemon has created the database before cron first runs.
	if code, _, errs := run(t, "", "sources", "-config", cfg); code != exitOK {
		t.Fatalf("create database: %s", errs)
	}
	second := func() (int, string) { c, _, e := run(t, "", "refresh", "-force", "-config", cfg); return c, e }
	if !testing.Short() {
		bin := buildBinary(t)
		second = func() (int, string) {
			cmd := exec.Command(bin, "refresh", "-force", "-config", cfg)
			out, err := cmd.CombinedOutput()
			if err != nil {
				return cmd.ProcessState.ExitCode(), string(out)
			}
			return 0, string(out)
		}
	}
	var wg sync.WaitGroup
	codes, errs := make([]int, 2), make([]string, 2)
	wg.Go(func() { codes[0], _, errs[0] = run(t, "", "refresh", "-force", "-config", cfg) })
	wg.Go(func() { codes[1], errs[1] = second() })
	wg.Wait()
	for i := range codes {
		if codes[i] != exitOK || strings.Contains(errs[i], "locked") || strings.Contains(errs[i], "busy") {
			t.Errorf("refresh %d: status %d, stderr %q", i+1, codes[i], errs[i])
		}
	}
	db, err := store.Open(t.Context(), filepath.Join(dir, "tf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.CountItems(context.Background()); err != nil || n != sources*items {
		t.Errorf("%d items stored (%v), want %d: none lost, none twice", n, err, sources*items)
	}
	srcs, _ := db.Sources(t.Context())
	for _, s := range srcs {
		if s.Items != items || s.Error != "" {
			t.Errorf("source %s: %d items, error %q; want %d and none", s.Name, s.Items, s.Error, items)
		}
		if hits, _ := srv.count(s.Name); hits != 2 {
			t.Errorf("source %s asked %d times, want once by each pass", s.Name, hits)
		}
	}
}

// buildBinary builds the topicfeed binary for tests that need a second
// process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "topicfeed")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
