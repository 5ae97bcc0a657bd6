package fetch

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/topicfeed/topicfeed/feed"
)

const (
	artDevset = "../../shared/devset"
	artSeeds  = "../../shared/seeds"
)

// artModTime is the fallback date the tests pass; no article is dated so.
var artModTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

var artTagRe = regexp.MustCompile(`<[^>]*>`)

// artSquash collapses whitespace, no-break spaces included, after NFC.
func artSquash(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// artVisible is what a reader sees of an item: title, text and content with
// markup stripped and entities decoded.
func artVisible(it feed.Item) string {
	content := html.UnescapeString(artTagRe.ReplaceAllString(it.Content, " "))
	return artSquash(it.Title) + "\n" + artSquash(it.Text) + "\n" + artSquash(content)
}

func artMustParse(t *testing.T, path string) feed.Item {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	it, err := ParseArticle(filepath.Base(path), data, artModTime)
	if err != nil {
		t.Fatalf("ParseArticle: %v", err)
	}
	artCheckItem(t, it)
	return it
}

// artCheckItem asserts what holds for every parsed article.
func artCheckItem(t *testing.T, it feed.Item) {
	t.Helper()
	if it.Title == "" || strings.ContainsAny(it.Title, "\n\r") {
		t.Errorf("title %q: want one non-empty line", it.Title)
	}
	for _, s := range []string{it.Title, it.Text, it.Content, it.Author, it.URL} {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 in %q", s)
		}
	}
	if strings.Contains(strings.ReplaceAll(it.Text, "\n\n", ""), "\n") {
		t.Errorf("text has a line break inside a paragraph:\n%s", it.Text)
	}
	if n, p := strings.Count(it.Content, "<p>"), len(strings.Split(it.Text, "\n\n")); it.Text != "" && n != p {
		t.Errorf("content has %d <p>, text has %d paragraphs", n, p)
	}
	if it.GUID != "" || !it.Updated.Equal(it.Published) {
		t.Errorf("GUID %q, Updated %v, Published %v", it.GUID, it.Updated, it.Published)
	}
}

// artCheckDate compares the printed calendar date. Published keeps the
// zone written in the file, so a late-evening time does not move the day;
// devset files have no time near midnight, so there UTC agrees as well.
func artCheckDate(t *testing.T, it feed.Item, want *string, utcToo bool) {
	t.Helper()
	if want == nil {
		if !it.Published.Equal(artModTime) {
			t.Errorf("published %v, want the modification time", it.Published)
		}
		return
	}
	if got := it.Published.Format(time.DateOnly); got != *want {
		t.Errorf("published %v, want %s", it.Published, *want)
	}
	if got := it.Published.UTC().Format(time.DateOnly); utcToo && got != *want {
		t.Errorf("published in UTC %v, want %s", it.Published.UTC(), *want)
	}
}

type artLabels struct {
	Expected map[string]struct {
		Title  string   `json:"title"`
		Date   *string  `json:"date"`
		Chrome []string `json:"chrome_lines_removed"`
	} `json:"expected"`
}

