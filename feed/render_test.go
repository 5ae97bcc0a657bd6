package feed

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenItems are three kinds of item: a story merged from two sites,
// with an image, authors and categories; a podcast episode; and an item
// from a local file with no link, credited by its source's name alone.
func goldenItems() []*Item {
	t0 := time.Date(2026, 5, 20, 9, 30, 0, 0, time.UTC)
	return []*Item{
		{ID: 42, URL: "https://news.example.org/2026/05/relay", Title: "Lunar Relay Satellite Reaches Orbit",
			Content: `<p>A relay satellite reached lunar orbit &amp; began tests.</p>`, Text: "A relay satellite reached lunar orbit & began tests.",
			Summary: "It's in orbit: the relay's tests began <today>.",
			Author:  "Orbit Desk, Ana Ruiz", Authors: []Person{{Name: "Orbit Desk"}, {Name: "Ana Ruiz"}},
			Categories: []string{"Space", "Moon & Mars"}, Image: "https://news.example.org/img/relay.jpg",
			Comments:  "https://news.example.org/2026/05/relay#comments",
			Published: t0, Updated: t0.Add(2 * time.Hour),
			Sources: []string{"orbit", "wires"},
			Credits: []Credit{
				{Site: Site{Name: "Orbit News", URL: "https://news.example.org/"}, Feed: "https://news.example.org/feed.xml",
					Link: "https://news.example.org/2026/05/relay"},
				{Site: Site{Name: "Wires & Co", URL: "https://wires.example.com/"}, Feed: "https://wires.example.com/rss",
					Link: "https://wires.example.com/a/relay-satellite"},
			}},
		{ID: 9, URL: "https://pod.example.net/ep/12", Title: "Episode 12: Night trains", Content: "<p>We ride the sleeper.</p>",
			Text: "We ride the sleeper.", Author: "Jo Host", Authors: []Person{{Name: "Jo Host", Email: "jo@pod.example.net"}},
			Enclosures: []Enclosure{{URL: "https://cdn.pod.example.net/ep12.mp3", Type: "audio/mpeg", Length: 31457280, Duration: 1860}},
			Image:      "https://cdn.pod.example.net/ep12.jpg",
			Published:  t0.Add(-24 * time.Hour), Updated: t0.Add(-24 * time.Hour), Sources: []string{"pod"},
			Credits: []Credit{{Site: Site{Name: "Night Pod", URL: "https://pod.example.net/"}, Feed: "https://pod.example.net/feed.rss",
				Link: "https://pod.example.net/ep/12"}}},
		{ID: 7, Title: "Tram Line Opens — “at last”", Content: "<p>The first tram in forty years.</p>",
			Text: "The first tram in forty years.", Published: t0.Add(-48 * time.Hour), Updated: t0.Add(-48 * time.Hour),
			Sources: []string{"desk"}},
	}
}

func goldenChannel(f Format) Channel {
	return Channel{Title: "Space & rail", Description: "Golden test topic", Link: "http://localhost:8080/topics/golden",
		Self: "http://localhost:8080/topics/golden." + string(f), Hub: "https://hub.example.net/",
		BaseURL: "http://localhost:8080", Updated: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// TestRenderGolden compares each format byte for byte with its golden file
// (go test ./feed -update rewrites them) and checks a real parser reads it.
func TestRenderGolden(t *testing.T) {
	for _, f := range []Format{RSS, Atom, JSON} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, f, goldenChannel(f), goldenItems()); err != nil {
				t.Fatal(err)
			}
			checkParsed(t, f, buf.Bytes())
			if f == JSON { // served compact; indented here to be read in review
				var pretty bytes.Buffer
				if err := json.Indent(&pretty, buf.Bytes(), "", "  "); err != nil {
					t.Fatal(err)
				}
				buf = pretty
			}
			golden := filepath.Join("testdata", "golden."+string(f)+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (go test ./feed -update to accept):\n%s", f, golden, buf.String())
			}
		})
	}
}

