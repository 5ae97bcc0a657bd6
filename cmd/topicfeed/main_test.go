package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

// run calls Main as the binary would and returns status, stdout, stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const article = `Home | News | Contact

Harbour Terminal Approved After Three Years

March 2, 2026

The harbour authority approved a second container terminal on Monday after three years of hearings.

Read More: Ferry Timetable Changes This Spring

The terminal will double capacity and add four deep-water berths.

Leave a comment
`

func writeConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	cfg := filepath.Join(dir, "topicfeed.yaml")
	body := "database: tf.db\nlisten: 127.0.0.1:0\nbase_url: http://feeds.example.org\ntopics:\n" +
		"  - name: harbour\n    title: Harbour news\n    match: harbour OR port\n" + extra
	if !strings.Contains(extra, "retention:") {
		// The fixtures are dated; the default 180 days would expire them
		// as the calendar moves on.
		body += "retention: {max_age: 36500d}\n"
	}
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestIngestAndRender(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	in := filepath.Join(dir, "in")
	os.MkdirAll(filepath.Join(in, "sub"), 0o755)
	os.WriteFile(filepath.Join(in, "sub", "terminal.txt"), []byte(article), 0o644)
	os.WriteFile(filepath.Join(in, "empty.txt"), nil, 0o644)
	os.WriteFile(filepath.Join(in, "broken.xml"), []byte("<?xml version='1.0'?><rss><channel><item><title>x</chan"), 0o644)

	code, out, errs := run(t, "", "ingest", "-config", cfg, in)
	if code != exitFailed {
		t.Errorf("ingest with two bad files: status %d, want 1", code)
	}
	if !strings.Contains(out, "1 new") {
		t.Errorf("stdout = %q, want the good file stored", out)
	}
	for _, bad := range []string{"empty.txt", "broken.xml"} {
		if n := strings.Count(errs, bad); n != 1 {
			t.Errorf("stderr names %s %d times, want once:\n%s", bad, n, errs)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(errs), "\n") {
		if strings.Contains(line, "goroutine") || strings.Contains(line, "panic") {
			t.Errorf("stack trace in stderr: %s", line)
		}
	}
	code, out, _ = run(t, "", "ingest", "-config", cfg, filepath.Join(in, "sub"))
	if code != 0 || !strings.Contains(out, "0 new") || !strings.Contains(out, "1 unchanged") {
		t.Errorf("re-ingest: %d %q, want nothing changed", code, out)
	}
	code, out, _ = run(t, "From stdin: a harbour pilot boat was launched on Friday. It is the third this year.\n",
		"ingest", "-config", cfg, "-")
	if code != 0 || !strings.Contains(out, "1 new") {
		t.Errorf("stdin ingest: %d %q", code, out)
	}

	for _, f := range []string{"rss", "atom", "json"} {
		code, out, errs = run(t, "", "render", "harbour", "-format", f, "-config", cfg)
		if code != 0 {
			t.Fatalf("render %s: %d %s", f, code, errs)
		}
		pf, err := gofeed.NewParser().ParseString(out)
		if err != nil {
			t.Fatalf("render %s: gofeed: %v", f, err)
		}
		if len(pf.Items) != 2 {
			t.Fatalf("render %s: %d items, want 2", f, len(pf.Items))
		}
		// Newest first: the stdin item has today's date, the file March 2026.
		if got := pf.Items[1].Title; got != "Harbour Terminal Approved After Three Years" {
			t.Errorf("render %s: second title %q", f, got)
		}
		if strings.Contains(out, "Read More") || strings.Contains(out, "Leave a comment") {
			t.Errorf("render %s: chrome published", f)
		}
		if !strings.HasPrefix(pf.Items[1].Link, "http://feeds.example.org/items/") {
			t.Errorf("render %s: link %q is not absolute on base_url", f, pf.Items[1].Link)
		}
	}
	if code, _, errs = run(t, "", "render", "nope", "-config", cfg); code != exitFailed || !strings.Contains(errs, `unknown topic "nope"`) {
		t.Errorf("unknown topic: %d %q", code, errs)
	}
	out1 := filepath.Join(dir, "a.xml")
	run(t, "", "render", "harbour", "-o", out1, "-config", cfg)
	first, _ := os.ReadFile(out1)
	run(t, "", "render", "harbour", "-o", out1, "-config", cfg)
	second, _ := os.ReadFile(out1)
	if len(first) == 0 || !bytes.Equal(first, second) {
		t.Error("rendering twice gave different bytes: ids or dates are not stable")
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, "")
	if code, out, _ := run(t, "", "check", "-config", good); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("check good: %d %q", code, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("topics:\n  - name: x\n    match: 'a AND (b'\n  - name: y\n    mach: z\n"), 0o644)
	code, _, errs := run(t, "", "check", "-config", bad)
	if code != exitBadConfig {
		t.Errorf("check bad: status %d, want 2", code)
	}
	for _, want := range []string{bad + ":3: topic x: match:", bad + `:5: unknown key "mach" in topic`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if code, _, _ := run(t, "", "check", "-config", filepath.Join(dir, "missing.yaml")); code != exitBadConfig {
		t.Errorf("missing named config: status %d, want 2", code)
	}
	if code, _, _ := run(t, "", "frobnicate"); code != exitBadConfig {
		t.Errorf("unknown command: status %d, want 2", code)
	}
}

// syncBuffer is a bytes.Buffer safe to read while the daemon writes logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var addrRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// waitAddr reads the daemon's listen address from its log.
func waitAddr(t *testing.T, logs interface{ String() string }) string {
	t.Helper()
	for range 200 {
		if a := addrRe.FindString(logs.String()); a != "" {
			return a
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("daemon did not start:\n%s", logs.String())
	return ""
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestServeBinary runs the real binary: it serves the folder source's
// items, picks up a new file while running, and stops cleanly on SIGTERM.
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "topicfeed")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	os.Mkdir(filepath.Join(dir, "desk"), 0o755)
	os.WriteFile(filepath.Join(dir, "desk", "terminal.txt"), []byte(article), 0o644)
	cfg := writeConfig(t, dir, "sources:\n  - name: desk\n    path: ./desk\n")
	var logs syncBuffer
	cmd := exec.Command(bin, "serve", "-config", cfg, "-log-format", "text")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := waitAddr(t, &logs)

	feedHas := func(title string) bool {
		_, body := get(t, base+"/topics/harbour.rss")
		return strings.Contains(body, title)
	}
	waitFor(t, "initial folder ingest", func() bool { return feedHas("Harbour Terminal Approved") })
	resp, body := get(t, base+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, "/topics/harbour.atom") {
		t.Errorf("index: %d, subscribe links missing", resp.StatusCode)
	}
	os.WriteFile(filepath.Join(dir, "desk", "pilot.txt"),
		[]byte("Port Pilot Boat Launched\n\nJune 1, 2026\n\nA new pilot boat joined the port fleet on Monday.\n"), 0o644)
	waitFor(t, "new file picked up", func() bool { return feedHas("Port Pilot Boat Launched") })

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, logs.String())
		}
		if !strings.Contains(logs.String(), "msg=stopped") {
			t.Errorf("no 'stopped' line after SIGTERM:\n%s", logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// waitFor polls a condition the daemon reaches asynchronously; bounded.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for range 150 {
		if ok() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestExplainTopic: explain says why each concerned item is in or out,
// including items the exclude rule or a curator dropped.
func TestExplainTopic(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "    exclude: ferry\n")
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	os.WriteFile(filepath.Join(in, "terminal.txt"), []byte(article), 0o644)
	os.WriteFile(filepath.Join(in, "ferry.txt"), []byte("Ferry Strike Closes Port\n\nApril 3, 2026\n\nThe port was closed when ferry crews walked out over pay.\n"), 0o644)
	os.WriteFile(filepath.Join(in, "other.txt"), []byte("Orchard Bloom Early\n\nApril 4, 2026\n\nApple trees flowered three weeks early this year.\n"), 0o644)
	if code, _, errs := run(t, "", "ingest", "-config", cfg, in); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := run(t, "", "explain", "harbour", "-config", cfg)
	if code != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{"Harbour Terminal Approved After Three Years\n        IN: matched harbour",
		"Ferry Strike Closes Port\n        OUT: matched port; excluded by ferry"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Orchard") {
		t.Errorf("explain lists an item the rule does not concern:\n%s", out)
	}

	// A rule saved from the console is the one in force: explain judges
	// by it and says so.
	db, err := store.Open(context.Background(), filepath.Join(dir, "tf.db"))
	if err != nil {
		t.Fatal(err)
	}
	rule, err := feed.ParseRule("orchard")
	if err != nil {
		t.Fatal(err)
	}
	saved := &feed.Topic{Name: "harbour", Match: rule}
	if _, err := db.SaveRule(context.Background(), saved); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs = run(t, "", "explain", "harbour", "-config", cfg)
	if code != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{"rule saved from the console", "match:   orchard", "Orchard Bloom Early\n        IN: matched orchard"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain after a console save lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Ferry") {
		t.Errorf("explain still judges by the config file's rule:\n%s", out)
	}
}

// TestSourcesShowFolderScan: a folder source's row says when serve's
// watcher last scanned it and what it rejected, not "never fetched".
func TestSourcesShowFolderScan(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	cfg := writeConfig(t, dir, "sources:\n  - name: desk\n    path: in\n")
	if code, _, errs := run(t, "", "sources", "-config", cfg); code != 0 {
		t.Fatal(errs)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "tf.db"))
	if err != nil {
		t.Fatal(err)
	}
	scan := store.FolderScan{Source: "desk", Scanned: time.Now(), Files: 3, Changed: time.Now(), Ingested: 3,
		Added: 2, Rejected: []string{"in/empty.txt: no article text found"}}
	if err := db.RecordScan(context.Background(), scan, true); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs := run(t, "", "sources", "-config", cfg)
	if code != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{"scanned, 3 files", "desk: rejected in/empty.txt: no article text found"} {
		if !strings.Contains(out, want) {
			t.Errorf("sources lacks %q:\n%s", want, out)
		}
	}
}
