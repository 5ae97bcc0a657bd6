// Package loopfeed serves the refresh benchmarks' synthetic feeds
// (internal/synth) over loopback HTTP, and writes the topicfeed config
// that subscribes to them. bench/refresh runs it in a child process of its
// own; bench/replicas in its own process, counting the GETs of each feed.
package loopfeed

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/topicfeed/topicfeed/internal/synth"
)

// Feeds renders every feed once, in parallel: feed i has items articles
// of about itemSize bytes (synth.RSSSized).
func Feeds(feeds, items, itemSize int) [][]byte {
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

// Handler serves /feed/I, body I, with an ETag (a request that sends it
// back gets 304), and counts the requests for each feed.
type Handler struct {
	bodies [][]byte
	gets   []atomic.Int64
	other  atomic.Int64
}

func NewHandler(bodies [][]byte) *Handler {
	return &Handler{bodies: bodies, gets: make([]atomic.Int64, len(bodies))}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
	if err != nil || i < 0 || i >= len(h.bodies) {
		h.other.Add(1)
		http.NotFound(w, r)
		return
	}
	h.gets[i].Add(1)
	etag := fmt.Sprintf(`"f%d-v1"`, i)
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(h.bodies[i])))
	w.Write(h.bodies[i])
}

// Requests returns how many requests each feed had, and how many asked
// for anything else, since the start or the last Reset.
func (h *Handler) Requests() (perFeed []int64, other int64) {
	perFeed = make([]int64, len(h.gets))
	for i := range h.gets {
		perFeed[i] = h.gets[i].Load()
	}
	return perFeed, h.other.Load()
}

// Reset sets every count to zero.
func (h *Handler) Reset() {
	for i := range h.gets {
		h.gets[i].Store(0)
	}
	h.other.Store(0)
}

// Listen binds one listener per loopback address 127.0.0.2 … 127.0.0.9,
// so a refresher's per-host limit applies as it would across eight real
// sites; where those cannot be bound, it says so to warn and binds
// 127.0.0.1 alone.
func Listen(warn func(string)) ([]net.Listener, error) {
	var lns []net.Listener
	for i := 2; i <= 9; i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", i))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			warn(fmt.Sprintf("cannot bind 127.0.0.%d (%v); serving every feed from 127.0.0.1", i, err))
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			return []net.Listener{ln}, nil
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// Serve serves h on every listener until stop is called, and returns
// their base URLs (http://IP:PORT).
func Serve(lns []net.Listener, h http.Handler) (addrs []string, stop func()) {
	var srvs []*http.Server
	for _, ln := range lns {
		addrs = append(addrs, "http://"+ln.Addr().String())
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		srvs = append(srvs, srv)
		go srv.Serve(ln)
	}
	return addrs, func() {
		for _, s := range srvs {
			s.Close()
		}
	}
}

// Config is a topicfeed config of feeds sources, feed i on address i mod
// len(Addrs), with three topics so classification costs what it would.
type Config struct {
	Database             string // as written after "database: " (quote a URL)
	Addrs                []string
	Feeds                int
	Concurrency, PerHost int    // refresh.concurrency and per_host; 0 keeps topicfeed's default
	Extra                string // more of the config, appended as it is
}

// YAML is the config file's text.
func (c Config) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\nrefresh:\n  interval: 1h\n", c.Database)
	if c.Concurrency > 0 {
		fmt.Fprintf(&b, "  concurrency: %d\n", c.Concurrency)
	}
	if c.PerHost > 0 {
		fmt.Fprintf(&b, "  per_host: %d\n", c.PerHost)
	}
	b.WriteString("topics:\n  - name: all\n" +
		"  - name: ports\n    match: 'harbour OR railway'\n" +
		"  - name: politics\n    match: '(election OR council OR minister) AND NOT drought'\n")
	b.WriteString("sources:\n")
	for i := range c.Feeds {
		fmt.Fprintf(&b, "  - name: feed%04d\n    url: %s/feed/%d\n", i, c.Addrs[i%len(c.Addrs)], i)
	}
	b.WriteString(c.Extra)
	return b.String()
}

// CPUModel names the processor, from /proc/cpuinfo where there is one.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
