package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/store"
)

// TestServeWithCronRefresh runs the daemon and two cron `refresh -force`
// processes on one database at the same moment, all fetching the same
// sources: nobody fails with "database is locked", no item is stored
// twice, and the daemon keeps serving and stops cleanly afterwards.
func TestServeWithCronRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three processes; skipped in -short")
	}
	const sources, items = 16, 30
	srv := newFeedServer(t, items)
	// Hold every answer until requests from all three processes are in.
	srv.gate, srv.gateAt = make(chan struct{}), 5
	dir := t.TempDir()
	var names []string
	for i := range sources {
		names = append(names, fmt.Sprintf("c%02d", i))
	}
	cfg := writeConfig(t, dir, sourcesYAML(srv.URL, names...))
	bin := buildBinary(t)

	var logs syncBuffer
	serve := exec.Command(bin, "serve", "-config", cfg, "-log-format", "text")
	serve.Stderr = &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer serve.Process.Kill()
	base := waitAddr(t, &logs)

	type result struct {
		out string
		err error
	}
	done := make(chan result, 2)
	for range 2 {
		go func() {
			out, err := exec.Command(bin, "refresh", "-force", "-config", cfg).CombinedOutput()
			done <- result{string(out), err}
		}()
	}
	for range 2 {
		r := <-done
		if r.err != nil || strings.Contains(r.out, "locked") {
			t.Errorf("cron refresh: %v\n%s", r.err, r.out)
		}
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "tf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, "every item stored", func() bool {
		n, err := db.CountItems(context.Background())
		return err == nil && n == sources*items
	})
	resp, body := get(t, base+"/topics/harbour.json")
	if resp.StatusCode != 200 || !strings.Contains(body, "harbour story") {
		t.Errorf("daemon feed after the overlap: %d", resp.StatusCode)
	}
	serve.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if n, _ := db.CountItems(context.Background()); n != sources*items {
		t.Errorf("%d items, want %d: none lost, none twice", n, sources*items)
	}
	if strings.Contains(logs.String(), "locked") {
		t.Errorf("daemon logged a locked database:\n%s", logs.String())
	}
}
