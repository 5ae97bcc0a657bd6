// Command publish benchmarks topicfeed's feed publisher over loopback
// with wrk, beside a bare net/http handler serving the same bytes from
// memory, in one run: a cached 50-item topic feed (plain and gzip), a 304,
// an uncached render with a million items stored, and a saved search
// (/search.rss), kept between changes and run every time.
//
//	apt-get install -y wrk
//	go run ./bench/publish -items 1000000 -duration 5s -rounds 3
//
// The database is generated once under -dir and reused.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
)

func main() {
	items := flag.Int("items", 1_000_000, "items stored")
	dir := flag.String("dir", os.TempDir()+"/topicfeed-bench-publish", "where the generated database is kept")
	duration := flag.Duration("duration", 5*time.Second, "length of one wrk run")
	conns := flag.Int("c", 8, "wrk connections")
	rounds := flag.Int("rounds", 3, "runs of every scenario, interleaved; medians are reported")
	flag.Parse()
	if err := run(*items, *dir, *duration, *conns, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type scenario struct {
	name    string
	url     string
	conns   int
	headers []string
	bare    string // name of the bare scenario it is compared with
}

func run(n int, dir string, d time.Duration, conns, rounds int) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk not found (apt-get install -y wrk)")
	}
	ctx := context.Background()
	topics := []*feed.Topic{{Name: feed.AllTopic, Title: "Everything", Limit: 50}}
	db, err := openDB(ctx, dir, n, topics)
	if err != nil {
		return err
	}
	defer db.Close()
	opts := func() publish.Options {
		// As served: metrics on, access log formatted (as JSON, then dropped).
		return publish.Options{BaseURL: "http://127.0.0.1", MaxAge: 5 * time.Minute,
			Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Metrics: publish.NewMetrics(prometheus.NewRegistry())}
	}
	cached := publish.NewPublisher(db, topics, opts()).Handler()
	uncachedPub := publish.NewPublisher(db, topics, opts())
	uncachedH := uncachedPub.Handler()
	uncached := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uncachedPub.Invalidate() // every request renders: SQL, template, hash
		uncachedH.ServeHTTP(w, r)
	})
	// Saved searches: the publisher as serve wires it (renderings kept
	// until the database changes), and the same search done every time.
	searchPub := publish.NewPublisher(db, topics, opts())
	// wrk is one client: the per-client rate is off, the other limits
	// are serve's.
	lim := publish.SearchLimits{Rate: -1}
	searchPub.Search = publish.NewSearchHandler(db, "http://127.0.0.1", searchPub.Generation, lim)
	noKeepPub := publish.NewPublisher(db, topics, opts())
	noKeepPub.Search = publish.NewSearchHandler(db, "http://127.0.0.1", nil, lim)
	bare, etag, size, err := bareHandler(cached)
	if err != nil {
		return err
	}
	pub, bareURL, unURL := serve(cached), serve(bare), serve(uncached)
	searchURL, noKeepURL := serve(searchPub.Handler()), serve(noKeepPub.Handler())
	search := "/search.rss?q=" + url.QueryEscape(words[0]+" OR "+words[1])
	const path = "/topics/all.rss"
	gz, inm := []string{"Accept-Encoding: gzip"}, []string{"If-None-Match: " + etag}
	scenarios := []scenario{
		{name: "bare plain", url: bareURL + path, conns: conns},
		{name: "cached plain", url: pub + path, conns: conns, bare: "bare plain"},
		{name: "bare gzip", url: bareURL + path, conns: conns, headers: gz},
		{name: "cached gzip", url: pub + path, conns: conns, headers: gz, bare: "bare gzip"},
		{name: "bare 304", url: bareURL + path, conns: conns, headers: inm},
		{name: "cached 304", url: pub + path, conns: conns, headers: inm, bare: "bare 304"},
		{name: "uncached render (1 conn)", url: unURL + path, conns: 1},
		{name: "saved search, kept", url: searchURL + search, conns: conns},
		{name: "search, run every time", url: noKeepURL + search, conns: conns},
	}
	fmt.Printf("machine: %d CPUs, %s, %s; %d items stored; feed %d bytes; wrk %d conns, %v x %d rounds\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), n, size, conns, d, rounds)
	results := map[string][]result{}
	for r := range rounds {
		for _, s := range scenarios {
			res, err := wrk(s, d)
			if err != nil {
				return fmt.Errorf("round %d %s: %w", r+1, s.name, err)
			}
			results[s.name] = append(results[s.name], res)
		}
	}
	report(scenarios, results)
	return nil
}

