package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/topicfeed/topicfeed/config"
	"github.com/topicfeed/topicfeed/refresh"
	"github.com/topicfeed/topicfeed/store"
)

// usage is the process's resource use at one moment.
type usage struct {
	wall   time.Time
	cpu    time.Duration // user + system
	maxRSS int64         // bytes, peak so far
}

func now(who int) usage {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return usage{wall: time.Now(), cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), maxRSS: ru.Maxrss * 1024}
}

// passStats is what one pass did.
type passStats struct {
	wall, cpu                        time.Duration
	sources, notModified, failed, nw int
	firstErr                         error
}

func (p passStats) String() string {
	s := fmt.Sprintf("wall %.2fs, CPU %.2fs; %d sources, %d not modified, %d failed, %d new items",
		p.wall.Seconds(), p.cpu.Seconds(), p.sources, p.notModified, p.failed, p.nw)
	if p.firstErr != nil {
		s += fmt.Sprintf(" (first error: %v)", p.firstErr)
	}
	return s
}

// pass runs what `topicfeed refresh -force` runs: Due then Pass.
func pass(ctx context.Context, r *refresh.Refresher) (passStats, error) {
	before := now(syscall.RUSAGE_SELF)
	due, err := r.Due(ctx, true, nil)
	if err != nil {
		return passStats{}, err
	}
	st := passStats{sources: len(due)}
	for _, res := range r.Pass(ctx, due) {
		switch {
		case res.Err != nil:
			st.failed++
			if st.firstErr == nil {
				st.firstErr = fmt.Errorf("source %s: %w", res.Source, res.Err)
			}
		case res.NotModified:
			st.notModified++
		}
		st.nw += res.New
	}
	after := now(syscall.RUSAGE_SELF)
	st.wall, st.cpu = after.wall.Sub(before.wall), after.cpu-before.cpu
	return st, nil
}

func benchInProcess(ctx context.Context, o options, cfgPath string) error {
	cfg, err := config.Load(cfgPath, true)
	if err != nil {
		return err
	}
	r, err := newRefresher(ctx, cfg)
	if err != nil {
		return err
	}
	defer r.Ingester.DB.Close()
	fmt.Printf("refresh: concurrency %d, per host %d, near-duplicate distance %d\n",
		cfg.Refresh.Concurrency, cfg.Refresh.PerHost, cfg.NearDuplicateDistance())
	if o.peakProfile != "" {
		runtime.MemProfileRate = 4096 // the default's 512 KB samples blur a heap of tens of MB
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	due, err := r.Due(ctx, true, nil)
	if err != nil {
		return err
	}
	var gf, pf passStats
	if o.floor {
		gf, err = floor(ctx, r, due, false)
		if err != nil {
			return err
		}
		pf, err = floor(ctx, r, due, true)
		if err != nil {
			return err
		}
		fmt.Printf("fetch + gofeed only:       %v\n", gf)
		fmt.Printf("fetch + ParseFeed only:    %v\n", pf)
	}
	smp := startSampler(20*time.Millisecond, o.peakProfile)
	first, err := pass(ctx, r)
	if err != nil {
		return err
	}
	peak := now(syscall.RUSAGE_SELF).maxRSS
	var memLine string
	if m, rb, rc, ok := smp.Stop(); ok {
		memLine = fmt.Sprintf("  at the sampled peak (every 20 ms): %v\n  read %.1f MB in %d read calls\n",
			m, float64(rb)/(1<<20), rc)
	}
	if err := writeHeap(o.memProfile); err != nil {
		return err
	}
	stored, err := r.Ingester.DB.CountItems(ctx)
	if err != nil {
		return err
	}
	second, err := pass(ctx, r)
	if err != nil {
		return err
	}
	report(o, first, second, stored, peak, memLine)
	if o.floor && gf.cpu > 0 && pf.cpu > 0 {
		// Issue 19's targets: pass 1's CPU against the floors of this run.
		fmt.Printf("pass 1 CPU / floor: %.2f × fetch + gofeed, %.2f × fetch + ParseFeed (target ≤ 1.8 × gofeed); peak RSS %.1f MB (target ≤ 64)\n",
			first.cpu.Seconds()/gf.cpu.Seconds(), first.cpu.Seconds()/pf.cpu.Seconds(), float64(peak)/(1<<20))
	}
	return nil
}

func report(o options, first, second passStats, stored int, peak int64, memLine string) {
	want := o.feeds * o.items
	fmt.Printf("pass 1 (all new):          %v\n", first)
	fmt.Printf("  items stored %d of %d expected: %d lost\n", stored, want, want-stored)
	fmt.Printf("  peak RSS %.1f MB\n", float64(peak)/(1<<20))
	fmt.Print(memLine)
	fmt.Printf("pass 2 (all 304):          %v\n", second)
	ok := stored == want && first.failed == 0 && second.notModified == o.feeds
	fmt.Printf("targets (1,000 × 50): pass 1 < 6 s, 0 lost, pass 2 < 1 s, peak < 150 MB; all answered as expected: %v\n", ok)
}

func writeHeap(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.WriteHeapProfile(f)
}

// benchBinary times two runs of `BIN refresh -force`, each a process of
// its own, from the child's rusage.
func benchBinary(ctx context.Context, o options, cfgPath string) error {
	for i := 1; i <= 2; i++ {
		start := time.Now()
		cmd := exec.CommandContext(ctx, o.execBin, "refresh", "-force", "-config", cfgPath)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		wall := time.Since(start)
		if err != nil {
			return fmt.Errorf("%s refresh: %w", o.execBin, err)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		line, _, _ := strings.Cut(string(out), "\n")
		fmt.Printf("pass %d: wall %.2fs, CPU %.2fs, peak RSS %.1f MB: %s\n", i, wall.Seconds(), cpu.Seconds(),
			float64(ru.Maxrss*1024)/(1<<20), line)
	}
	db, err := store.Open(ctx, strings.TrimSuffix(cfgPath, "topicfeed.yaml")+"bench.db")
	if err != nil {
		return err
	}
	defer db.Close()
	stored, err := db.CountItems(ctx)
	fmt.Printf("items stored %d of %d expected: %d lost\n", stored, o.feeds*o.items, o.feeds*o.items-stored)
	return err
}
