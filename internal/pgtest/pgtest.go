// Package pgtest starts a throwaway PostgreSQL server for tests.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const minMajor = 15

type binaries struct{ initdb, pgctl string }

var (
	lookup = sync.OnceValues(findBinaries)
	dbSeq  atomic.Int64

	mu       sync.Mutex
	dir      string // temp dir holding data/, the socket and log; "" when no server
	running  bool
	startErr error
	watchdog *exec.Cmd
	// The watchdog stops the server when this pipe closes, which the kernel
	// also does when the test binary dies without running Main's cleanup
	// (panic, timeout, SIGKILL). Kept in a variable so no finalizer closes it.
	watchdogPipe io.WriteCloser
	startupTime  time.Duration // initdb + first start
)

// Available reports whether server binaries were found (no server is started).
func Available() bool {
	_, err := lookup()
	return err == nil
}

// DSN returns the URL of a new, empty database on this test binary's
// throwaway server, starting the server on first use. It skips tb when no
// PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed.
func DSN(tb testing.TB) string {
	tb.Helper()
	if _, err := lookup(); err != nil {
		tb.Skipf("pgtest: %v", err)
	}
	mu.Lock()
	if dir == "" && startErr == nil {
		startErr = setup()
	}
	d, err := dir, startErr
	mu.Unlock()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}

	name := fmt.Sprintf("t%d", dbSeq.Add(1))
	if err := createDatabase(d, name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dsn(d, name)
}

func createDatabase(dir, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn(dir, "postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name+" STRATEGY FILE_COPY")
	return err
}

// Server is the throwaway server as a program that is not a test sees it
// (a benchmark): Launch starts it.
type Server struct{ dir string }

// Launch starts the throwaway server as DSN does on first use, for a
// program without a testing.TB; it returns the one already running if
// there is one. Stop stops it and removes its files; should the program die
// first, a watchdog process does that (as it does for a test binary).
func Launch() (*Server, error) {
	if _, err := lookup(); err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	if dir == "" && startErr == nil {
		startErr = setup()
	}
	if startErr != nil {
		return nil, startErr
	}
	return &Server{dir: dir}, nil
}

// Database creates a new, empty database and returns its URL.
func (s *Server) Database() (string, error) {
	name := fmt.Sprintf("t%d", dbSeq.Add(1))
	if err := createDatabase(s.dir, name); err != nil {
		return "", err
	}
	return dsn(s.dir, name), nil
}

// PID returns the process id of the server's postmaster (the parent of
// every backend), from its postmaster.pid file.
func (s *Server) PID() (int, error) {
	b, err := os.ReadFile(s.dir + "/data/postmaster.pid")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

// Stop stops the server and removes its files.
func (s *Server) Stop() { shutdown() }

// The explicit port keeps a PGPORT in the environment from redirecting clients.
func dsn(dir, db string) string {
	return "postgres://postgres@/" + db + "?host=" + dir + "&port=5432&sslmode=disable"
}

// Main runs m and stops the server if one was started; use from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m interface{ Run() int }) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		shutdown()
		fmt.Fprintf(os.Stderr, "pgtest: %v: server stopped\n", s)
		os.Exit(2)
	}()
	code := m.Run()
	shutdown()
	os.Exit(code)
}

// Restart stops the server with `pg_ctl stop -m immediate` (as a crash
// would) and starts it again on the same data directory and socket, for fault
// tests. Existing connections break.
func Restart(tb testing.TB) {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if err := stopLocked(); err != nil {
		tb.Fatalf("pgtest: restart: %v", err)
	}
	if err := startLocked(); err != nil {
		tb.Fatalf("pgtest: restart: %v", err)
	}
}

// Stop stops the server like Restart does, for tests that hold it down for a
// while; Start brings it back.
func Stop(tb testing.TB) {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if err := stopLocked(); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
}

// Start starts the server again after Stop.
func Start(tb testing.TB) {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if err := startLocked(); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
}

func stopLocked() error {
	if !running {
		return errors.New("server is not running")
	}
	bins, _ := lookup()
	if out, err := pgCmd(bins.pgctl, "stop", "-D", dir+"/data", "-m", "immediate", "-w").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, bytesTrim(out))
	}
	running = false
	return nil
}

func startLocked() error {
	if dir == "" {
		return errors.New("no server was set up (call DSN first)")
	}
	if running {
		return errors.New("server is already running")
	}
	bins, _ := lookup()
	log := dir + "/log"
	if out, err := pgCmd(bins.pgctl, "start", "-D", dir+"/data", "-l", log, "-w", "-t", "60").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s\n%s (last lines):\n%s", err, bytesTrim(out), log, tail(log, 20))
	}
	running = true
	return nil
}