// TestRenderEmpty: a feed with no items (a new topic, a search that
// finds nothing) is still what its format requires; JSON Feed 1.1 wants
// "items" as an array, present even when empty.
func TestRenderEmpty(t *testing.T) {
	for _, f := range []Format{RSS, Atom, JSON} {
		var buf bytes.Buffer
		if err := Render(&buf, f, goldenChannel(f), nil); err != nil {
			t.Fatal(err)
		}
		pf, err := gofeed.NewParser().Parse(bytes.NewReader(buf.Bytes()))
		if err != nil || pf.Title != "Space & rail" || len(pf.Items) != 0 {
			t.Errorf("%s: gofeed reads %v, %v", f, pf, err)
		}
		if f != JSON {
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if items, ok := doc["items"].([]any); !ok || len(items) != 0 {
			t.Errorf("JSON Feed \"items\" = %#v, want an empty array:\n%s", doc["items"], buf.String())
		}
	}
}

// checkParsed reads a rendered feed back as a reader would: gofeed, the
// parser topicfeed itself reads feeds with.
func checkParsed(t *testing.T, f Format, body []byte) {
	t.Helper()
	pf, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("gofeed cannot parse: %v", err)
	}
	if pf.Title != "Space & rail" || len(pf.Items) != 3 {
		t.Fatalf("parsed title %q with %d items", pf.Title, len(pf.Items))
	}
	story, episode, local := pf.Items[0], pf.Items[1], pf.Items[2]
	// JSON Feed's url is the item's page here; the original is its
	// external_url, which gofeed lists among the links.
	wantLink := func(it *gofeed.Item, ours, original string) {
		t.Helper()
		if f == JSON {
			if it.Link != ours || (original != "" && !slices.Contains(it.Links, original)) {
				t.Errorf("%q: link %q, links %q; want %q and external_url %q", it.Title, it.Link, it.Links, ours, original)
			}
		} else if want := cmp.Or(original, ours); it.Link != want {
			t.Errorf("%q: link %q, want %q", it.Title, it.Link, want)
		}
	}
	if story.Title != "Lunar Relay Satellite Reaches Orbit" || story.GUID != "http://localhost:8080/items/42" {
		t.Errorf("first item = %q, id %q; want the stable item URL", story.Title, story.GUID)
	}
	wantLink(story, "http://localhost:8080/items/42", "https://news.example.org/2026/05/relay")
	if local.Title != "Tram Line Opens — “at last”" {
		t.Errorf("third item = %q", local.Title)
	}
	wantLink(local, "http://localhost:8080/items/7", "") // no link: its absolute item page
	if !strings.Contains(story.Content, `also reported by <a href="https://wires.example.com/a/relay-satellite">Wires &amp; Co</a>`) {
		t.Errorf("merged story's other site not credited: %q", story.Content)
	}
	if story.PublishedParsed == nil || !story.PublishedParsed.Equal(time.Date(2026, 5, 20, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("published = %v", story.PublishedParsed)
	}
	if got := story.Categories; !slices.Equal(got, []string{"Space", "Moon & Mars"}) {
		t.Errorf("categories = %q", got)
	}
	var names []string
	for _, a := range story.Authors {
		names = append(names, a.Name)
	}
	if f == RSS && story.DublinCoreExt != nil { // gofeed keeps one RSS author
		names = story.DublinCoreExt.Creator
	}
	if !slices.Equal(names, []string{"Orbit Desk", "Ana Ruiz"}) {
		t.Errorf("authors = %q", names)
	}
	if len(episode.Enclosures) != 1 {
		t.Fatalf("episode enclosures = %v", episode.Enclosures)
	}
	if e := episode.Enclosures[0]; e.URL != "https://cdn.pod.example.net/ep12.mp3" || e.Type != "audio/mpeg" || e.Length != "31457280" {
		t.Errorf("episode enclosure = %+v", e)
	}
	if f != Atom && (episode.Image == nil || episode.Image.URL != "https://cdn.pod.example.net/ep12.jpg") {
		t.Errorf("episode image = %+v", episode.Image) // gofeed reads no image of an Atom entry
	}
	if f == JSON && (story.Description != "It's in orbit: the relay's tests began <today>.") {
		t.Errorf("JSON Feed summary = %q, want plain text", story.Description)
	}
}
