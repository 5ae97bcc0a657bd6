package fetch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// artFuzzChrome are whole lines that must never survive as a paragraph.
var artFuzzChrome = []string{"leave a reply", "leave a comment", "exit mobile version",
	"share the latest news updates", "skip to content", "your email address will not be published."}

func FuzzParseArticle(f *testing.F) {
	exts := []string{".txt", ".md", ".html"}
	inputs := articleFixtures(f)
	for in := range artCorpusFiles(f) {
		inputs[in] = ""
	}
	for in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		for i, ext := range exts {
			if ext == filepath.Ext(in) {
				f.Add(data, uint8(i))
			}
		}
	}
	f.Add([]byte("Title Line Here\n\nBody.\n"), uint8(0))
	f.Add([]byte("<h1>x</h1><p>Leave a comment</p><time datetime=\"2024-02-30\">"), uint8(2))
	f.Fuzz(artFuzzCheck)
}

// artFuzzCheck parses one input and checks what must hold for any input.
func artFuzzCheck(t *testing.T, data []byte, kind uint8) {
	exts := []string{".txt", ".md", ".html"}
	name := "fuzz" + exts[int(kind)%len(exts)]
	mod := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	it, err := ParseArticle(name, data, mod)
	if err != nil {
		if msg := err.Error(); !strings.HasPrefix(msg, name+": ") || strings.Contains(msg, "\n") {
			t.Fatalf("error %q: want one line starting with %q", msg, name+": ")
		}
		return
	}
	if it.Title == "" || strings.ContainsAny(it.Title, "\r\n") {
		t.Fatalf("title %q: want one non-empty line", it.Title)
	}
	for _, s := range []string{it.Title, it.Text, it.Content, it.Author, it.URL} {
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
	}
	if it.Published.IsZero() || !it.Updated.Equal(it.Published) {
		t.Fatalf("published %v, updated %v", it.Published, it.Updated)
	}
	for p := range strings.SplitSeq(it.Text, "\n\n") {
		if strings.Contains(p, "\n") {
			t.Fatalf("line break inside paragraph %q", p)
		}
		low := strings.ToLower(strings.Join(strings.Fields(p), " "))
		for _, c := range artFuzzChrome {
			if low == c {
				t.Fatalf("chrome line kept in text: %q", p)
			}
		}
	}
	if strings.Contains(it.Content, "<script") {
		t.Fatalf("markup leaked into content: %q", it.Content)
	}
}
