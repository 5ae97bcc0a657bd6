// Command publish benchmarks topicfeed's feed publisher over loopback
// with wrk, beside a bare net/http handler serving the same bytes from
// memory, in one run: a cached 50-item topic feed (plain and gzip), a 304
// (with the access log written as serve writes it, and without), an
// uncached render, saved searches (/search.rss), kept between changes and
// run every time, and a one-hit and a common-word search run every time,
// with -yarr beside the same searches on yarr's search API.
//
//	apt-get install -y wrk
//	go run ./bench/publish -items 1000000 -duration 5s -rounds 3
//	go run ./bench/publish -items 50000 -yarr /path/to/yarr -only search
//
// The databases are generated once under -dir and reused.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
)

func main() {
	var o options
	flag.IntVar(&o.items, "items", 1_000_000, "items stored")
	flag.StringVar(&o.dir, "dir", os.TempDir()+"/topicfeed-bench-publish", "where the generated databases (and yarr's build) are kept")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of one wrk run")
	flag.IntVar(&o.conns, "c", 16, "wrk connections")
	flag.IntVar(&o.rounds, "rounds", 3, "runs of every scenario, interleaved; medians are reported")
	flag.StringVar(&o.yarr, "yarr", "", "yarr checkout or git directory: run its search API beside topicfeed's")
	flag.StringVar(&o.only, "only", "", "run only the scenarios whose name matches this regular expression")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (topicfeed's servers) to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	items, conns, rounds int
	dir, yarr, only      string
	cpuProfile           string
	duration             time.Duration
}

type scenario struct {
	name    string
	url     string
	conns   int
	headers []string
	vs      string // name of the scenario it is compared with (req/s ratio)
}

func run(o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk not found (apt-get install -y wrk)")
	}
	ctx := context.Background()
	n, conns := o.items, o.conns
	topics := []*feed.Topic{{Name: feed.AllTopic, Title: "Everything", Limit: 50}}
	db, err := openDB(ctx, o.dir, n, topics)
	if err != nil {
		return err
	}
	defer db.Close()
	// The log as serve writes it when stderr is not a terminal (under
	// systemd or docker): JSON lines to a pipe another process reads, here
	// cat into a file; the access log through a LogWriter.
	logFile, err := logPipe(filepath.Join(o.dir, "access.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	errLog := slog.New(slog.NewJSONHandler(logFile, nil))
	logw := publish.NewLogWriter(logFile, func(n int) { errLog.Warn("access log lines dropped", "lines", n) })
	defer logw.Close()
	opts := func() publish.Options {
		return publish.Options{BaseURL: "http://127.0.0.1", MaxAge: 5 * time.Minute, Log: errLog,
			AccessLog: publish.NewAccessLogger(errLog, logw), Metrics: publish.NewMetrics(prometheus.NewRegistry())}
	}
	cached := publish.NewPublisher(db, topics, opts()).Handler()
	noLogOpts, syncLogOpts := opts(), opts()
	noLogOpts.Log, noLogOpts.AccessLog = nil, nil
	syncLogOpts.AccessLog = nil // each line written as it is logged, as before the LogWriter
	noLog := publish.NewPublisher(db, topics, noLogOpts).Handler()
	syncLog := publish.NewPublisher(db, topics, syncLogOpts).Handler()
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
	// As before searches took slots: all 16 connections search at once.
	noSlotsPub := publish.NewPublisher(db, topics, opts())
	noSlotsPub.Search = publish.NewSearchHandler(db, "http://127.0.0.1", nil, publish.SearchLimits{Rate: -1, Running: 1024})
	bare, etag, size, err := bareHandler(cached)
	if err != nil {
		return err
	}
	pub, bareURL, unURL, noLogURL, syncLogURL := serve(cached), serve(bare), serve(uncached), serve(noLog), serve(syncLog)
	searchURL, noKeepURL, noSlotsURL := serve(searchPub.Handler()), serve(noKeepPub.Handler()), serve(noSlotsPub.Handler())
	search := "/search.rss?q=" + url.QueryEscape(words[0]+" OR "+words[1])
	// Searches beside yarr's: one item's title holds the number, a
	// generated word is in about 1% of items, and every title says "story".
	searches := []struct{ name, q string }{
		{"one-hit search", strconv.Itoa(n / 2)},
		{"1%-word search", words[0]},
		{"every-item word search", "story"},
	}
	const path = "/topics/all.rss"
	gz, inm := []string{"Accept-Encoding: gzip"}, []string{"If-None-Match: " + etag}
	scenarios := []scenario{
		{name: "bare plain", url: bareURL + path, conns: conns},
		{name: "cached plain", url: pub + path, conns: conns, vs: "bare plain"},
		{name: "bare gzip", url: bareURL + path, conns: conns, headers: gz},
		{name: "cached gzip", url: pub + path, conns: conns, headers: gz, vs: "bare gzip"},
		{name: "bare 304", url: bareURL + path, conns: conns, headers: inm},
		{name: "cached 304", url: pub + path, conns: conns, headers: inm, vs: "bare 304"},
		{name: "cached 304, log line written per request", url: syncLogURL + path, conns: conns, headers: inm, vs: "bare 304"},
		{name: "cached 304, no access log", url: noLogURL + path, conns: conns, headers: inm, vs: "bare 304"},
		{name: "uncached render (1 conn)", url: unURL + path, conns: 1},
		{name: "saved search, kept", url: searchURL + search, conns: conns},
		{name: "search, run every time", url: noKeepURL + search, conns: conns},
	}
	hits := []string{}
	for _, s := range searches {
		// As yarr's search API answers: JSON, 20 items, run every time.
		scenarios = append(scenarios, scenario{name: s.name, url: noKeepURL + "/search.json?limit=20&q=" + s.q, conns: conns})
		if s.name == "one-hit search" {
			scenarios = append(scenarios, scenario{name: "one-hit search, no slot limit", url: noSlotsURL + "/search.json?limit=20&q=" + s.q,
				conns: conns, vs: s.name})
		}
		rule, err := feed.ParseRule(s.q)
		if err != nil {
			return err
		}
		items, err := db.Search(ctx, rule, 20)
		if err != nil {
			return err
		}
		hits = append(hits, fmt.Sprintf("%s: %d", s.q, len(items)))
	}
	yarrNote, yarrCPU := "yarr not run (no -yarr)", func() time.Duration { return 0 }
	if o.yarr != "" {
		y, err := startYarr(ctx, o.yarr, o.dir, n)
		if err != nil {
			return err
		}
		defer y.stop()
		yarrNote, yarrCPU = "yarr "+y.head, y.cpu
		for _, s := range searches {
			k, err := yarrHits(y.url, s.q)
			if err != nil {
				return fmt.Errorf("yarr search %s: %w", s.q, err)
			}
			yarrNote += fmt.Sprintf(", %s: %d", s.q, k)
			scenarios = append(scenarios, scenario{name: "yarr " + s.name, url: y.url + "/api/items?search=" + s.q, conns: conns})
			// topicfeed's search as a ratio of yarr's
			scenarios[slices.IndexFunc(scenarios, func(t scenario) bool { return t.name == s.name })].vs = "yarr " + s.name
		}
	}
	if o.only != "" {
		re, err := regexp.Compile(o.only)
		if err != nil {
			return err
		}
		scenarios = slices.DeleteFunc(scenarios, func(s scenario) bool { return !re.MatchString(s.name) })
	}
	fmt.Printf("machine: %d CPUs, %s, %s; %d items stored; feed %d bytes; wrk %d conns, %v x %d rounds\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), n, size, conns, o.duration, o.rounds)
	fmt.Printf("search hits (first 20): topicfeed %s; %s\n\n", strings.Join(hits, ", "), yarrNote)
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	results := map[string][]result{}
	for r := range o.rounds {
		for _, s := range scenarios {
			cpu := selfCPU
			if strings.HasPrefix(s.name, "yarr") {
				cpu = yarrCPU
			}
			res, err := wrk(s, o.duration, cpu)
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
	var ph304 http.Header
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, hdr := pb, ph
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			body, hdr = zb, zh
		}
		if r.Header.Get("If-None-Match") == hdr.Get("ETag") {
			// The validators and caching headers a 304 must repeat (RFC
			// 9110 section 15.4.5), as the publisher sends them.
			for _, k := range []string{"Cache-Control", "Etag", "Vary"} {
				w.Header()[k] = hdr[k]
			}
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
	// Both 304s must carry the same headers, or the comparison is unfair.
	for i, hh := range []http.Handler{pub, h} {
		req := httptest.NewRequest("GET", "/topics/all.rss", nil)
		req.Header.Set("If-None-Match", etag)
		w := httptest.NewRecorder()
		hh.ServeHTTP(w, req)
		if w.Code != http.StatusNotModified {
			return nil, "", 0, fmt.Errorf("304: status %d", w.Code)
		}
		if i == 0 {
			ph304 = w.Header().Clone()
		} else if fmt.Sprint(w.Header()) != fmt.Sprint(ph304) {
			return nil, "", 0, fmt.Errorf("bare 304 headers %v, the publisher's %v", w.Header(), ph304)
		}
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
	rps      float64
	p50, p99 time.Duration
	cpu      time.Duration // server CPU (user+system) per request
}

var (
	rpsRe = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	nRe   = regexp.MustCompile(`([0-9]+) requests in`)
	p50Re = regexp.MustCompile(`\n\s+50%\s+([0-9.]+)(us|ms|s)`)
	p99Re = regexp.MustCompile(`\n\s+99%\s+([0-9.]+)(us|ms|s)`)
)

// wrk runs one scenario; two threads, since the machine is small and the
// server needs the cores more than the load generator.
// cpu reports the server's CPU time so far: this process's, or with
// -yarr the yarr process's for its scenarios.
func wrk(s scenario, d time.Duration, cpu func() time.Duration) (result, error) {
	args := []string{"-t", strconv.Itoa(min(2, s.conns)), "-c", strconv.Itoa(s.conns), "-d", d.String(), "--timeout", "30s", "--latency"}
	for _, h := range s.headers {
		args = append(args, "-H", h)
	}
	before := cpu()
	out, err := exec.Command("wrk", append(args, s.url)...).CombinedOutput()
	used := cpu() - before
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
		return result{}, fmt.Errorf("errors during the run:\n%s", out)
	}
	m, l50, l99, n := rpsRe.FindSubmatch(out), p50Re.FindSubmatch(out), p99Re.FindSubmatch(out), nRe.FindSubmatch(out)
	if m == nil || l50 == nil || l99 == nil || n == nil {
		return result{}, fmt.Errorf("cannot read wrk output:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	reqs, _ := strconv.Atoi(string(n[1]))
	return result{rps, latency(l50), latency(l99), used / time.Duration(max(reqs, 1))}, nil
}

func latency(m [][]byte) time.Duration {
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[2])]
	return time.Duration(v * float64(unit))
}

func report(scenarios []scenario, results map[string][]result) {
	med := func(rs []result) result {
		var rps []float64
		var p50, p99, cpu []time.Duration
		for _, r := range rs {
			rps, p50, p99, cpu = append(rps, r.rps), append(p50, r.p50), append(p99, r.p99), append(cpu, r.cpu)
		}
		slices.Sort(rps)
		slices.Sort(p50)
		slices.Sort(p99)
		slices.Sort(cpu)
		return result{rps[len(rps)/2], p50[len(p50)/2], p99[len(p99)/2], cpu[len(cpu)/2]}
	}
	fmt.Println("| scenario | req/s (median) | p50 | p99 | server CPU/req | req/s ratio, median of rounds (each round) | runs (req/s) |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---|")
	for _, s := range scenarios {
		m := med(results[s.name])
		vs := ""
		if other := results[s.vs]; len(other) > 0 {
			// Each round's ratio is of two runs a few seconds apart, so a
			// machine shared with other work moves both alike; the median
			// of those is steadier than the ratio of the medians.
			var ratios []float64
			for i, r := range results[s.name] {
				ratios = append(ratios, r.rps/other[i].rps)
			}
			var each []string
			for _, x := range ratios {
				each = append(each, strconv.FormatFloat(x, 'f', 2, 64))
			}
			slices.Sort(ratios)
			vs = fmt.Sprintf("%.2f of %s (%s)", ratios[len(ratios)/2], s.vs, strings.Join(each, ", "))
		}
		var runs []string
		for _, r := range results[s.name] {
			runs = append(runs, strconv.FormatFloat(r.rps, 'f', 0, 64))
		}
		fmt.Printf("| %s | %.0f | %v | %v | %v | %s | %s |\n", s.name, m.rps, m.p50.Round(10*time.Microsecond),
			m.p99.Round(10*time.Microsecond), m.cpu.Round(time.Microsecond), vs, strings.Join(runs, ", "))
	}
}

// logPipe returns the write end of a pipe that cat copies into path.
func logPipe(path string) (*os.File, error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cat := exec.Command("cat")
	cat.Stdin, cat.Stdout = r, out
	if err := cat.Start(); err != nil {
		return nil, err
	}
	r.Close()
	out.Close()
	return w, nil // cat ends when the bench closes w, or exits
}

// selfCPU is this process's CPU time, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
