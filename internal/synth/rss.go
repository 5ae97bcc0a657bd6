package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The refresh benchmark's feeds (bench/refresh serves them; fetch's parse
// benchmark reads them).

// vocabulary mixes made-up words (so no two articles share much text and
// dedup keeps them apart) with a few real ones the topics match.
var vocabulary = append(Words(1, 2, 8000), "harbour", "election", "council", "railway", "drought", "minister")

// ItemSize is RSS's mean article size in bytes.
const ItemSize = 2000

// RSS renders feed i: an RSS 2.0 document of items articles, each
// 1–3 KB of HTML paragraphs with a guid, link, date and category.
func RSS(i, items int) []byte { return RSSSized(i, items, ItemSize) }

// RSSSized is RSS with articles of size/2 to 3·size/2 bytes of HTML
// (about size on average); RSSSized(i, items, ItemSize) is RSS(i, items).
func RSSSized(i, items, size int) []byte {
	size = max(size, 2)
	r := rand.New(rand.NewPCG(uint64(i), 99))
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Bench feed %d</title><link>https://site%d.example/</link>
<description>Synthetic feed %d</description>
`, i, i, i)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for j := range items {
		fmt.Fprintf(&b, "<item><guid isPermaLink=\"false\">bench-%d-%d</guid><title>%s</title>"+
			"<link>https://site%d.example/story/%d</link><pubDate>%s</pubDate><category>%s</category>"+
			"<description><![CDATA[%s]]></description></item>\n",
			i, j, sentence(r, 6+r.IntN(6)), i, j, base.Add(time.Duration(i*items+j)*time.Minute).Format(time.RFC1123Z),
			vocabulary[r.IntN(len(vocabulary))], article(r, size/2+r.IntN(size)))
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

func sentence(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[r.IntN(len(vocabulary))]
	}
	s := strings.Join(w, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// article is about size bytes of <p> paragraphs, one with a link.
func article(r *rand.Rand, size int) string {
	var b strings.Builder
	for b.Len() < size {
		b.WriteString("<p>")
		for range 3 + r.IntN(4) {
			b.WriteString(sentence(r, 8+r.IntN(12)))
			b.WriteString(". ")
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, `<a href="/related/%d">%s</a>.`, r.IntN(1e6), sentence(r, 3))
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}
