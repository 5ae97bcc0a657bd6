package feed

import (
	"errors"
	"slices"
	"strings"
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
	items := []*Item{
		{Title: "Pakistan and US weigh tariffs", Text: benchArticle, Sources: []string{"Dawn"}, Author: "Staff", Categories: []string{"Business"}},
		{Title: "IT exports", Text: "who said it to us? Mu\u0308ller, a and b, x y z"},
		{},
	}
	docs := make([]*Doc, len(items))
	for i, it := range items {
		docs[i] = ItemDoc(it)
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
			if r.Match(d) && !r.MayMatch(items[i]) {
				t.Fatalf("%q matches doc %d but MayMatch says it cannot", src, i)
			}
		}
		_ = r.FTSQuery()
		_ = r.Explain(docs[0])
	})
}

// FuzzNewDocTerms checks that a Doc kept for a rule's Vocab matches and
// explains the rule as NewDoc's does, and that its terms are SearchTerms.
func FuzzNewDocTerms(f *testing.F) {
	for _, tc := range matchCases {
		f.Add(tc.rule, tc.doc.title, tc.doc.body, tc.doc.source)
	}
	f.Add(`"United States" AND NOT "States said"`, "United", "States said the United Nations States", "Dawn")
	f.Fuzz(func(t *testing.T, src, title, body, source string) {
		r, err := ParseRule(src)
		if err != nil {
			return
		}
		cats := []string{title, source}
		full := NewDoc(title, body, source, "", cats)
		kept, terms := NewDocTerms(NewVocab(r), title, body, source, "", cats)
		if got, want := r.Match(kept), r.Match(full); got != want {
			t.Fatalf("%s: Match %v with the Vocab's Doc, %v with NewDoc", r, got, want)
		}
		if got, want := r.Explain(kept), r.Explain(full); !slices.Equal(got, want) {
			t.Fatalf("%s: Explain %v with the Vocab's Doc, %v with NewDoc", r, got, want)
		}
		a, b := strings.Fields(SearchTerms(title, body, source, "", cats)), strings.Fields(terms)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Fatalf("SearchTerms %v, NewDocTerms %v", a, b)
		}
	})
}
