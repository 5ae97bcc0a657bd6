package feed

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParseRule checks that ParseRule never panics, that String is a
// canonical form (it re-parses, to a rule that matches the same documents,
// and is a fixed point), and that errors locate a column inside the input.
func FuzzParseRule(f *testing.F) {
	for _, src := range devsetRules {
		f.Add(src)
	}
	for _, tc := range goodRules {
		f.Add(tc.in)
	}
	for _, tc := range matchCases {
		f.Add(tc.rule)
	}
	for _, tc := range badRules {
		f.Add(tc.in)
	}
	docs := []*Doc{
		NewDoc("Pakistan and US weigh tariffs", benchArticle, "Dawn", "Staff", []string{"Business"}),
		NewDoc("IT exports", "who said it to us? Mu\u0308ller, a and b, x y z", "", "", nil),
		NewDoc("", "", "", "", nil),
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := ParseRule(src)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("ParseRule(%q): error %T %v is not a *RuleError", src, err, err)
			}
			if n := utf8.RuneCountInString(src); re.Column < 1 || re.Column > n+1 {
				t.Fatalf("ParseRule(%q): column %d outside 1..%d", src, re.Column, n+1)
			}
			return
		}
		canon := r.String()
		r2, err := ParseRule(canon)
		if err != nil {
			t.Fatalf("ParseRule(%q).String() = %q does not parse: %v", src, canon, err)
		}
		if again := r2.String(); again != canon {
			t.Fatalf("String not a fixed point for %q: %q then %q", src, canon, again)
		}
		for i, d := range docs {
			if r.Match(d) != r2.Match(d) {
				t.Fatalf("%q and its canonical %q differ on doc %d", src, canon, i)
			}
		}
		_ = r.FTSQuery()
		_ = r.Explain(docs[0])
	})
}
