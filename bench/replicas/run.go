package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/topicfeed/topicfeed/internal/loopfeed"
	"github.com/topicfeed/topicfeed/store"
)

type backend int

const (
	sqlite backend = iota
	postgres
)

func (b backend) String() string { return [...]string{"SQLite", "PostgreSQL"}[b] }

type bencher struct {
	o     options
	bin   string
	dir   string
	addrs []string
	feeds *loopfeed.Handler
	pg    *pgServer
	seq   int
}

// proc is one `topicfeed refresh` process of a run.
type proc struct {
	wall, cpu  time.Duration
	sources    int // from its "N sources refreshed" line; -1 when it printed none
	failed     int
	newItems   int
	err        error
	stderrTail string
}

// run is what one run did and what its checks found.
type run struct {
	kind      backend
	replicas  int
	feeds     int
	wall      time.Duration // first start to last exit
	cpu       time.Duration // user + system of the refresh processes
	serverCPU time.Duration // user + system of the PostgreSQL server's processes
	procs     []proc
	items     int // items stored
	want      int
	// per feed path: how many were requested 0 times, 2 or more times, and
	// the most requests of one; requests for anything else
	zero, twice, maxGets int
	other                int64
}

func (r run) sum() int {
	n := 0
	for _, p := range r.procs {
		n += p.sources
	}
	return n
}

func (r run) ok() bool {
	for _, p := range r.procs {
		if p.err != nil || p.failed != 0 || p.sources < 0 {
			return false
		}
	}
	return r.items == r.want && r.zero == 0 && r.twice == 0 && r.sum() == r.feeds
}

// split is the sources each replica took, as "a + b + c = total".
func (r run) split() string {
	var parts []string
	for _, p := range r.procs {
		parts = append(parts, strconv.Itoa(p.sources))
	}
	s := strings.Join(parts, " + ")
	if len(parts) > 1 {
		s += " = " + strconv.Itoa(r.sum())
	}
	return s
}

func (r run) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d replica(s): wall %.2fs, CPU %.2fs refresh", r.kind, r.replicas, r.wall.Seconds(), r.cpu.Seconds())
	if r.kind == postgres {
		fmt.Fprintf(&b, " + %.2fs server", r.serverCPU.Seconds())
	}
	fmt.Fprintf(&b, "; sources per replica %s; items stored %d of %d; feeds fetched 0 times %d, 2+ times %d, max GETs of a feed %d, other requests %d: %s",
		r.split(), r.items, r.want, r.zero, r.twice, r.maxGets, r.other, okText(r.ok()))
	for i, p := range r.procs {
		fmt.Fprintf(&b, "\n  replica %d: wall %.2fs, CPU %.2fs, %d sources, %d failed, %d new", i+1, p.wall.Seconds(), p.cpu.Seconds(), p.sources, p.failed, p.newItems)
		if p.err != nil {
			fmt.Fprintf(&b, "; %v\n%s", p.err, p.stderrTail)
		}
	}
	return b.String()
}

// run starts n `topicfeed refresh` processes at once on a fresh database
// of kind, waits for them all and checks what they did.
func (b *bencher) run(ctx context.Context, kind backend, n int) (run, error) {
	ctx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	b.seq++
	dir := filepath.Join(b.dir, fmt.Sprintf("run%d", b.seq))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return run{}, err
	}
	var database string
	if kind == sqlite {
		database = filepath.Join(dir, "bench.db")
	} else {
		dsn, drop, err := b.pg.database(ctx)
		if err != nil {
			return run{}, err
		}
		if !b.o.keep {
			defer drop()
		}
		database = dsn
	}
	// The schema is made before the clock starts: what is timed is the
	// refresh, as a cron refresh on an existing database runs it.
	db, err := store.Open(ctx, database)
	if err != nil {
		return run{}, err
	}
	db.Close()
	cfg := loopfeed.Config{Database: "'" + strings.ReplaceAll(database, "'", "''") + "'", Addrs: b.addrs, Feeds: b.o.feeds,
		Concurrency: b.o.concurrency, PerHost: b.o.perHost,
		// The synthetic items are dated from March 2026: past the default
		// retention of 180 days, they would not be stored at all.
		Extra: "retention:\n  max_age: 3650d\n"}
	cfgPath := filepath.Join(dir, "topicfeed.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.YAML()), 0o644); err != nil {
		return run{}, err
	}

	r := run{kind: kind, replicas: n, feeds: b.o.feeds, want: b.o.feeds * b.o.items, procs: make([]proc, n)}
	b.feeds.Reset()
	var srv0 time.Duration
	if kind == postgres {
		srv0 = b.pg.cpu()
	}
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	errs := make([]*bytes.Buffer, n)
	for i := range cmds {
		cmds[i] = exec.CommandContext(ctx, b.bin, "refresh", "-config", cfgPath)
		outs[i], errs[i] = new(bytes.Buffer), new(bytes.Buffer)
		cmds[i].Stdout, cmds[i].Stderr = outs[i], errs[i]
		cmds[i].Dir = dir
	}
	start := time.Now()
	for i, c := range cmds {
		if err := c.Start(); err != nil {
			for _, c := range cmds[:i] {
				c.Process.Kill()
				c.Wait()
			}
			return run{}, err
		}
	}
	done := make(chan int)
	for i, c := range cmds {
		go func() {
			err := c.Wait()
			p := &r.procs[i]
			p.wall, p.err = time.Since(start), err
			if c.ProcessState != nil {
				ru := c.ProcessState.SysUsage().(*syscall.Rusage)
				p.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
			done <- i
		}()
	}
	for range cmds {
		<-done
	}
	r.wall = time.Since(start)
	if kind == postgres {
		r.serverCPU = b.pg.cpuAfter(srv0)
	}
	for i := range r.procs {
		p := &r.procs[i]
		r.cpu += p.cpu
		p.sources, p.failed, p.newItems = parseSummary(outs[i].String())
		if p.err != nil || p.sources < 0 {
			p.stderrTail = tail(errs[i].String()+outs[i].String(), 10)
			if p.err == nil {
				p.err = fmt.Errorf("no \"sources refreshed\" line")
			}
		}
	}

	gets, other := b.feeds.Requests()
	r.other = other
	for _, g := range gets {
		switch {
		case g == 0:
			r.zero++
		case g > 1:
			r.twice++
		}
		r.maxGets = max(r.maxGets, int(g))
	}
	db, err = store.Open(ctx, database)
	if err != nil {
		return run{}, err
	}
	defer db.Close()
	if r.items, err = db.CountItems(ctx); err != nil {
		return run{}, err
	}
	return r, nil
}

// summaryRE is the last line `topicfeed refresh` prints.
var summaryRE = regexp.MustCompile(`(?m)^(\d+) sources refreshed \((\d+) not modified, (\d+) failed\): (\d+) new`)

func parseSummary(out string) (sources, failed, newItems int) {
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		return -1, 0, 0
	}
	sources, _ = strconv.Atoi(m[1])
	failed, _ = strconv.Atoi(m[3])
	newItems, _ = strconv.Atoi(m[4])
	return sources, failed, newItems
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "    " + strings.Join(lines[max(0, len(lines)-n):], "\n    ")
}
