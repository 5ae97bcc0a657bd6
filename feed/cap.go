package feed

import (
	"html"
	"strings"

	xhtml "golang.org/x/net/html"
)

// DefaultMaxContent is retention.max_content's default: the most of an
// item's content that is stored. A long read is 20–60 KB of HTML; a book
// pasted into one file, or a feed entry carrying a whole archive, is what
// the cap is for.
const DefaultMaxContent = 256 << 10

// maxTitle caps a title: no headline is this long, and a title is
// repeated in every feed and page that lists the item.
const maxTitle = 2 << 10

// Cap shortens an item whose content, text or summary is longer than max
// bytes. Content is cut at the end of the last paragraph that fits, open
// elements are closed, and a note links to the original at site (see
// ContinueReading); the text is made again from what is kept, so rules
// and fingerprints see what is published. It reports whether it cut.
func (it *Item) Cap(max int, site string) bool {
	if max <= 0 {
		return false
	}
	cut := false
	if len(it.Title) > maxTitle {
		it.Title = cutWords(it.Title, maxTitle-len("…")) + "…"
		cut = true
	}
	if len(it.Content) > max {
		note := ContinueReading(it.URL, site)
		kept := cutHTML(it.Content, max-len(note))
		it.Text = HTMLText(kept)
		it.Content = kept + note
		cut = true
	}
	if len(it.Text) > max {
		it.Text = cutText(it.Text, max)
		cut = true
	}
	if len(it.Summary) > max {
		it.Summary = cutText(it.Summary, max)
		cut = true
	}
	return cut
}

// ContinueReading is the note that ends a shortened item: a link to the
// rest at site, or, for an item with no link, a word that there was more.
func ContinueReading(link, site string) string {
	if link == "" {
		return "<p><em>The rest of this item is left out.</em></p>"
	}
	if site == "" {
		site = "the original"
	}
	return `<p><em>Continue reading at <a href="` + html.EscapeString(link) + `">` + html.EscapeString(site) + "</a>.</em></p>"
}

// cutText keeps the paragraphs of plain text s that fit in max bytes, or
// when the first does not, its words that do.
func cutText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if i := strings.LastIndex(s[:max], "\n\n"); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return cutWords(s, max)
}

// cutWords cuts s at the last space within max bytes (at max when there
// is none), never inside a UTF-8 sequence.
func cutWords(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if i := strings.LastIndexByte(s[:max], ' '); i > max/2 {
		return strings.TrimSpace(s[:i])
	}
	return strings.ToValidUTF8(s[:max], "")
}

// voidTags never have an end tag.
var voidTags = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// cutHTML keeps the start of an HTML fragment up to the end of the last
// block element (paragraph, list item, heading, …) that fits in max
// bytes together with end tags for the elements still open there. With
// no such boundary (one huge paragraph) it cuts between tags or words
// instead. The fragment is read as a tokenizer sees it, so a cut never
// falls inside a tag or an entity.
func cutHTML(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if !strings.Contains(s, "<") {
		return cutText(s, max) // plain paragraphs, escaped
	}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var open []string      // elements open at pos
	closing := 0           // bytes of the end tags open needs
	pos := 0               // bytes of s read
	block, loose := -1, -1 // the best cut at a block end, and at any token
	var blockOpen, looseOpen []string
	fits := func(at int) bool { return at+closing <= max }
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := z.Raw()
		if tt == xhtml.TextToken && !fits(pos+len(raw)) {
			if block < 0 { // one long paragraph: its words that fit
				return s[:pos] + cutEscaped(string(raw), max-closing-pos) + closeTags(open)
			}
			break
		}
		pos += len(raw)
		name, _ := z.TagName()
		switch tt {
		case xhtml.StartTagToken:
			if !voidTags[string(name)] {
				open = append(open, string(name))
				closing += len(name) + 3
			}
		case xhtml.EndTagToken:
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == string(name) {
					for _, o := range open[i:] {
						closing -= len(o) + 3
					}
					open = open[:i]
					break
				}
			}
		}
		if !fits(pos) {
			break
		}
		if tt == xhtml.EndTagToken && blockTags[string(name)] {
			block, blockOpen = pos, append(blockOpen[:0], open...)
		}
		loose, looseOpen = pos, append(looseOpen[:0], open...)
	}
	switch {
	case block > 0:
		return s[:block] + closeTags(blockOpen)
	case loose > 0:
		return s[:loose] + closeTags(looseOpen)
	}
	return ""
}

// cutEscaped cuts escaped HTML text at its last space within max bytes,
// or with no space, before an entity the cut would split.
func cutEscaped(s string, max int) string {
	if max <= 0 {
		return ""
	}
	w := s[:min(len(s), max)]
	if i := strings.LastIndexByte(w, ' '); i > 0 {
		return w[:i]
	}
	if i := strings.LastIndexByte(w, '&'); i >= 0 && !strings.Contains(w[i:], ";") {
		w = w[:i]
	}
	return strings.ToValidUTF8(w, "")
}

func closeTags(open []string) string {
	var b strings.Builder
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString("</" + open[i] + ">")
	}
	return b.String()
}
