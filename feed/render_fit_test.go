package feed

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRenderBudget: no item, however long, pushes a feed past its
// budget. The newest items stay whole while they fit; later ones keep
// their summary and a link to the rest; a feed of many long items still
// lists them all.
func TestRenderBudget(t *testing.T) {
	t0 := time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC)
	long := func(id int64, kb int) *Item {
		c := strings.Repeat("<p>A line of the story, long enough to count &amp; matter.</p>", kb*1024/64)
		return &Item{ID: id, URL: fmt.Sprintf("https://long.example/%d", id), Title: fmt.Sprintf("Story %d", id),
			Content: c, Text: HTMLText(c), Published: t0.Add(-time.Duration(id) * time.Hour), Updated: t0,
			Credits: []Credit{{Site: Site{Name: "Long Reads"}, Link: fmt.Sprintf("https://long.example/%d", id)}}}
	}
	const budget = 300 << 10
	cases := map[string][]*Item{
		"small then huge": {long(1, 10), long(2, 2000), long(3, 10)},
		"huge first":      {long(1, 2000), long(2, 10)},
		"fifty long": func() (out []*Item) {
			for i := range 50 {
				out = append(out, long(int64(i+1), 40))
			}
			return
		}(),
	}
	for name, items := range cases {
		for _, f := range []Format{RSS, Atom, JSON} {
			ch := goldenChannel(f)
			ch.MaxBytes = budget
			var buf bytes.Buffer
			if err := Render(&buf, f, ch, items); err != nil {
				t.Fatal(err)
			}
			if buf.Len() > budget {
				t.Errorf("%s as %s: %d bytes, over the budget of %d", name, f, buf.Len(), budget)
			}
			for _, it := range items {
				if !bytes.Contains(buf.Bytes(), []byte(ItemURL(ch.BaseURL, it.ID))) {
					t.Errorf("%s as %s: item %d left out", name, f, it.ID)
				}
			}
			if !bytes.Contains(buf.Bytes(), []byte("Continue reading at")) {
				t.Errorf("%s as %s: no item shortened", name, f)
			}
			for _, v := range validateDoc(f, buf.Bytes()) {
				t.Errorf("%s as %s: %s", name, f, v)
			}
		}
	}
	// The first of the small-then-huge items fits whole, and stays so.
	var buf bytes.Buffer
	ch := goldenChannel(RSS)
	ch.MaxBytes = budget
	items := cases["small then huge"]
	Render(&buf, RSS, ch, items)
	if !bytes.Contains(buf.Bytes(), []byte(items[0].Content)) || bytes.Contains(buf.Bytes(), []byte(items[1].Content)) {
		t.Error("the newest item is not whole, or the huge one is")
	}
}

// validateDoc checks that a feed still parses: the full rules are
// TestRenderValid's, in package feed_test.
func validateDoc(f Format, body []byte) []string {
	if f == JSON {
		if !bytes.HasPrefix(body, []byte("{")) || !bytes.HasSuffix(body, []byte("}\n")) {
			return []string{"not a JSON object"}
		}
		return nil
	}
	if !bytes.HasSuffix(bytes.TrimSpace(body), []byte(">")) {
		return []string{"not closed"}
	}
	return nil
}
