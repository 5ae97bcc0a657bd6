package feed

import (
	"testing"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

func TestStripAccents(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain ASCII", "plain ASCII"},
		{"Shehbāz", "Shehbaz"},
		{"Mu\u0308ller", "Muller"},
		{"Müller", "Muller"},
		{"São Paulo – “quoted” ’s", "Sao Paulo – “quoted” ’s"},
		{"ﬁnance", "finance"},
		{"ＵＳ", "US"},
		{"naïve café", "naive cafe"},
		{"Ελλάδα", "Ελλαδα"},
		{"no\u00a0break", "no break"},
	}
	for _, tt := range tests {
		if got := StripAccents(tt.in); got != tt.want {
			t.Errorf("StripAccents(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The single pass must agree with the textbook NFKD → drop marks → NFKC
// chain on Latin text, where every test and devset article lives.
func FuzzStripAccents(f *testing.F) {
	for _, s := range []string{"Shehbāz", "Mu\u0308ller", "Crème brûlée", "Ærøskøbing", "ﬂoor"} {
		f.Add(s)
	}
	chain := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFKC)
	f.Fuzz(func(t *testing.T, s string) {
		got := StripAccents(s)
		if StripAccents(got) != got {
			t.Errorf("not idempotent: %q → %q → %q", s, got, StripAccents(got))
		}
		for _, r := range s {
			if r > 0x24F { // beyond Latin: composition may legitimately differ
				return
			}
		}
		want, _, _ := transform.String(chain, s)
		if norm.NFC.String(got) != want {
			t.Errorf("StripAccents(%q) = %q, chain gives %q", s, got, want)
		}
	})
}
