package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/topicfeed/topicfeed/internal/synth"
)

// The feed server runs in a child process (this program with -serve), so
// the parent's CPU time and peak memory are the refresher's alone.

// serve listens on 127.0.0.2 … 127.0.0.9 (or 127.0.0.1 alone when those
// cannot be bound), prints one "addr http://IP:PORT" line per listener and
// then "ready", and serves /feed/I until killed.
func serve(feeds, items, itemSize int) error {
	bodies := makeFeeds(feeds, items, itemSize)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
		if err != nil || i < 0 || i >= len(bodies) {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"f%d-v1"`, i)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(bodies[i])))
		w.Write(bodies[i])
	})
	lns := listenAll()
	for _, ln := range lns {
		fmt.Printf("addr http://%s\n", ln.Addr())
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
	}
	fmt.Println("ready")
	select {}
}

// listenAll binds one listener per loopback address, so the refresher's
// per-host limit applies as it would across eight real sites.
func listenAll() []net.Listener {
	var lns []net.Listener
	for i := 2; i <= 9; i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", i))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			fmt.Fprintf(os.Stderr, "cannot bind 127.0.0.%d (%v); serving every feed from 127.0.0.1\n", i, err)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			return []net.Listener{ln}
		}
		lns = append(lns, ln)
	}
	return lns
}

// startServer runs this program as the feed server and returns its base
// URLs and a function that stops it.
func startServer(feeds, items, itemSize int) ([]string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(self, "-serve", "-feeds", strconv.Itoa(feeds), "-items", strconv.Itoa(items),
		"-item-size", strconv.Itoa(itemSize))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	var addrs []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if a, ok := strings.CutPrefix(line, "addr "); ok {
			addrs = append(addrs, a)
		}
		if line == "ready" {
			return addrs, stop, nil
		}
	}
	stop()
	return nil, nil, fmt.Errorf("feed server exited before it was ready")
}

// makeFeeds renders every feed once, in parallel, before any is served.
func makeFeeds(feeds, items, itemSize int) [][]byte {
	bodies := make([][]byte, feeds)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				bodies[i] = synth.RSSSized(i, items, itemSize)
			}
		})
	}
	for i := range feeds {
		next <- i
	}
	close(next)
	wg.Wait()
	return bodies
}
