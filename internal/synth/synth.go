// Package synth makes the deterministic made-up text the benchmarks store:
// pseudo-words that a tokeniser treats as words but that no real article
// shares, so generated items never merge as duplicates by chance.
package synth

import (
	"math/rand/v2"
	"strings"
)

var syllables = []string{"ka", "ro", "mi", "ten", "sal", "vu", "den", "or", "pli", "ast", "ne", "gor", "ul", "bri", "es", "tam"}

// Words returns n pseudo-words of 2–4 syllables, the same for the same
// seeds (benchmarks cache databases built from them).
func Words(seed1, seed2 uint64, n int) []string {
	r := rand.New(rand.NewPCG(seed1, seed2))
	words := make([]string, n)
	for i := range words {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		words[i] = b.String()
	}
	return words
}

// Text is at least size bytes of sentences of 8 to 8+spread-1 words from
// words, each ending in ". ", drawn with r.
func Text(r *rand.Rand, words []string, size, spread int) string {
	var b strings.Builder
	for b.Len() < size {
		for i := range 8 + r.IntN(spread) {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		b.WriteString(". ")
	}
	return b.String()
}
