package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/topicfeed/topicfeed/internal/pgtest"
	"github.com/topicfeed/topicfeed/store"
)

// pgServer is where the PostgreSQL runs make their databases: a throwaway
// server this program started, whose CPU time it can read, or the server
// of a URL given with -database.
type pgServer struct {
	describe string
	base     string         // a URL of a database to connect to for CREATE and DROP DATABASE
	own      *pgtest.Server // nil for -database
	measured bool           // server CPU is read (own server, /proc readable)
	pid      int            // the postmaster
	idle     int            // its children when no client is connected
	seq      int
}

func startPostgres(ctx context.Context, database string) (*pgServer, error) {
	if database != "" {
		if !store.IsPostgres(database) {
			return nil, fmt.Errorf("-database %s: not a postgres:// URL", database)
		}
		return &pgServer{describe: store.Redact(database) + " (server CPU not measured)", base: database}, nil
	}
	srv, err := pgtest.Launch()
	if err != nil {
		return nil, fmt.Errorf("throwaway PostgreSQL: %w", err)
	}
	s := &pgServer{own: srv}
	dsn, err := srv.Database()
	if err != nil {
		srv.Stop()
		return nil, err
	}
	s.base = dsn
	var version string
	if conn, err := pgx.Connect(ctx, dsn); err == nil {
		conn.QueryRow(ctx, "SHOW server_version").Scan(&version)
		conn.Close(ctx)
	}
	s.describe = fmt.Sprintf("throwaway server %s (internal/pgtest: unix socket, fsync off, shared_buffers default)", version)
	if s.pid, err = srv.PID(); err == nil {
		if _, err = readStat(s.pid); err == nil {
			time.Sleep(time.Second) // the connection above to end
			s.idle = len(children(s.pid))
			s.measured = true
			s.describe += fmt.Sprintf("; server CPU read from /proc: postmaster %d and its children", s.pid)
		}
	}
	if !s.measured {
		s.describe += fmt.Sprintf("; server CPU not measured (%v)", err)
	}
	return s, nil
}

func (s *pgServer) stop() {
	if s.own != nil {
		s.own.Stop()
	}
}

// database creates a database for one run and returns its URL and a
// function that drops it.
func (s *pgServer) database(ctx context.Context) (string, func(), error) {
	s.seq++
	name := fmt.Sprintf("topicfeed_replicas_%d_%d", os.Getpid(), s.seq)
	u, err := url.Parse(s.base)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	exec := func(q string) error {
		conn, err := pgx.Connect(ctx, s.base)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, q)
		return err
	}
	if err := exec("CREATE DATABASE " + name); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() {
		if err := exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "drop database %s: %v\n", name, err)
		}
	}
	return u.String(), drop, nil
}

// cpu is the server's CPU time so far: the postmaster's, its reaped
// children's (backends that exited), and its live children's. It first
// waits (up to 3 s) for the backends of clients that went away to exit.
func (s *pgServer) cpu() time.Duration {
	if !s.measured {
		return 0
	}
	for deadline := time.Now().Add(3 * time.Second); len(children(s.pid)) > s.idle && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	total, _ := readStat(s.pid)
	total = total.withChildren()
	for _, c := range children(s.pid) {
		st, _ := readStat(c)
		total.own += st.withChildren().own
	}
	return total.own
}

func (s *pgServer) cpuAfter(before time.Duration) time.Duration {
	if !s.measured {
		return 0
	}
	return s.cpu() - before
}

// procStat is a process's CPU times from /proc/PID/stat.
type procStat struct {
	ppid     int
	own      time.Duration // user + system
	children time.Duration // user + system of its children it waited for
}

func (p procStat) withChildren() procStat {
	p.own += p.children
	p.children = 0
	return p
}

var clockTick = func() time.Duration {
	if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if hz, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && hz > 0 {
			return time.Second / time.Duration(hz)
		}
	}
	return 10 * time.Millisecond // USER_HZ on Linux
}()

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// pid (comm) state ppid … utime stime cutime cstime: fields 4 and 14–17.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	ppid, _ := strconv.Atoi(f[1])
	return procStat{ppid: ppid, own: time.Duration(n(11)+n(12)) * clockTick, children: time.Duration(n(13)+n(14)) * clockTick}, nil
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(c); err == nil && st.ppid == pid {
			out = append(out, c)
		}
	}
	return out
}
