// Command replicas benchmarks `topicfeed refresh` run as several replicas
// on one PostgreSQL database (issue 17). It builds the real binary (or
// takes -bin), serves -feeds synthetic feeds of -items items each from a
// loopback server in this process that counts each feed's requests, and
// for each N of -replicas starts N `topicfeed refresh` processes at once on
// a fresh database. It checks that every item was stored once, that every
// feed was fetched exactly once and that the processes' "N sources
// refreshed" lines add up to -feeds, and reports wall time, the CPU time
// of the refresh processes and of the PostgreSQL server, and the sources
// each replica took. Then -rounds rounds, each one refresh process on a
// SQLite file and one on PostgreSQL in alternating order, give
// PostgreSQL's cost against SQLite's on this machine.
//
// PostgreSQL is a throwaway server (internal/pgtest: initdb and pg_ctl,
// unix socket, fsync off) unless -database names one; there each run
// creates a database of its own and drops it after.
//
//	go run ./bench/replicas                       # 1000 × 50, replicas 1,2,3, 3 rounds
//	go run ./bench/replicas -replicas 1,2,3,4 -rounds 5
//	go run ./bench/replicas -bin ./topicfeed -database 'postgres://me@/postgres?host=/run/postgresql'
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/internal/loopfeed"
	"github.com/topicfeed/topicfeed/internal/synth"
)

type options struct {
	bin, database, replicas        string
	feeds, items, itemSize, rounds int
	concurrency, perHost           int
	timeout                        time.Duration
	keep                           bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "topicfeed binary to run (default: go build ./cmd/topicfeed into a temporary directory)")
	flag.StringVar(&o.database, "database", "", "PostgreSQL `URL` whose server the runs create their databases on (default: a throwaway server)")
	flag.StringVar(&o.replicas, "replicas", "1,2,3", "numbers of replicas to run, comma-separated")
	flag.IntVar(&o.feeds, "feeds", 1000, "number of feeds")
	flag.IntVar(&o.items, "items", 50, "items per feed")
	flag.IntVar(&o.itemSize, "item-size", synth.ItemSize, "approximate size of each item's text in `bytes` (each is half to 1.5 times it)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of one refresh on SQLite and one on PostgreSQL, alternated (0: none)")
	flag.IntVar(&o.concurrency, "concurrency", 0, "refresh.concurrency (default: topicfeed's default)")
	flag.IntVar(&o.perHost, "per-host", 0, "refresh.per_host (default: topicfeed's default)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on a run after this long")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configs, SQLite files) and the PostgreSQL databases")
	flag.Parse()
	ok, err := bench(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Println("FAILED: a run did not store every item once or fetch every feed once (above)")
		os.Exit(1)
	}
}

func bench(ctx context.Context, o options) (allOK bool, err error) {
	var counts []int
	for f := range strings.SplitSeq(o.replicas, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return false, fmt.Errorf("-replicas: %q is not a number of replicas", f)
		}
		counts = append(counts, n)
	}
	fmt.Printf("machine: %d CPUs (%s), GOMAXPROCS %d, %s\n", runtime.NumCPU(), loopfeed.CPUModel(), runtime.GOMAXPROCS(0), runtime.Version())
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load average at the start: %s\n", strings.Join(strings.Fields(string(load))[:3], " "))
	}
	dir, err := os.MkdirTemp("", "topicfeed-replicas-")
	if err != nil {
		return false, err
	}
	if o.keep {
		fmt.Println("keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(dir, "topicfeed")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/topicfeed/topicfeed/cmd/topicfeed")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return false, fmt.Errorf("go build ./cmd/topicfeed: %w", err)
		}
	}

	h := loopfeed.NewHandler(loopfeed.Feeds(o.feeds, o.items, o.itemSize))
	lns, err := loopfeed.Listen(func(s string) { fmt.Fprintln(os.Stderr, s) })
	if err != nil {
		return false, err
	}
	addrs, stopFeeds := loopfeed.Serve(lns, h)
	defer stopFeeds()
	fmt.Printf("feed server (this process): %d feeds × %d items on %s\n", o.feeds, o.items, strings.Join(addrs, " "))

	pg, err := startPostgres(ctx, o.database)
	if err != nil {
		return false, err
	}
	defer pg.stop()
	fmt.Printf("PostgreSQL: %s\n", pg.describe)

	b := &bencher{o: o, bin: bin, dir: dir, addrs: addrs, feeds: h, pg: pg}
	allOK = true
	var scaling []run
	for _, n := range counts {
		r, err := b.run(ctx, postgres, n)
		if err != nil {
			return false, err
		}
		fmt.Println(r)
		allOK = allOK && r.ok()
		scaling = append(scaling, r)
	}
	var rounds [][2]run // SQLite, PostgreSQL
	for i := range o.rounds {
		var pair [2]run
		order := []backend{sqlite, postgres}
		if i%2 == 1 {
			order = []backend{postgres, sqlite}
		}
		for _, kind := range order {
			r, err := b.run(ctx, kind, 1)
			if err != nil {
				return false, err
			}
			fmt.Printf("round %d: %v\n", i+1, r)
			allOK = allOK && r.ok()
			pair[kind] = r
		}
		rounds = append(rounds, pair)
	}
	fmt.Println()
	summary(o, scaling, rounds, pg.measured)
	return allOK, nil
}

