package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

const heatwave = `Heatwave Closes Schools In The Valley

March 3, 2026

A heatwave pushed temperatures past forty degrees in the valley for the sixth day running.
Hospitals opened cooling rooms and the water board asked residents to avoid washing cars.
`

// curateSetup ingests the harbour article (in topic harbour) and the
// heatwave one (not in it) and returns the config and both item ids.
func curateSetup(t *testing.T) (cfg, harbourID, heatID string) {
	t.Helper()
	dir := t.TempDir()
	cfg = writeConfig(t, dir, "")
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	os.WriteFile(filepath.Join(in, "terminal.txt"), []byte(article), 0o644)
	os.WriteFile(filepath.Join(in, "heat.txt"), []byte(heatwave), 0o644)
	if code, _, errs := run(t, "", "ingest", "-config", cfg, in); code != 0 {
		t.Fatalf("ingest: status %d: %s", code, errs)
	}
	return cfg, searchID(t, cfg, "harbour"), searchID(t, cfg, "heatwave")
}

// searchID runs `topicfeed search` and returns the id of its one result.
func searchID(t *testing.T, cfg, q string) string {
	t.Helper()
	code, out, errs := run(t, "", "search", "-config", cfg, q)
	if code != 0 {
		t.Fatalf("search %s: status %d: %s", q, code, errs)
	}
	m := regexp.MustCompile(`(?m)^(\d+)\s+\d{4}-`).FindAllStringSubmatch(out, -1)
	if len(m) != 1 || !strings.Contains(out, "1 items") {
		t.Fatalf("search %s: want one item:\n%s", q, out)
	}
	return m[0][1]
}

// renderTitles renders topic harbour and returns its item titles in order.
func renderTitles(t *testing.T, cfg string) []string {
	t.Helper()
	code, out, errs := run(t, "", "render", "-config", cfg, "harbour", "-format", "json")
	if code != 0 {
		t.Fatalf("render: status %d: %s", code, errs)
	}
	f, err := gofeed.NewParser().ParseString(out)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, it := range f.Items {
		titles = append(titles, it.Title)
	}
	return titles
}

func TestCurateCommands(t *testing.T) {
	cfg, harbour, heat := curateSetup(t)
	const harbourTitle, heatTitle = "Harbour Terminal Approved After Three Years", "Heatwave Closes Schools In The Valley"
	steps := []struct {
		args []string
		code int
		want []string // topic titles afterwards
	}{
		{[]string{"pin", "harbour", heat}, 0, []string{heatTitle, harbourTitle}},
		{[]string{"hide", "harbour", harbour}, 0, []string{heatTitle}},
		{[]string{"unpin", "harbour", harbour}, 1, []string{heatTitle}}, // hidden, not pinned
		{[]string{"unhide", "harbour", harbour}, 0, []string{heatTitle, harbourTitle}},
		{[]string{"unpin", "harbour", heat}, 0, []string{harbourTitle}},
		{[]string{"pin", "nosuch", heat}, 1, []string{harbourTitle}},
		{[]string{"pin", "harbour", "999"}, 1, []string{harbourTitle}},
		{[]string{"pin", "harbour", "first"}, 2, []string{harbourTitle}},
		{[]string{"pin", "harbour"}, 2, []string{harbourTitle}},
	}
	for _, s := range steps {
		code, out, errs := run(t, "", append(s.args, "-config", cfg)...)
		if code != s.code {
			t.Fatalf("%v: status %d, want %d\n%s%s", s.args, code, s.code, out, errs)
		}
		if code == 0 && !strings.Contains(out, map[string]string{"pin": "pinned item ", "hide": "hidden item ",
			"unpin": "unpinned item ", "unhide": "unhidden item "}[s.args[0]]) {
			t.Errorf("%v: stdout %q", s.args, out)
		}
		if code != 0 && strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: error is not one line: %q", s.args, errs)
		}
		if got := renderTitles(t, cfg); strings.Join(got, "|") != strings.Join(s.want, "|") {
			t.Errorf("after %v: topic holds %q, want %q", s.args, got, s.want)
		}
	}
}

func TestSearchCommand(t *testing.T) {
	cfg, _, _ := curateSetup(t)
	code, out, errs := run(t, "", "search", "-config", cfg, "-format", "rss", "title:heatwave OR berths")
	if code != 0 {
		t.Fatalf("status %d: %s", code, errs)
	}
	f, err := gofeed.NewParser().ParseString(out)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "Search: title:heatwave OR berths" || len(f.Items) != 2 {
		t.Errorf("feed %q with %d items, want both items", f.Title, len(f.Items))
	}
	code, _, errs = run(t, "", "search", "-config", cfg, "harbour AND (port")
	if code != 2 || !strings.Contains(errs, "query: column 13: unclosed") {
		t.Errorf("bad query: status %d %q, want 2 naming the column", code, errs)
	}
	code, out, _ = run(t, "", "search", "-config", cfg, "-limit", "1", "NOT nothing")
	if code != 0 || !strings.Contains(out, "1 items") {
		t.Errorf("-limit 1: status %d\n%s", code, out)
	}
}
