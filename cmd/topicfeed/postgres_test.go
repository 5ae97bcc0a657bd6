package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/internal/pgtest"
)

// TestPostgresCommands runs every command against `database: postgres://…`
// (with a password in the URL, which no output may show): the example
// config's sources and topics plus a remote source on a loopback feed
// server. Each must succeed, except backup, which must refuse in one line
// that points at pg_dump; and each must print what it prints on SQLite.
func TestPostgresCommands(t *testing.T) {
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "pg-s3cret") // the test server trusts local connections
	srv := newFeedServer(t, 3)
	var transcripts [2][]string
	for i, database := range []string{filepath.Join(t.TempDir(), "tf.db"), u.String()} {
		transcripts[i] = commandTranscript(t, database, srv.URL)
	}
	for i, s := range transcripts[0] {
		if p := transcripts[1][i]; s != p {
			t.Errorf("SQLite and PostgreSQL print different things:\n--- sqlite\n%s\n--- postgres\n%s", s, p)
		}
	}
}

// commandTranscript runs every command on database with the example config
// and returns what each printed, with what differs by run (the database,
// temp dirs, the feed server's address, today's times) replaced.
func commandTranscript(t *testing.T, database, feeds string) []string {
	t.Helper()
	pg := strings.HasPrefix(database, "postgres")
	dir := t.TempDir()
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile(filepath.Join(examples, "topicfeed.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReplacer("database: topicfeed.db", "database: '"+database+"'",
		"listen: 127.0.0.1:8080", "listen: 127.0.0.1:0",
		"./articles", filepath.Join(examples, "articles"), "./feeds", filepath.Join(examples, "feeds"),
		"\ntopics:", "\n  - name: alpha\n    url: "+feeds+"/alpha\ntopics:").Replace(string(yaml))
	if !strings.Contains(body, database) || !strings.Contains(body, "/alpha") {
		t.Fatalf("examples/topicfeed.yaml changed; the test cannot set its database:\n%s", body)
	}
	cfg := filepath.Join(dir, "topicfeed.yaml")
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(database)
	norm := strings.NewReplacer(database, "DATABASE", u.Redacted(), "DATABASE", dir, "DIR", feeds, "FEEDS")
	var transcript []string
	ran := map[string]bool{"backup": true, "serve": true, "copy-db": true} // copy-db: copydb_test.go
	// ok runs a command that must succeed and returns its stdout.
	ok := func(args ...string) string {
		t.Helper()
		code, out, errs := run(t, "", append(args, "-config", cfg)...)
		cmd := strings.Join(args, " ")
		ran[args[0]] = true
		if code != exitOK {
			t.Fatalf("%s: status %d\nstdout:\n%s\nstderr:\n%s", cmd, code, out, errs)
		}
		if pw, set := u.User.Password(); set && strings.Contains(out+errs, pw) {
			t.Errorf("%s shows the database password:\n%s%s", cmd, out, errs)
		}
		transcript = append(transcript, fmt.Sprintf("$ topicfeed %s\n%s", norm.Replace(cmd), today(norm.Replace(out+errs))))
		return out
	}

	ok("check")
	ok("version")
	if out := ok("ingest", filepath.Join(examples, "articles"), filepath.Join(examples, "feeds")); !strings.Contains(out, "1 merged as duplicates") {
		t.Errorf("ingest of the examples merged no duplicate (the tram line story is there twice): %q", out)
	}
	ok("topics")
	ok("sources")
	tram := searchID(t, cfg, "tram AND title:valdmarsk")
	explained := ok("explain", "-item", tram)
	copies := regexp.MustCompile(`(?m)^  copy (\d+) from `).FindAllStringSubmatch(explained, -1)
	if len(copies) != 2 {
		t.Fatalf("explain -item %s: want the tram story's two copies:\n%s", tram, explained)
	}
	ok("explain", "rail")
	split := regexp.MustCompile(`split off as item (\d+)`).FindStringSubmatch(ok("split", tram, copies[1][1]))
	if split == nil {
		t.Fatal("split printed no new item")
	}
	ok("explain", "-item", split[1])
	// New items come before the merge: SQLite gives the next item the id
	// of the newest one if that was deleted (merged away), PostgreSQL
	// never reuses an id, and the transcripts would differ in every id.
	if out := ok("refresh"); !strings.Contains(out, "3 new") {
		t.Errorf("refresh of the loopback feed stored no 3 new items: %q", out)
	}
	ok("merge", tram, split[1])
	ok("explain", "-item", tram)
	for _, c := range []string{"pin", "unpin", "hide", "unhide", "pin"} {
		ok(c, "rail", tram)
	}
	for _, f := range []string{"rss", "atom", "json"} {
		if out := ok("render", "rail", "-format", f); !strings.Contains(out, "Valdmarsk") {
			t.Errorf("render rail -format %s lacks the tram story:\n%s", f, out)
		}
	}
	ok("search", "solar OR grid")
	ok("search", "solar OR grid", "-format", "atom")
	opml := filepath.Join(dir, "subs.opml")
	os.WriteFile(opml, []byte(`<?xml version="1.0"?><opml version="2.0"><body>`+
		`<outline text="Beta" type="rss" xmlUrl="`+feeds+`/beta"/></body></opml>`), 0o644)
	ok("opml", "import", opml)
	if out := ok("opml", "export"); !strings.Contains(out, feeds+"/beta") {
		t.Errorf("opml export lacks the imported source:\n%s", out)
	}
	ok("refresh", "-source", "beta", "-force")
	ok("topics")
	ok("sources")
	ok("prune")
	ok("render", "all", "-format", "json")

	code, out, errs := run(t, "", "backup", filepath.Join(dir, "copy.db"), "-config", cfg)
	if pg && (code == exitOK || out != "" || !strings.Contains(errs, "pg_dump") || strings.Count(strings.TrimSpace(errs), "\n") != 0) {
		t.Errorf("backup on PostgreSQL: status %d, stdout %q, stderr %q; want a failure in one line naming pg_dump", code, out, errs)
	}
	if !pg && code != exitOK {
		t.Errorf("backup on SQLite: status %d: %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "copy.db")); pg && err == nil {
		t.Error("backup on PostgreSQL wrote a file")
	}

	logs, stop := serveInProcess(t, cfg)
	base := waitAddr(t, logs)
	for _, path := range []string{"/topics/rail.rss", "/search.json?q=tram"} {
		if resp, body := get(t, base+path); resp.StatusCode != 200 || !strings.Contains(body, "Valdmarsk") {
			t.Errorf("serve %s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	stop()
	if pw, set := u.User.Password(); set && strings.Contains(logs.String(), pw) {
		t.Errorf("serve logs the database password:\n%s", logs)
	}
	for _, c := range commands {
		if pg && !ran[c.name] {
			t.Errorf("command %s is not run here", c.name)
		}
	}
	return transcript
}

var dateTimes = regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?|` +
	`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d ([+-]\d{4}|GMT)`)

// today replaces the times of yesterday, today and tomorrow (fetches,
// next polls, the dates of undated entries) with NOW.
func today(s string) string {
	return dateTimes.ReplaceAllStringFunc(s, func(m string) string {
		for _, layout := range []string{"2006-01-02 15:04", time.RFC3339Nano, time.RFC1123Z, time.RFC1123} {
			if at, err := time.Parse(layout, m); err == nil {
				if d := time.Since(at); d < 48*time.Hour && d > -48*time.Hour {
					return "NOW"
				}
				return m
			}
		}
		return m
	})
}
