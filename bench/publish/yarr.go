package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The peer: yarr (github.com/nkanaev/yarr), a single-user reader on
// SQLite FTS5, whose search API (GET /api/items?search=…, 20 items a page
// with their content, newest first) is what topicfeed's search feeds are
// compared with. -yarr names a yarr checkout or bare git directory; the
// bench builds it (cgo, mattn/go-sqlite3 with the tags of yarr's
// makefile), stores the same generated items in a yarr database through
// yarr's own storage package (so its FTS5 triggers index them), and runs
// the yarr binary on 127.0.0.1 beside topicfeed's servers.

// yarrSeed is a program put into the yarr tree: it reads items as JSON
// lines on stdin and stores them in one feed with yarr's CreateItems.
const yarrSeed = `package main

import (
	"encoding/json"
	"flag"
	"io"
	"log"
	"os"

	"github.com/nkanaev/yarr/src/storage"
	"github.com/nkanaev/yarr/src/storage/model"
)

func main() {
	db := flag.String("db", "", "database file")
	flag.Parse()
	st, err := storage.New(*db)
	if err != nil {
		log.Fatal(err)
	}
	f := st.CreateFeed(model.CreateFeedParams{Title: "bench", Link: "http://127.0.0.1:1/",
		FeedLink: "http://127.0.0.1:1/bench.xml"})
	if f == nil {
		log.Fatal("create feed failed")
	}
	dec := json.NewDecoder(os.Stdin)
	var batch []model.Item
	flush := func() {
		if len(batch) > 0 && !st.CreateItems(batch) {
			log.Fatal("create items failed")
		}
		batch = batch[:0]
	}
	for {
		var it model.Item
		if err := dec.Decode(&it); err == io.EOF {
			break
		} else if err != nil {
			log.Fatal(err)
		}
		it.FeedId, it.Status = f.Id, model.UNREAD
		if batch = append(batch, it); len(batch) == 5000 {
			flush()
		}
	}
	flush()
	if err := st.Close(); err != nil {
		log.Fatal(err)
	}
}
`

// yarrServer is a running yarr.
type yarrServer struct {
	url  string
	cmd  *exec.Cmd
	head string // the commit built
}

func (y *yarrServer) stop() {
	if y != nil && y.cmd != nil && y.cmd.Process != nil {
		y.cmd.Process.Kill()
		y.cmd.Wait()
	}
}

// startYarr builds yarr from src (once per commit, under dir), seeds a
// database of the n generated items (once) and starts it.
func startYarr(ctx context.Context, src, dir string, n int) (*yarrServer, error) {
	tree, head, err := yarrTree(src, dir)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tree, "yarr.bin")
	seed := filepath.Join(tree, "yarrseed.bin")
	if _, err := os.Stat(seed); err != nil {
		os.MkdirAll(filepath.Join(tree, "cmd", "yarrseed"), 0o755)
		if err := os.WriteFile(filepath.Join(tree, "cmd", "yarrseed", "main.go"), []byte(yarrSeed), 0o644); err != nil {
			return nil, err
		}
		fmt.Fprintln(os.Stderr, "building yarr", head, "(cgo; takes a minute or two the first time)")
		tags := "sqlite_foreign_keys sqlite_json sqlite_fts5" // yarr's makefile
		for _, b := range [][2]string{{bin, "./cmd/yarr"}, {seed, "./cmd/yarrseed"}} {
			cmd := exec.CommandContext(ctx, "go", "build", "-mod=mod", "-tags", tags, "-o", b[0], b[1])
			cmd.Dir = tree
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("build yarr %s: %v\n%s", b[1], err, out)
			}
		}
	}
	db := filepath.Join(dir, fmt.Sprintf("yarr-%s-%s-%d.db", head, genVersion, n))
	if _, err := os.Stat(db + ".ready"); err != nil {
		os.Remove(db)
		start := time.Now()
		if err := seedYarr(ctx, seed, db, n); err != nil {
			return nil, err
		}
		os.WriteFile(db+".ready", nil, 0o644)
		fmt.Fprintf(os.Stderr, "yarr database of %d items in %v\n", n, time.Since(start).Round(time.Second))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	y := &yarrServer{url: "http://" + addr, head: head}
	y.cmd = exec.Command(bin, "-db", db, "-addr", addr, "-log-file", filepath.Join(dir, "yarr.log"))
	if err := y.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(y.url + "/api/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return y, nil
			}
		}
		if time.Now().After(deadline) {
			y.stop()
			return nil, fmt.Errorf("yarr did not answer on %s within 30 s (log: %s)", addr, filepath.Join(dir, "yarr.log"))
		}
	}
}

// yarrTree returns a yarr source tree under dir for src, a checkout or a
// bare git directory (whose missing large objects, vendored C sources,
// are not needed: modules come from the module cache).
func yarrTree(src, dir string) (tree, head string, err error) {
	git := func(args ...string) ([]byte, error) {
		return exec.Command("git", append([]string{"--git-dir=" + src}, args...)...).Output()
	}
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err == nil {
		git = func(args ...string) ([]byte, error) {
			return exec.Command("git", append([]string{"-C", src}, args...)...).Output()
		}
	}
	out, err := git("rev-parse", "--short=10", "HEAD")
	if err != nil {
		return "", "", fmt.Errorf("yarr at %s: not a git checkout or git directory: %v", src, err)
	}
	head = strings.TrimSpace(string(out))
	tree = filepath.Join(dir, "yarr-"+head)
	if _, err := os.Stat(filepath.Join(tree, "go.mod")); err == nil {
		return tree, head, nil
	}
	os.MkdirAll(tree, 0o755)
	tar, err := git("archive", "--format=tar", "HEAD", "cmd", "src", "go.mod", "go.sum")
	if err != nil {
		return "", "", fmt.Errorf("yarr at %s: git archive: %v", src, err)
	}
	x := exec.Command("tar", "-x", "-C", tree)
	x.Stdin = bytes.NewReader(tar)
	if out, err := x.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("unpack yarr: %v\n%s", err, out)
	}
	return tree, head, nil
}

// seedYarr stores the n generated items, as bench/publish stores them in
// topicfeed, in a new yarr database.
func seedYarr(ctx context.Context, seed, db string, n int) error {
	cmd := exec.CommandContext(ctx, seed, "-db", db)
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	w := bufio.NewWriter(in)
	enc := json.NewEncoder(w)
	for j := range n {
		it := item(j, n)
		if err := enc.Encode(map[string]any{"guid": it.GUID, "title": it.Title, "link": it.URL,
			"content": it.Content, "date": it.Published}); err != nil {
			return err
		}
	}
	w.Flush()
	in.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("seed yarr: %v\n%s", err, stderr.Bytes())
	}
	return nil
}

// yarrHits is how many items yarr's search API returns on its first page.
func yarrHits(base, q string) (int, error) {
	resp, err := http.Get(base + "/api/items?search=" + q)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var page struct {
		List []json.RawMessage `json:"list"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return 0, err
	}
	return len(page.List), nil
}

// cpu is the yarr process's CPU time, user and system, from /proc (in
// clock ticks of 10 ms: read it over seconds, not per request).
func (y *yarrServer) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", y.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}
