package fetch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// artCorpus is the top-level corpus of article files from many kinds of
// site; see its README for the .want format.
const artCorpus = "../testdata/articles"

// artCorpusWant is one NAME.want file.
type artCorpusWant struct {
	title  string
	date   *string // nil: "none", the modification time
	chrome []string
	body   []string
}

// artCorpusFiles returns each article file of the corpus with its .want.
func artCorpusFiles(t testing.TB) map[string]string {
	t.Helper()
	wants, err := filepath.Glob(filepath.Join(artCorpus, "*.want"))
	if err != nil || len(wants) == 0 {
		t.Fatalf("no .want files in %s (%v)", artCorpus, err)
	}
	m := map[string]string{}
	for _, w := range wants {
		stem := strings.TrimSuffix(w, ".want")
		var found []string
		for _, ext := range []string{".txt", ".md", ".html"} {
			if _, err := os.Stat(stem + ext); err == nil {
				found = append(found, stem+ext)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%s: want exactly one article file beside it, found %v", w, found)
		}
		m[found[0]] = w
	}
	return m
}

func artReadCorpusWant(path string) (artCorpusWant, error) {
	var w artCorpusWant
	data, err := os.ReadFile(path)
	if err != nil {
		return w, err
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		val = strings.TrimSpace(val)
		if !ok || val == "" {
			return w, fmt.Errorf("%s:%d: want \"key: value\"", path, n)
		}
		switch key {
		case "title":
			w.title = val
		case "date":
			if val != "none" {
				if !regexp.MustCompile(`^\d{4}-\d\d-\d\d$`).MatchString(val) {
					return w, fmt.Errorf("%s:%d: date %q: want YYYY-MM-DD or none", path, n, val)
				}
				w.date = &val
			}
		case "chrome":
			w.chrome = append(w.chrome, val)
		case "body":
			w.body = append(w.body, val)
		default:
			return w, fmt.Errorf("%s:%d: unknown key %q", path, n, key)
		}
		if (key == "title" || key == "date") && seen[key] {
			return w, fmt.Errorf("%s:%d: %s given twice", path, n, key)
		}
		seen[key] = true
	}
	if !seen["title"] || !seen["date"] {
		return w, fmt.Errorf("%s: title and date are required", path)
	}
	return w, sc.Err()
}

// TestArticleCorpus parses every file of testdata/articles and checks its
// title, date, that every chrome line is gone and every body paragraph is
// kept, each paragraph whole. With -v it prints one line per file.
func TestArticleCorpus(t *testing.T) {
	files := artCorpusFiles(t)
	var names []string
	for in := range files {
		names = append(names, in)
	}
	sort.Strings(names)
	kinds := map[string]int{}
	var chromeAll, chromeGone, bodyAll, bodyKept, exact int
	for _, in := range names {
		kinds[filepath.Ext(in)]++
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			want, err := artReadCorpusWant(files[in])
			if err != nil {
				t.Fatal(err)
			}
			it := artMustParse(t, in)
			var problems []string
			titleOK := artSquash(it.Title) == artSquash(want.title)
			if !titleOK {
				t.Errorf("title\n got %q\nwant %q", it.Title, want.title)
				problems = append(problems, "title")
			}
			before := t.Failed()
			artCheckDate(t, it, want.date, false)
			if t.Failed() && !before {
				problems = append(problems, "date")
			}
			seen := artVisible(it)
			gone := 0
			for _, c := range want.chrome {
				if strings.Contains(seen, artSquash(c)) {
					t.Errorf("chrome kept: %q", c)
				} else {
					gone++
				}
			}
			paras := strings.Split(it.Text, "\n\n")
			for i, p := range paras {
				paras[i] = artSquash(p)
			}
			kept := 0
			for _, b := range want.body {
				b = artSquash(b)
				found := false
				for _, p := range paras {
					found = found || strings.HasPrefix(p, b)
				}
				switch {
				case found:
					kept++
				case strings.Contains(artSquash(it.Text), b):
					t.Errorf("body paragraph not whole (run together with another, or broken): %q", b)
				default:
					t.Errorf("body paragraph lost: %q", b)
				}
			}
			if gone < len(want.chrome) {
				problems = append(problems, "chrome")
			}
			if kept < len(want.body) {
				problems = append(problems, "body")
			}
			chromeAll, chromeGone = chromeAll+len(want.chrome), chromeGone+gone
			bodyAll, bodyKept = bodyAll+len(want.body), bodyKept+kept
			status := "ok"
			if len(problems) > 0 {
				status = "FAIL " + strings.Join(problems, ",")
				t.Logf("text:\n%s", it.Text)
			} else {
				exact++
			}
			t.Logf("%-4s %-46s title %-5v date %s chrome %d/%d gone, body %d/%d kept, %d paragraphs",
				status, name, titleOK, it.Published.Format("2006-01-02"), gone, len(want.chrome),
				kept, len(want.body), len(paras))
		})
	}
	t.Logf("corpus: %d files (%d .txt, %d .md, %d .html), %d fully right; chrome %d/%d gone, body %d/%d kept",
		len(names), kinds[".txt"], kinds[".md"], kinds[".html"], exact, chromeGone, chromeAll, bodyKept, bodyAll)
	if len(names) < 30 || kinds[".txt"] < 5 || kinds[".md"] < 5 || kinds[".html"] < 5 {
		t.Errorf("corpus too small: %v", kinds)
	}
}