// bareHandler captures the publisher's plain and gzipped feed and serves
// the same bytes and headers from memory, with the least possible work.
func bareHandler(pub http.Handler) (http.Handler, string, int, error) {
	get := func(gz bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/topics/all.rss", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		w := httptest.NewRecorder()
		pub.ServeHTTP(w, req)
		return w
	}
	plain, zipped := get(false), get(true)
	if plain.Code != 200 || zipped.Code != 200 {
		return nil, "", 0, fmt.Errorf("feed: status %d/%d", plain.Code, zipped.Code)
	}
	pb, zb := plain.Body.Bytes(), zipped.Body.Bytes()
	ph, zh := plain.Header().Clone(), zipped.Header().Clone()
	etag := ph.Get("ETag")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, hdr := pb, ph
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			body, hdr = zb, zh
		}
		if r.Header.Get("If-None-Match") == hdr.Get("ETag") {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		for k, v := range hdr {
			w.Header()[k] = v
		}
		w.Write(body)
	})
	if !bytes.Equal(pb, get(false).Body.Bytes()) {
		return nil, "", 0, fmt.Errorf("feed bytes not stable between requests")
	}
	return h, etag, len(pb), nil
}

func serve(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	return "http://" + ln.Addr().String()
}

type result struct {
	rps float64
	p99 time.Duration
}

var (
	rpsRe = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p99Re = regexp.MustCompile(`\n\s+99%\s+([0-9.]+)(us|ms|s)`)
)

// wrk runs one scenario; two threads, since the machine is small and the
// server needs the cores more than the load generator.
func wrk(s scenario, d time.Duration) (result, error) {
	args := []string{"-t", strconv.Itoa(min(2, s.conns)), "-c", strconv.Itoa(s.conns), "-d", d.String(), "--latency"}
	for _, h := range s.headers {
		args = append(args, "-H", h)
	}
	out, err := exec.Command("wrk", append(args, s.url)...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
		return result{}, fmt.Errorf("errors during the run:\n%s", out)
	}
	m, l := rpsRe.FindSubmatch(out), p99Re.FindSubmatch(out)
	if m == nil || l == nil {
		return result{}, fmt.Errorf("cannot read wrk output:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	v, _ := strconv.ParseFloat(string(l[1]), 64)
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(l[2])]
	return result{rps, time.Duration(v * float64(unit))}, nil
}

func report(scenarios []scenario, results map[string][]result) {
	med := func(rs []result) result {
		rps := make([]float64, len(rs))
		p99 := make([]time.Duration, len(rs))
		for i, r := range rs {
			rps[i], p99[i] = r.rps, r.p99
		}
		slices.Sort(rps)
		slices.Sort(p99)
		return result{rps[len(rps)/2], p99[len(p99)/2]}
	}
	fmt.Println("| scenario | req/s (median) | p99 (median) | vs bare | runs (req/s) |")
	fmt.Println("|---|---:|---:|---:|---|")
	for _, s := range scenarios {
		m := med(results[s.name])
		vs := ""
		if s.bare != "" {
			vs = fmt.Sprintf("%.0f%%", 100*m.rps/med(results[s.bare]).rps)
		}
		var runs []string
		for _, r := range results[s.name] {
			runs = append(runs, strconv.FormatFloat(r.rps, 'f', 0, 64))
		}
		fmt.Printf("| %s | %.0f | %v | %s | %s |\n", s.name, m.rps, m.p99, vs, strings.Join(runs, ", "))
	}
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
