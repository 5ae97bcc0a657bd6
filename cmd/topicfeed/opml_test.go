package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// exported runs `opml export` and returns name → xmlUrl of its outlines.
func exported(t *testing.T, cfg string) map[string]string {
	t.Helper()
	code, out, errs := run(t, "", "opml", "export", "-config", cfg)
	if code != exitOK {
		t.Fatalf("opml export: %d %s", code, errs)
	}
	outlines, err := feed.ReadOPML(strings.NewReader(out))
	if err != nil {
		t.Fatalf("export is not OPML: %v\n%s", err, out)
	}
	if !strings.Contains(out, `<opml version="2.0">`) {
		t.Errorf("export is not OPML 2.0:\n%s", out)
	}
	got := map[string]string{}
	for _, o := range outlines {
		got[o.Title] = o.XMLURL
	}
	return got
}

func TestOPMLImportNested(t *testing.T) {
	srv := newFeedServer(t, 2)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, sourcesYAML(srv.URL, "alpha")+"  - name: desk\n    path: ./desk\n")
	opml := filepath.Join(dir, "subs.opml")
	body := `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="News">
    <outline text="Le Monde — À la une" title="Le Monde — À la une" type="rss" xmlUrl="` + srv.URL + `/lemonde" htmlUrl="https://www.lemonde.fr/"/>
    <outline text="Harbour Daily" type="rss" xmlUrl="` + srv.URL + `/harbour"/>
    <outline text="Deeper"><outline title="Harbour Daily" type="rss" xmlUrl="` + srv.URL + `/harbour2"/></outline>
  </outline>
  <outline text="Alpha again" type="rss" xmlUrl="` + srv.URL + `/alpha"/>
  <outline text="Broken" type="rss" xmlUrl="feed://nowhere"/>
</body></opml>`
	if err := os.WriteFile(opml, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "opml", "import", opml, "-config", cfg)
	if code != exitFailed {
		t.Errorf("import with one bad outline: status %d, want 1", code)
	}
	if !strings.Contains(out, "3 sources added, 1 already present, 1 rejected") || !strings.Contains(out, "stored in the database") {
		t.Errorf("stdout %q, want counts and the database note", out)
	}
	if !strings.Contains(errs, `outline "Broken": xmlUrl "feed://nowhere"`) {
		t.Errorf("stderr %q does not name the bad outline", errs)
	}
	want := map[string]string{
		"alpha":             srv.URL + "/alpha",
		"le-monde-a-la-une": srv.URL + "/lemonde",
		"harbour-daily":     srv.URL + "/harbour",
		"harbour-daily-2":   srv.URL + "/harbour2",
	}
	got := exported(t, cfg)
	for name, u := range want {
		if got[name] != u {
			t.Errorf("exported %s = %q, want %q (all: %v)", name, got[name], u, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("exported %d feeds, want %d (no folder source): %v", len(got), len(want), got)
	}
	// Imported sources are trusted: refresh fetches them from loopback.
	code, _, errs = run(t, "", "refresh", "-source", "harbour-daily", "-config", cfg)
	if hits, _ := srv.count("harbour"); code != exitOK || hits != 1 {
		t.Errorf("refresh of an imported source: %d %q, %d requests", code, errs, hits)
	}
	// Importing the same file again adds nothing.
	_, out, _ = run(t, "", "opml", "import", opml, "-config", cfg)
	if !strings.Contains(out, "0 sources added, 4 already present") {
		t.Errorf("re-import: %q, want nothing added", out)
	}
}

func TestOPMLRoundTrip(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	cfgA := writeConfig(t, dirA, sourcesYAML("http://feeds.example.org", "dawn", "wires", "launches"))
	code, out, _ := run(t, "", "opml", "export", "-config", cfgA)
	if code != exitOK {
		t.Fatal("export failed")
	}
	file := filepath.Join(dirB, "a.opml")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgB := writeConfig(t, dirB, "")
	if code, _, errs := run(t, "", "opml", "import", file, "-config", cfgB); code != exitOK {
		t.Fatalf("import of an export: %d %s", code, errs)
	}
	a, b := exported(t, cfgA), exported(t, cfgB)
	names := func(m map[string]string) []string {
		var out []string
		for k, v := range m {
			out = append(out, k+" "+v)
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(names(a), names(b)) {
		t.Errorf("round trip changed the sources:\n%v\n%v", names(a), names(b))
	}
	if code, _, _ := run(t, "", "opml", "import", "-config", cfgB); code != exitBadConfig {
		t.Errorf("import without FILE: %d, want 2", code)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Le Monde — À la une":      "le-monde-a-la-une",
		"  BBC News: World  ":      "bbc-news-world",
		"https://example.org/feed": "example-org-feed",
		"日本語":                      "feed",
		"snake_case_name":          "snake_case_name",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