// summary prints the figures again as tables.
func summary(o options, scaling []run, rounds [][2]run, serverCPU bool) {
	srv := func(r run) string {
		if !serverCPU {
			return "n/a"
		}
		return secs(r.serverCPU)
	}
	fmt.Printf("%d feeds × %d items, replicas on one PostgreSQL database:\n\n", o.feeds, o.items)
	fmt.Println("| replicas | wall s | refresh CPU s | server CPU s | sources per replica | items stored | feeds fetched ≠ 1 time | max GETs a feed | checks |")
	fmt.Println("|---:|---:|---:|---:|---|---:|---:|---:|---|")
	for _, r := range scaling {
		fmt.Printf("| %d | %s | %s | %s | %s | %d | %d | %d | %s |\n", r.replicas, secs(r.wall), secs(r.cpu), srv(r),
			r.split(), r.items, r.zero+r.twice, r.maxGets, okText(r.ok()))
	}
	if len(rounds) == 0 {
		return
	}
	fmt.Printf("\nOne refresh process, SQLite and PostgreSQL alternated (%d rounds):\n\n", len(rounds))
	fmt.Println("| round | SQLite wall s | SQLite CPU s | PostgreSQL wall s | PostgreSQL refresh CPU s | PostgreSQL server CPU s | wall PG/SQLite | CPU PG/SQLite (refresh only) | CPU PG/SQLite (refresh + server) |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var wall, cpu, total [2][]float64
	for i, p := range rounds {
		s, g := p[sqlite], p[postgres]
		fmt.Printf("| %d | %s | %s | %s | %s | %s | %.2f | %.2f | %s |\n", i+1, secs(s.wall), secs(s.cpu), secs(g.wall), secs(g.cpu), srv(g),
			g.wall.Seconds()/s.wall.Seconds(), g.cpu.Seconds()/s.cpu.Seconds(), ratio(serverCPU, (g.cpu+g.serverCPU).Seconds()/s.cpu.Seconds()))
		for k, r := range p {
			wall[k] = append(wall[k], r.wall.Seconds())
			cpu[k] = append(cpu[k], r.cpu.Seconds())
			total[k] = append(total[k], (r.cpu + r.serverCPU).Seconds())
		}
	}
	fmt.Printf("| median | %.2f | %.2f | %.2f | %.2f | %s | %.2f | %.2f | %s |\n",
		median(wall[sqlite]), median(cpu[sqlite]), median(wall[postgres]), median(cpu[postgres]),
		ratio(serverCPU, median(total[postgres])-median(cpu[postgres])),
		median(wall[postgres])/median(wall[sqlite]), median(cpu[postgres])/median(cpu[sqlite]),
		ratio(serverCPU, median(total[postgres])/median(cpu[sqlite])))
	fmt.Println("\n(the median row's ratios are of the medians; its server CPU is the median of refresh + server less the median of refresh)")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

func ratio(ok bool, v float64) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", v)
}

func okText(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
