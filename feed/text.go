package feed

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s in the form used for matching and fingerprints: Unicode
// compatibility forms unified, accents removed ("Shehbāz" → "Shehbaz", NFD
// "Mu\u0308ller" → "Muller"), and lower case. Punctuation is kept.
func Fold(s string) string {
	return strings.ToLower(StripAccents(s))
}

// StripAccents replaces each character by its compatibility decomposition
// (NFKD) without combining marks, keeping case. It runs on every stored
// item, so it is one pass with no allocation for ASCII text, instead of a
// chain of transformers over the whole string.
func StripAccents(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			b.WriteByte(c)
			i++
			continue
		}
		p := norm.NFKD.PropertiesString(s[i:])
		n := max(p.Size(), 1)
		if d := p.Decomposition(); d != nil {
			writeUnmarked(&b, string(d))
		} else {
			writeUnmarked(&b, s[i:i+n])
		}
		i += n
	}
	return b.String()
}

func writeUnmarked(b *strings.Builder, s string) {
	for _, r := range s {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
}
