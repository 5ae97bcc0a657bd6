package feed

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchWords is the vocabulary of the benchmark items: plain words, and
// some with what a feed's HTML carries (apostrophes, ampersands, accents).
var benchWords = strings.Fields(`the market council river debate season report
	city's people “quoted” café naïve Zürich rock&amp;roll &lt;tag&gt; 5&nbsp;km
	O&#39;Brien it&#8217;s &quot;said&quot; budget policy energy school`)

// benchItem is an entry's HTML of about size bytes as blogs publish it:
// paragraphs, emphasis, relative and absolute links, an image, entities.
func benchItem(r *rand.Rand, size int) string {
	var b strings.Builder
	for b.Len() < size {
		b.WriteString("<p>")
		for range 20 + r.IntN(30) {
			w := benchWords[r.IntN(len(benchWords))]
			switch r.IntN(40) {
			case 0:
				fmt.Fprintf(&b, `<a href="/story/%d?ref=feed&amp;x=1">%s</a> `, r.IntN(1e5), w)
			case 1:
				fmt.Fprintf(&b, `<a href="https://other.example/p/%d" rel="noopener">%s</a> `, r.IntN(1e5), w)
			case 2:
				fmt.Fprintf(&b, "<em>%s</em> ", w)
			case 3:
				fmt.Fprintf(&b, `<img src="https://cdn.example/i/%d.jpg" alt="%s" width="600" height="400" /> `, r.IntN(1e5), w)
			default:
				b.WriteString(w)
				b.WriteByte(' ')
			}
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}

func benchItems(size int) []string {
	r := rand.New(rand.NewPCG(uint64(size), 7))
	items := make([]string, 32)
	for i := range items {
		items[i] = benchItem(r, size)
	}
	return items
}

// BenchmarkSanitizeText is what ParseFeed does to an entry's HTML:
// sanitise it (links resolved), then extract its text; and each half.
func BenchmarkSanitizeText(b *testing.B) {
	const base = "https://site.example/news/feed"
	for _, size := range []int{1 << 10, 4 << 10} {
		items := benchItems(size)
		clean := make([]string, len(items))
		for i, s := range items {
			clean[i] = Sanitize(s, base)
		}
		b.Run(fmt.Sprintf("both/%dKB", size>>10), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				HTMLText(Sanitize(items[i%len(items)], base))
			}
		})
		b.Run(fmt.Sprintf("Sanitize/%dKB", size>>10), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				Sanitize(items[i%len(items)], base)
			}
		})
		b.Run(fmt.Sprintf("resolveLinks/%dKB", size>>10), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				resolveLinks(items[i%len(items)], base)
			}
		})
		b.Run(fmt.Sprintf("HTMLText/%dKB", size>>10), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				HTMLText(clean[i%len(clean)])
			}
		})
	}
}
