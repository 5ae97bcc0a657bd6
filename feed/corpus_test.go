package feed_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
)

// corpusDirs are the inputs of the test corpora, relative to this
// package; a folder that is absent (the shared devset) is skipped.
var corpusDirs = []string{
	"../fetch/testdata/feeds", "../fetch/testdata/media", "../fetch/testdata/articles",
	"../testdata/dedup", "../testdata/articles", "../examples/feeds", "../examples/articles",
	"../../shared/devset/articles", "../../shared/seeds",
}

// corpusFeed is one input file's items as a topic feed publishes them.
type corpusFeed struct {
	name  string
	items []*feed.Item
}

// corpus reads every input of the test corpora as `topicfeed ingest`
// does, and gives each file's items ids and credits as the store would:
// the feed's site, else a source named after the file's folder.
func corpus(t *testing.T) []corpusFeed {
	t.Helper()
	var paths []string
	for _, d := range corpusDirs {
		if _, err := os.Stat(d); err == nil {
			paths = append(paths, d)
		}
	}
	names, errs := fetch.ListFiles(paths)
	for _, err := range errs {
		t.Fatal(err)
	}
	var out []corpusFeed
	id := int64(0)
	for _, name := range names {
		base := filepath.Base(name)
		if base == "groups.txt" || base == "README.md" || strings.HasSuffix(base, ".want") ||
			strings.HasSuffix(base, ".json") && strings.HasSuffix(strings.TrimSuffix(base, ".json"), ".want") ||
			strings.HasSuffix(base, ".py") || strings.HasSuffix(base, ".yaml") || base == "labels.json" ||
			strings.HasPrefix(base, "topics_expected") {
			continue
		}
		f := fetch.ReadFile(context.Background(), name, nil)
		if f.Err != nil {
			continue // a refusal: nothing is published
		}
		cf := corpusFeed{name: name}
		source := filepath.Base(filepath.Dir(name))
		for i := range f.Items {
			it := &f.Items[i]
			id++
			it.ID = id
			it.Sources = []string{source}
			c := feed.Credit{Site: it.Site, Link: it.URL}
			c.Name = cmp.Or(c.Name, source)
			if strings.HasPrefix(it.Feed, "http") {
				c.Feed = it.Feed
			}
			it.Credits = []feed.Credit{c}
			it.Cap(feed.DefaultMaxContent, c.Name)
			cf.items = append(cf.items, it)
		}
		out = append(out, cf)
	}
	if len(out) < 50 {
		t.Fatalf("only %d corpus files read from %v", len(out), paths)
	}
	return out
}

// rendered is one corpus file published in one format.
type rendered struct {
	name   string
	format feed.Format
	items  []*feed.Item
	body   []byte
}

func renderCorpus(t *testing.T) []rendered {
	t.Helper()
	var out []rendered
	for _, cf := range corpus(t) {
		for _, f := range []feed.Format{feed.RSS, feed.Atom, feed.JSON} {
			var buf bytes.Buffer
			ch := feed.GoldenChannel(f)
			ch.Title = "Corpus: " + filepath.Base(cf.name)
			if err := feed.Render(&buf, f, ch, cf.items); err != nil {
				t.Fatalf("%s as %s: %v", cf.name, f, err)
			}
			out = append(out, rendered{cf.name, f, cf.items, buf.Bytes()})
		}
	}
	return out
}

// feedparserResult is what Python's feedparser makes of one document.
type feedparserResult struct {
	Bozo      int    `json:"bozo"`
	Exception string `json:"exception"`
	Title     string `json:"title"`
	Entries   []struct {
		ID         string              `json:"id"`
		Link       string              `json:"link"`
		Title      string              `json:"title"`
		Summary    string              `json:"summary"`
		Author     string              `json:"author"`
		Authors    []string            `json:"authors"`
		Tags       []string            `json:"tags"`
		Enclosures []map[string]string `json:"enclosures"`
		Source     map[string]any      `json:"source"`
		Thumbnail  string              `json:"thumbnail"`
	} `json:"entries"`
}

const feedparserScript = `import sys, json, base64, feedparser
out = []
for doc in json.load(sys.stdin):
    d = feedparser.parse(base64.b64decode(doc))
    out.append({
        "bozo": int(d.bozo), "exception": str(d.get("bozo_exception", "")),
        "title": d.feed.get("title", ""),
        "entries": [{
            "id": e.get("id", ""), "link": e.get("link", ""), "title": e.get("title", ""),
            "summary": e.get("summary", ""), "author": e.get("author", ""),
            "authors": [a.get("name", "") for a in e.get("authors", [])],
            "tags": [t.get("term", "") for t in e.get("tags", [])],
            "enclosures": [{k: str(v) for k, v in x.items()} for x in e.get("enclosures", [])],
            "source": {k: v for k, v in e.get("source", {}).items() if isinstance(v, str)},
            "thumbnail": (e.get("media_thumbnail") or [{}])[0].get("url", ""),
        } for e in d.entries],
    })
json.dump(out, sys.stdout)
`