func artReadLabels(t *testing.T) artLabels {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(artDevset, "labels.json"))
	if os.IsNotExist(err) {
		t.Skip("../shared/devset absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	var l artLabels
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestParseArticleDevset(t *testing.T) {
	labels := artReadLabels(t)
	if len(labels.Expected) != 40 {
		t.Errorf("labels cover %d files, want 40", len(labels.Expected))
	}
	for file, want := range labels.Expected {
		t.Run(file, func(t *testing.T) {
			it := artMustParse(t, filepath.Join(artDevset, "articles", file))
			if got := artSquash(it.Title); got != artSquash(want.Title) {
				t.Errorf("title\n got %q\nwant %q", got, artSquash(want.Title))
			}
			artCheckDate(t, it, want.Date, true)
			seen := artVisible(it)
			for _, c := range want.Chrome {
				if strings.Contains(seen, artSquash(c)) {
					t.Errorf("chrome kept: %q", c)
				}
			}
		})
	}
}

// TestParseArticleDevsetBody checks the other side of chrome removal: every
// source line that is neither chrome, headline nor a short date line must
// survive into Text.
func TestParseArticleDevsetBody(t *testing.T) {
	labels := artReadLabels(t)
	dateish := regexp.MustCompile(`(19|20)\d\d`)
	for file, want := range labels.Expected {
		path := filepath.Join(artDevset, "articles", file)
		it := artMustParse(t, path)
		chrome := map[string]bool{}
		for _, c := range want.Chrome {
			chrome[artSquash(c)] = true
		}
		text := artSquash(it.Text)
		for _, line := range artSourceLines(t, path) {
			if line == "" || chrome[line] || line == artSquash(want.Title) || line == "---" ||
				(len(line) < 80 && dateish.MatchString(line)) {
				continue
			}
			if !strings.Contains(text, line) {
				t.Errorf("%s: story line lost: %q", file, line)
			}
		}
	}
}

// artSourceLines returns the lines of a devset file as a reader sees them.
func artSourceLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	if strings.HasSuffix(path, ".html") {
		body := src[strings.Index(src, "<body"):]
		body = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>`).ReplaceAllString(body, "")
		src = html.UnescapeString(artTagRe.ReplaceAllString(body, " "))
	}
	var lines []string
	for l := range strings.SplitSeq(src, "\n") {
		l = strings.TrimLeft(strings.TrimSpace(l), "#\uFEFF")
		lines = append(lines, artSquash(l))
	}
	return lines
}

func TestParseArticleSeeds(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(artSeeds, "*.txt"))
	if len(files) == 0 {
		t.Skip("../shared/seeds absent")
	}
	chrome := []string{"| Welcome to", "Read More:", "Read:", "Leave A Reply",
		"Your email address will not be published.", "Follow us on", "Share the latest news updates",
		"Exit mobile version", "Leave a comment"}
	wantTitle := map[string]string{
		"000": "Leaked Conversation Reveals Pakistan’s Dilemma in Balancing Relations with US and China",
		"001": "Pakistan, US Vow to Deepen Ties",
		// No headline: the first sentence, cut at a word boundary.
		"002": "In a crucial diplomatic development, counterterrorism cooperation took center stage as Foreign Minister Ishaq Dar held",
	}
	for _, f := range files {
		id := filepath.Base(f)[:3]
		it := artMustParse(t, f)
		if it.Title != wantTitle[id] {
			t.Errorf("%s: title %q, want %q", id, it.Title, wantTitle[id])
		}
		seen := artVisible(it)
		for _, c := range chrome {
			if strings.Contains(seen, c) {
				t.Errorf("%s: chrome %q kept", id, c)
			}
		}
		for _, sub := range []string{"Positive Momentum in Relations", "Strengthening Bilateral Ties"} {
			if strings.Contains(artSquash(string(artMustRead(t, f))), sub) && !strings.Contains(it.Text, "\n\n"+sub+"\n\n") {
				t.Errorf("%s: subheading %q not kept as a paragraph", id, sub)
			}
		}
		if id == "001" {
			d := "2024-05-22"
			artCheckDate(t, it, &d, true)
		}
	}
}

func artMustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// articleWant is a fixture's NAME.want.json.
type articleWant struct {
	Title   string   `json:"title"`
	Date    *string  `json:"date"`
	URL     string   `json:"url"`
	Author  string   `json:"author"`
	Present []string `json:"present"` // must appear in Text
	Absent  []string `json:"absent"`  // must not appear in title, text or content
	Error   string   `json:"error"`   // when set, parsing must fail with this text
}

// articleFixtures returns each fixture's input path and its want file.
func articleFixtures(t testing.TB) map[string]string {
	wants, err := filepath.Glob("testdata/articles/*.want.json")
	if err != nil || len(wants) == 0 {
		t.Fatalf("no fixtures in testdata/articles (%v)", err)
	}
	m := map[string]string{}
	for _, w := range wants {
		stem := strings.TrimSuffix(w, ".want.json")
		ins, _ := filepath.Glob(stem + ".*")
		for _, in := range ins {
			if in != w {
				m[in] = w
			}
		}
	}
	return m
}

func TestParseArticleCases(t *testing.T) {
	for in, wantFile := range articleFixtures(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			var want articleWant
			if err := json.Unmarshal(artMustRead(t, wantFile), &want); err != nil {
				t.Fatalf("%s: %v", wantFile, err)
			}
			name := filepath.Base(in)
			it, err := ParseArticle(name, artMustRead(t, in), artModTime)
			if want.Error != "" {
				if err == nil || err.Error() != name+": "+want.Error {
					t.Fatalf("error %v, want %q", err, name+": "+want.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			artCheckItem(t, it)
			if artSquash(it.Title) != artSquash(want.Title) {
				t.Errorf("title\n got %q\nwant %q", it.Title, want.Title)
			}
			artCheckDate(t, it, want.Date, false)
			if it.URL != want.URL || it.Author != want.Author {
				t.Errorf("url %q author %q, want %q %q", it.URL, it.Author, want.URL, want.Author)
			}
			for _, p := range want.Present {
				if !strings.Contains(it.Text, p) {
					t.Errorf("text lacks %q:\n%s", p, it.Text)
				}
			}
			seen := artVisible(it)
			for _, a := range want.Absent {
				if strings.Contains(seen, artSquash(a)) {
					t.Errorf("%q kept:\n%s", a, it.Text)
				}
			}
		})
	}
}

func TestParseArticleErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"a.txt", "", "a.txt: empty file"},
		{"b.md", " \n\t\r\n\u00a0 ", "b.md: empty file"},
		{"c.html", "\xef\xbb\xbf\n\n", "c.html: empty file"},
		{"d.txt", "\x00\x01\x02\x03binary\x00\xff", "d.txt: not a text file (binary data)"},
		{"e.txt", "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11 abc", "e.txt: not a text file (binary data)"},
		{"f.txt", "Leave a comment\n\nExit mobile version\n", "f.txt: no article text found"},
	} {
		_, err := ParseArticle(tc.name, []byte(tc.data), artModTime)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseArticle(%q): error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestParseArticleShapes covers layouts too small to need a fixture file.
func TestParseArticleShapes(t *testing.T) {
	for _, tc := range []struct{ name, in, title, text string }{
		{"tight.txt", "Mayor Opens New Bridge Over the Tam\nThe mayor opened the bridge on Monday. Crowds cheered.\n",
			"Mayor Opens New Bridge Over the Tam", "The mayor opened the bridge on Monday. Crowds cheered."},
		{"masthead.txt", "Tam Valley Courier\nYour weekly local news\n\nMayor Opens New Bridge\n\nThe mayor opened it on Monday.\n",
			"Mayor Opens New Bridge", "The mayor opened it on Monday."},
		{"plain.html", "<body><div class=menu>Home | News | Sport</div><h2>Latest</h2>" +
			"<div>Ferries were cancelled on Friday as gales hit the coast.</div></body>",
			"Ferries were cancelled on Friday as gales hit the coast", "Ferries were cancelled on Friday as gales hit the coast."},
		{"stdin", "<!DOCTYPE html><title>Gales Close Ports</title><p>Ports shut on Friday as gales hit the coast.</p>",
			"Gales Close Ports", "Ports shut on Friday as gales hit the coast."},
		{"list.md", "# Five things to know\n\n1. Fares rise in May.\n2. Night buses return.\n",
			"Five things to know", "Fares rise in May.\n\nNight buses return."},
	} {
		it, err := ParseArticle(tc.name, []byte(tc.in), artModTime)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if it.Title != tc.title || it.Text != tc.text {
			t.Errorf("%s:\n got %q / %q\nwant %q / %q", tc.name, it.Title, it.Text, tc.title, tc.text)
		}
	}
}

func TestArticleFirstSentence(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Dr. Lee met Mr. Park in St. Ives on Monday. Then they left.", "Dr. Lee met Mr. Park in St. Ives on Monday"},
		{"The U.S. team won. Fans cheered.", "The U.S. team won"},
		{"Will it rain? Nobody knows.", "Will it rain?"},
		{"“We won,” she said. Then silence.", "“We won,” she said"},
		{"No full stop at all", "No full stop at all"},
		{strings.Repeat("word ", 40) + "end.", strings.TrimSpace(strings.Repeat("word ", 24))},
	} {
		if got := artFirstSentence(tc.in); got != tc.want {
			t.Errorf("artFirstSentence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestArticleDateLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339, "" for not a date line
	}{
		{"Wednesday, May 22, 2024", "2024-05-22T12:00:00Z"},
		{"22 May 2024", "2024-05-22T12:00:00Z"},
		{"2024-05-22", "2024-05-22T12:00:00Z"},
		{"May 22, 2024 10:30 PKT", "2024-05-22T10:30:00+05:00"},
		{"Posted on 9th October 2024 at 4:15 pm", "2024-10-09T16:15:00Z"},
		{"Updated: 2024-05-22T18:05:00-04:00", "2024-05-22T18:05:00-04:00"},
		{"Sept. 3, 2023", "2023-09-03T12:00:00Z"},
		{"The vote on May 22, 2024 was close.", ""},
		{"31 April 2024", ""},
		{"Ministers met in Oslo on 12 May 2025 to discuss tariffs, fishing quotas and the future of the deal", ""},
	} {
		d, ok := artDateLine(tc.in)
		got := ""
		if ok {
			got = d.Format(time.RFC3339)
		}
		if got != tc.want {
			t.Errorf("artDateLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func BenchmarkParseArticle(b *testing.B) { benchParseArticles(b, articleFixtures(b)) }

// benchParseArticles parses every file of files once per iteration.
func benchParseArticles(b *testing.B, files map[string]string) {
	var inputs [][]byte
	var names []string
	for in := range files {
		data, err := os.ReadFile(in)
		if err != nil {
			b.Fatal(err)
		}
		inputs, names = append(inputs, data), append(names, filepath.Base(in))
	}
	items := 0
	for b.Loop() {
		for i, data := range inputs {
			ParseArticle(names[i], data, artModTime)
			items++
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}
