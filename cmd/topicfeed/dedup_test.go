package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

// deskStory and wireStory are one story as two sites carry it, with other
// chrome, dated today so no retention age turns them away.
func deskStory() string {
	return strings.Replace(article, "March 2, 2026", time.Now().Format("January 2, 2006"), 1)
}

func wireStory() string {
	return "Wire Service | Latest\n\nHarbour Terminal Approved After Three Years\n\n" + time.Now().Format("2 January 2006") +
		"\n\nThe harbour authority approved a second container terminal on Monday after three years of hearings.\n\n" +
		"The terminal will double capacity and add four deep-water berths.\n\nShare this story\n"
}

// TestSplitMergeCommands: an editor splits a copy off, re-ingest keeps it
// split, merges it back, and re-ingest keeps it merged; explain shows
// each step, and bad requests fail with one line.
func TestSplitMergeCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "sources:\n  - name: desk\n    path: ./desk\n  - name: wire\n    path: ./wire\n")
	for name, body := range map[string]string{"desk/terminal.txt": deskStory(), "wire/terminal.txt": wireStory()} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	ingest := func(want string) {
		t.Helper()
		code, out, errs := run(t, "", "ingest", "-config", cfg, filepath.Join(dir, "desk"), filepath.Join(dir, "wire"))
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("ingest: status %d, want %q in\n%s%s", code, want, out, errs)
		}
	}
	explain := func(id string) string {
		t.Helper()
		code, out, errs := run(t, "", "explain", "-config", cfg, "-item", id)
		if code != 0 {
			t.Fatalf("explain -item %s: status %d: %s", id, code, errs)
		}
		return out
	}
	ingest("1 merged as duplicates")
	item := searchID(t, cfg, "source:desk")
	m := regexp.MustCompile(`(?m)^  copy (\d+) from wire \(file://.*/wire/terminal.txt\): `).FindStringSubmatch(explain(item))
	if m == nil {
		t.Fatalf("explain lists no wire copy by id:\n%s", explain(item))
	}
	wire := m[1]

	code, out, errs := run(t, "", "split", item, "wire", "-config", cfg)
	if code != 0 {
		t.Fatalf("split: status %d: %s", code, errs)
	}
	split := searchID(t, cfg, "source:wire")
	if want := "item " + item + ": copy " + wire + " (wire) split off as item " + split + "\n"; out != want || split == item {
		t.Errorf("split printed %q, want %q", out, want)
	}
	ingest("1 updated") // the new item is rebuilt from its copy's own text
	ingest("2 unchanged")
	if out := explain(split); !regexp.MustCompile(`copy ` + wire + ` from wire \(.*\): split by editor at \d{4}-\d\d-\d\dT[0-9:]+Z from item ` + item + "\n").MatchString(out) {
		t.Errorf("explain of the split item:\n%s", out)
	}
	if out := explain(item); strings.Contains(out, "from wire") {
		t.Errorf("the split copy is still in item %s after re-ingest:\n%s", item, out)
	}

	code, out, errs = run(t, "", "merge", item, split, "-config", cfg)
	if code != 0 || out != "item "+item+": item "+split+" merged in (1 copy moved)\n" {
		t.Fatalf("merge: status %d: %q %s", code, out, errs)
	}
	ingest("2 unchanged")
	if got := searchID(t, cfg, "source:wire"); got != item {
		t.Errorf("wire's copy is in item %s after merge and re-ingest, want %s", got, item)
	}
	if out := explain(item); !regexp.MustCompile(`copy ` + wire + ` from wire \(.*\): merged by editor at \S+ from item ` + split + "\n").MatchString(out) {
		t.Errorf("explain after merge:\n%s", out)
	}

	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"split", item, "desk"}, 1, "is the copy the item was made from; split its other copies off instead"},
		{[]string{"split", item, "9999"}, 1, `item ` + item + `: copy "9999": not found`},
		{[]string{"split", "9999", wire}, 1, "item 9999: not found"},
		{[]string{"merge", item, item}, 1, "item " + item + ": cannot merge an item into itself"},
		{[]string{"merge", item, split}, 1, "item " + split + ": not found"}, // merged away already
		{[]string{"merge", "first", item}, 2, `item "first": want a numeric item id`},
		{[]string{"split", item}, 2, "want ITEM COPY"},
		{[]string{"merge", item}, 2, "want ITEM OTHER"},
	} {
		code, out, errs := run(t, "", append(tc.args, "-config", cfg)...)
		if code != tc.code || out != "" || !strings.Contains(errs, tc.err) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want %d and one line with %q", tc.args, code, out, errs, tc.code, tc.err)
		}
	}
}

// TestSplitMergeKeepConsoleRule: split and merge sort the items they
// touch into topics by the rule in force, a rule saved from the console
// included, not by the config file's.
func TestSplitMergeKeepConsoleRule(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "sources:\n  - name: desk\n    path: ./desk\n  - name: wire\n    path: ./wire\n")
	for name, body := range map[string]string{"desk/terminal.txt": deskStory(), "wire/terminal.txt": wireStory()} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	if code, _, errs := run(t, "", "ingest", "-config", cfg, filepath.Join(dir, "desk"), filepath.Join(dir, "wire")); code != 0 {
		t.Fatal(errs)
	}
	// The console narrows harbour to what neither copy says.
	db, err := store.Open(context.Background(), filepath.Join(dir, "tf.db"))
	if err != nil {
		t.Fatal(err)
	}
	rule, err := feed.ParseRule("orchard")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveRule(context.Background(), &feed.Topic{Name: "harbour", Match: rule}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	harbour := func() string {
		t.Helper()
		_, out, _ := run(t, "", "topics", "-config", cfg)
		return regexp.MustCompile(`(?m)^harbour\s+(\d+)`).FindStringSubmatch(out)[1]
	}
	if got := harbour(); got != "0" {
		t.Fatalf("harbour holds %s items under the console's rule, want 0", got)
	}
	item := searchID(t, cfg, "source:desk")
	if code, _, errs := run(t, "", "split", item, "wire", "-config", cfg); code != 0 {
		t.Fatal(errs)
	}
	if got := harbour(); got != "0" {
		t.Errorf("after split harbour holds %s items, want 0: judged by the config file's rule", got)
	}
	split := searchID(t, cfg, "source:wire")
	if code, _, errs := run(t, "", "merge", item, split, "-config", cfg); code != 0 {
		t.Fatal(errs)
	}
	if got := harbour(); got != "0" {
		t.Errorf("after merge harbour holds %s items, want 0: judged by the config file's rule", got)
	}
}