// feedparse runs Python's feedparser, the parser behind many readers,
// over docs in one process; it skips the test where it is not installed.
func feedparse(t *testing.T, docs [][]byte) []feedparserResult {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import feedparser").Run(); err != nil {
		t.Skip("python3-feedparser not found (apt-get install python3-feedparser; .ci/run installs it)")
	}
	in, err := json.Marshal(docs) // []byte marshals as base64
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", feedparserScript)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("feedparser: %v\n%s", err, stderr.String())
	}
	var res []feedparserResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(docs) {
		t.Fatalf("feedparser answered %d results for %d documents: %v", len(res), len(docs), err)
	}
	return res
}

// TestRenderCorpusFeedparser publishes every input of the test corpora
// as RSS and Atom and has feedparser read each: well-formed, no warnings
// (bozo 0), every item there with its id. (feedparser 6 reads no JSON
// Feed; TestRenderCorpusValid checks those.)
func TestRenderCorpusFeedparser(t *testing.T) {
	var docs [][]byte
	var which []rendered
	for _, r := range renderCorpus(t) {
		if r.format != feed.JSON {
			docs = append(docs, r.body)
			which = append(which, r)
		}
	}
	res := feedparse(t, docs)
	for i, r := range res {
		w := which[i]
		if r.Bozo != 0 {
			t.Errorf("%s as %s: bozo 1: %s", w.name, w.format, r.Exception)
			continue
		}
		if len(r.Entries) != len(w.items) {
			t.Errorf("%s as %s: %d entries, want %d", w.name, w.format, len(r.Entries), len(w.items))
			continue
		}
		for j, e := range r.Entries {
			if want := feed.ItemURL("http://localhost:8080", w.items[j].ID); e.ID != want {
				t.Errorf("%s as %s: entry %d id %q, want %q", w.name, w.format, j, e.ID, want)
			}
			if n := len(w.items[j].Enclosures); len(e.Enclosures) != n {
				t.Errorf("%s as %s: entry %d has %d enclosures, want %d", w.name, w.format, j, len(e.Enclosures), n)
			}
		}
	}
	t.Logf("%d documents from %d inputs read with bozo 0", len(docs), len(docs)/2)
}

// TestRenderFeedparser reads the golden feeds with feedparser: bozo 0,
// and the media, authors, categories and credit a reader shows.
func TestRenderFeedparser(t *testing.T) {
	formats := []feed.Format{feed.RSS, feed.Atom}
	var docs [][]byte
	for _, f := range formats {
		var buf bytes.Buffer
		if err := feed.Render(&buf, f, feed.GoldenChannel(f), feed.GoldenItems()); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, buf.Bytes())
	}
	for i, r := range feedparse(t, docs) {
		f := formats[i]
		if r.Bozo != 0 || len(r.Entries) != 3 || r.Title != "Space & rail" {
			t.Fatalf("%s: bozo %d (%s), %d entries, title %q", f, r.Bozo, r.Exception, len(r.Entries), r.Title)
		}
		story, episode, local := r.Entries[0], r.Entries[1], r.Entries[2]
		got := fmt.Sprintf("%s %s | %s %s | %q %q | %s %v",
			story.ID, story.Link, local.ID, local.Link, story.Authors, story.Tags, story.Source["title"], story.Thumbnail)
		want := "http://localhost:8080/items/42 https://news.example.org/2026/05/relay | " +
			"http://localhost:8080/items/7 http://localhost:8080/items/7 | " +
			`["Orbit Desk" "Ana Ruiz"] ["Space" "Moon & Mars"] | Orbit News https://news.example.org/img/relay.jpg`
		if got != want {
			t.Errorf("%s: feedparser reads\n %s\nwant\n %s", f, got, want)
		}
		if len(episode.Enclosures) != 1 || episode.Enclosures[0]["href"] != "https://cdn.pod.example.net/ep12.mp3" ||
			episode.Enclosures[0]["type"] != "audio/mpeg" || episode.Enclosures[0]["length"] != "31457280" {
			t.Errorf("%s: episode enclosures %v", f, episode.Enclosures)
		}
		if src := episode.Source; src["title"] != "Night Pod" || cmp.Or(src["href"], src["id"]) != "https://pod.example.net/feed.rss" {
			t.Errorf("%s: episode source %v", f, src)
		}
		if !strings.Contains(story.Summary, "It's in orbit") || strings.Contains(story.Summary, "&#39;") {
			t.Errorf("%s: summary %q", f, story.Summary)
		}
	}
}