func setup() (err error) {
	t0 := time.Now()
	removeStale()
	bins, _ := lookup()
	if dir, err = os.MkdirTemp("/tmp", "pgtest"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w (after %v)", err, time.Since(t0).Round(time.Millisecond))
			if running {
				stopLocked()
			}
			os.RemoveAll(dir)
			dir = ""
		}
	}()
	if os.Geteuid() == 0 {
		// The dir is still empty, so chowning it alone is recursive enough.
		u, err := user.Lookup("nobody")
		if err != nil {
			return err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return err
		}
	}
	out, err := pgCmd(bins.initdb, "-D", dir+"/data", "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %v: %s", err, bytesTrim(out))
	}
	// synchronous_commit=on is kept: with fsync=off it costs only a write(),
	// and off would lose the last commits on Restart's simulated crash.
	conf := fmt.Sprintf(`
listen_addresses = ''
unix_socket_directories = '%s'
port = 5432
max_connections = 200
fsync = off
synchronous_commit = on
full_page_writes = off
`, dir)
	f, err := os.OpenFile(dir+"/data/postgresql.conf", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := startLocked(); err != nil {
		return err
	}
	startupTime = time.Since(t0)

	// A detached shell that stops the server and removes dir once the pipe
	// from this process closes; its own session keeps ^C from killing it first.
	w := exec.Command("/bin/sh", append([]string{"-c", `read _; "$@" stop -D "$0/data" -m immediate; rm -rf "$0"`, dir},
		pgArgs(bins.pgctl)...)...)
	w.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	w.Dir = "/"
	if watchdogPipe, err = w.StdinPipe(); err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return err
	}
	watchdog = w
	return nil
}

// shutdown stops the server and removes its dir, via the watchdog.
func shutdown() {
	mu.Lock()
	defer mu.Unlock()
	if watchdog == nil {
		return
	}
	watchdogPipe.Close()
	watchdog.Wait()
	watchdog, dir, running = nil, "", false
}

// PostgreSQL refuses to run as root, so as root its tools run as nobody.
func pgArgs(name string, args ...string) []string {
	if os.Geteuid() == 0 {
		return append([]string{"runuser", "-u", "nobody", "--", name}, args...)
	}
	return append([]string{name}, args...)
}

func pgCmd(name string, args ...string) *exec.Cmd {
	a := pgArgs(name, args...)
	cmd := exec.Command(a[0], a[1:]...)
	cmd.Dir = dir // nobody may not be able to read the test's working directory
	return cmd
}

func findBinaries() (binaries, error) {
	var cands []binaries
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if pgctl, err := exec.LookPath("pg_ctl"); err == nil {
			cands = append(cands, binaries{initdb, pgctl})
		}
	}
	// Debian's postgresql package does not put the server tools on PATH.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return dirVersion(b) - dirVersion(a) })
	for _, d := range dirs {
		cands = append(cands, binaries{d + "/initdb", d + "/pg_ctl"})
	}
	if len(cands) == 0 {
		return binaries{}, errors.New("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin; install Debian's postgresql package")
	}
	var why []string
	for _, c := range cands {
		if err := c.check(); err != nil {
			why = append(why, err.Error())
			continue
		}
		if os.Geteuid() == 0 {
			if _, err := exec.LookPath("runuser"); err != nil {
				return binaries{}, errors.New("running as root needs runuser to start PostgreSQL as nobody")
			}
		}
		return c, nil
	}
	return binaries{}, errors.New(strings.Join(why, "; "))
}

func dirVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// check runs the binaries, since initdb on PATH may be a wrapper or a stale
// link; pg_ctl runs the postgres next to its resolved path, so that is checked too.
func (b binaries) check() error {
	real, err := filepath.EvalSymlinks(b.pgctl)
	if err != nil {
		return err
	}
	want := 0
	for _, p := range []string{b.initdb, b.pgctl, filepath.Join(filepath.Dir(real), "postgres")} {
		out, err := exec.Command(p, "--version").Output()
		if err != nil {
			return fmt.Errorf("%s --version: %v", p, err)
		}
		m := versionRE.FindSubmatch(out)
		if m == nil {
			return fmt.Errorf("%s --version: unexpected output %q", p, bytesTrim(out))
		}
		v, _ := strconv.Atoi(string(m[1]))
		if v < minMajor {
			return fmt.Errorf("%s is PostgreSQL %d, need %d or newer", p, v, minMajor)
		}
		if want == 0 {
			want = v
		} else if v != want {
			return fmt.Errorf("%s is PostgreSQL %d, but %s is %d", p, v, b.initdb, want)
		}
	}
	return nil
}

// removeStale removes dirs that earlier test binaries left behind when even
// the watchdog could not clean up; best effort.
func removeStale() {
	dirs, _ := filepath.Glob("/tmp/pgtest[0-9]*")
	for _, d := range dirs {
		fi, err := os.Stat(d + "/data/PG_VERSION") // only dirs that look like ours
		if err != nil || time.Since(fi.ModTime()) < 24*time.Hour {
			continue
		}
		if b, err := os.ReadFile(d + "/data/postmaster.pid"); err == nil {
			pid, _ := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
			if pid > 0 && syscall.Kill(pid, 0) != syscall.ESRCH {
				continue
			}
		}
		os.RemoveAll(d)
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func bytesTrim(b []byte) string { return strings.TrimSpace(string(b)) }
