package feed

import (
	"fmt"
	"strings"
	"testing"
)

// TestCutHTML: content is cut at the end of the last paragraph that
// fits, with its open elements closed, and never inside a tag or entity.
func TestCutHTML(t *testing.T) {
	para := func(i int) string { return fmt.Sprintf("<p>Paragraph %d &amp; more.</p>", i) }
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"fits", para(1), 100, para(1)},
		{"paragraphs", para(1) + para(2) + para(3), len(para(1)+para(2)) + 5, para(1) + para(2)},
		{"inside a div", "<div>" + para(1) + para(2) + "</div>", len("<div>"+para(1)) + 10, "<div>" + para(1) + "</div>"},
		{"list items", "<ul><li>one</li><li>two</li><li>three</li></ul>", 33, "<ul><li>one</li><li>two</li></ul>"},
		{"one long paragraph", "<p><b>Bold</b> words and words &amp; words</p>", 34, "<p><b>Bold</b> words and</p>"},
		{"plain paragraphs", "One &amp; two.\n\nThree.\n\nFour.", 24, "One &amp; two.\n\nThree."},
		{"entity at the cut", "<p>" + strings.Repeat("x", 20) + "&amp;y</p>", 28, "<p>" + strings.Repeat("x", 20) + "</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cutHTML(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("cutHTML(%q, %d) =\n %q\nwant\n %q", tt.in, tt.max, got, tt.want)
			}
			if len(got) > tt.max {
				t.Errorf("%d bytes, over %d", len(got), tt.max)
			}
		})
	}
}

// TestItemCap: a 30 MB article is stored as at most the cap, ends with a
// link to the rest at its site, and its text is what its content kept.
func TestItemCap(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 30<<20; i++ {
		fmt.Fprintf(&b, "<p>Paragraph %d of a very long report, with words enough to make a line.</p>\n", i)
	}
	it := &Item{URL: "https://long.example/report", Title: "Report", Content: b.String(), Text: HTMLText(b.String())}
	if !it.Cap(DefaultMaxContent, "Long Reads") {
		t.Fatal("not cut")
	}
	if len(it.Content) > DefaultMaxContent || len(it.Text) > DefaultMaxContent {
		t.Errorf("content %d, text %d bytes; cap %d", len(it.Content), len(it.Text), DefaultMaxContent)
	}
	note := `<p><em>Continue reading at <a href="https://long.example/report">Long Reads</a>.</em></p>`
	if !strings.HasSuffix(it.Content, "line.</p>"+note) {
		t.Errorf("content does not end at a paragraph and the note: …%q", it.Content[len(it.Content)-200:])
	}
	if !strings.HasSuffix(it.Text, "words enough to make a line.") || strings.Contains(it.Text, "Continue reading") {
		t.Errorf("text ends …%q", it.Text[len(it.Text)-80:])
	}
	short := &Item{Content: "<p>Short.</p>", Text: "Short."}
	if short.Cap(DefaultMaxContent, "x") || short.Content != "<p>Short.</p>" {
		t.Errorf("a short item changed: %+v", short)
	}
	nolink := &Item{Content: strings.Repeat("<p>words words</p>", 200)}
	nolink.Cap(1024, "desk")
	if !strings.HasSuffix(nolink.Content, "<p><em>The rest of this item is left out.</em></p>") || len(nolink.Content) > 1024 {
		t.Errorf("an item with no link ends …%q (%d bytes)", nolink.Content[len(nolink.Content)-60:], len(nolink.Content))
	}
}
