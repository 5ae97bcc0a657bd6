package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// memSample is the process's memory at one moment: resident set from
// /proc/self/status (anonymous, file-backed and shared memory pages) and
// what the Go runtime has mapped and not released. Anonymous memory the Go
// runtime does not hold is SQLite's (its page caches and allocations live
// outside the Go heap) or the C-like runtime's beneath it.
type memSample struct {
	rss, anon, file, shmem int64 // bytes
	goHeld, goHeap         int64 // Go runtime: mapped minus released; live and dead heap objects
	dbFiles                int   // open descriptors of the database file: SQLite connections
}

// sampler reads memSamples every period until stopped and keeps the one of
// highest RSS. It also counts what the process read by read calls (the
// database file's pages a page-cache miss reads, and the feeds' bodies).
type sampler struct {
	stop chan struct{}
	done chan memSample
	io   [2]int64 // rchar, syscr of /proc/self/io at the start
}

func startSampler(period time.Duration, heapAtPeak string) *sampler {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		return nil
	}
	s := &sampler{stop: make(chan struct{}), done: make(chan memSample, 1), io: readIO()}
	go func() {
		var peak memSample
		ms := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"},
			{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			m := readStatus()
			if m.rss > peak.rss {
				m.dbFiles = dbFiles()
				metrics.Read(ms)
				m.goHeld = int64(ms[0].Value.Uint64() - ms[1].Value.Uint64())
				m.goHeap = int64(ms[2].Value.Uint64())
				peak = m
				if heapAtPeak != "" {
					// The live heap as of the last collection, at the moment
					// the pass held the most memory.
					if err := writeHeap(heapAtPeak); err != nil {
						fmt.Fprintln(os.Stderr, "refresh bench:", err)
					}
				}
			}
			select {
			case <-s.stop:
				s.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the sample of highest RSS, with the
// bytes read and read calls made since the start.
func (s *sampler) Stop() (m memSample, readBytes, reads int64, ok bool) {
	if s == nil {
		return memSample{}, 0, 0, false
	}
	close(s.stop)
	m = <-s.done
	io := readIO()
	return m, io[0] - s.io[0], io[1] - s.io[1], true
}

// readIO is rchar and syscr from /proc/self/io: bytes read and read calls.
func readIO() [2]int64 {
	var v [2]int64
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return v
	}
	for line := range strings.Lines(string(b)) {
		k, n, _ := strings.Cut(strings.TrimSpace(line), ": ")
		i, _ := strconv.ParseInt(n, 10, 64)
		switch k {
		case "rchar":
			v[0] = i
		case "syscr":
			v[1] = i
		}
	}
	return v
}

func readStatus() memSample {
	var m memSample
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(k) {
		case "VmRSS":
			dst = &m.rss
		case "RssAnon":
			dst = &m.anon
		case "RssFile":
			dst = &m.file
		case "RssShmem":
			dst = &m.shmem
		default:
			continue
		}
		f := bytes.Fields(v) // "123 kB"
		if len(f) > 0 {
			n, _ := strconv.ParseInt(string(f[0]), 10, 64)
			*dst = n * 1024
		}
	}
	return m
}

func (m memSample) String() string {
	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	return fmt.Sprintf("RSS %.1f MB = anonymous %.1f + file %.1f + shared %.1f; Go runtime holds %.1f MB (heap objects %.1f), other anonymous %.1f MB, %d database connections",
		mb(m.rss), mb(m.anon), mb(m.file), mb(m.shmem), mb(m.goHeld), mb(m.goHeap), mb(m.anon-m.goHeld), m.dbFiles)
}

// dbFiles counts this process's open descriptors of a file named
// bench.db: each SQLite connection holds one.
func dbFiles() int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	n := 0
	for _, fd := range fds {
		if t, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasSuffix(t, "/bench.db") {
			n++
		}
	}
	return n
}