// BenchmarkParseArticleCorpus parses the whole corpus once per iteration.
func BenchmarkParseArticleCorpus(b *testing.B) { benchParseArticles(b, artCorpusFiles(b)) }

// TestArticleExtractors measures what each HTML extractor hands to the
// text heuristics, on the HTML files of the corpus and the devset: how
// many listed chrome lines it passes on, and how many story paragraphs it
// keeps. The readability extractor must keep every story paragraph and
// pass on fewer chrome lines than the plain walker. -v prints the counts.
func TestArticleExtractors(t *testing.T) {
	type tally struct{ chrome, chromeIn, body, bodyIn, units int }
	var res [2]tally
	measure := func(path string, chrome, body []string) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src, err := artDecode(data, artHTML)
		if err != nil {
			t.Fatal(err)
		}
		for i, use := range []bool{false, true} {
			artUseReadability = use
			units, _ := artHTMLUnits(src)
			artUseReadability = true
			var all []string
			for _, u := range units {
				all = append(all, artSquash(u.text))
			}
			joined := strings.Join(all, "\n")
			r := &res[i]
			r.units += len(units)
			for _, c := range chrome {
				r.chrome++
				if strings.Contains(joined, artSquash(c)) {
					r.chromeIn++
				}
			}
			for _, b := range body {
				r.body++
				if strings.Contains(joined, artSquash(b)) {
					r.bodyIn++
				} else if use {
					t.Errorf("%s: readability lost %q", filepath.Base(path), b)
				}
			}
		}
	}
	files := 0
	for in, wantFile := range artCorpusFiles(t) {
		if filepath.Ext(in) != ".html" {
			continue
		}
		want, err := artReadCorpusWant(wantFile)
		if err != nil {
			t.Fatal(err)
		}
		measure(in, want.chrome, want.body)
		files++
	}
	if data, err := os.ReadFile(filepath.Join(artDevset, "labels.json")); err == nil {
		var l artLabels
		if err := json.Unmarshal(data, &l); err != nil {
			t.Fatal(err)
		}
		for file, want := range l.Expected {
			if filepath.Ext(file) != ".html" {
				continue
			}
			path := filepath.Join(artDevset, "articles", file)
			chrome := map[string]bool{}
			for _, c := range want.Chrome {
				chrome[artSquash(c)] = true
			}
			var body []string
			for _, line := range artSourceLines(t, path) {
				if len(line) >= 80 && !chrome[line] { // the story's paragraphs
					body = append(body, line)
				}
			}
			measure(path, want.Chrome, body)
			files++
		}
	}
	for i, name := range []string{"walker", "readability"} {
		r := res[i]
		t.Logf("%-11s %d HTML files: chrome lines passed on %d/%d, story paragraphs kept %d/%d, %d units",
			name, files, r.chromeIn, r.chrome, r.bodyIn, r.body, r.units)
	}
	if res[1].chromeIn > res[0].chromeIn {
		t.Errorf("readability passes on more chrome than the walker: %d > %d", res[1].chromeIn, res[0].chromeIn)
	}
}
