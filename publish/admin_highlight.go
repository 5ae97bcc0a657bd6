package publish

import (
	"html/template"
	"strings"

	"github.com/topicfeed/topicfeed/feed"
)

// Highlighting marks, in an item's title and summary, the words of the
// rule's terms that the rule engine says the item contains (Rule.Explain),
// with <mark>. It follows the rule language's word rules closely enough
// for the eye: words compare folded (case and accents), a 2–4 letter
// ALL-CAPS rule word only as written, phrases as consecutive words.

// markedTerms are word sequences to mark, by the field they may be in.
type markedTerms struct{ title, body [][]string }

func markTerms(rule *feed.Rule, it *feed.Item) markedTerms {
	var mt markedTerms
	if rule == nil {
		return mt
	}
	for _, leaf := range rule.Explain(feed.ItemDoc(it)) {
		if strings.HasPrefix(leaf, "NOT ") {
			continue
		}
		field, term := "", leaf
		if i := strings.Index(leaf, ":"); i > 0 && !strings.HasPrefix(leaf, `"`) {
			field, term = leaf[:i], leaf[i+1:]
		}
		words := ruleWords(strings.Trim(term, `"`))
		if len(words) == 0 {
			continue
		}
		switch field {
		case "":
			mt.title = append(mt.title, words)
			mt.body = append(mt.body, words)
		case "title":
			mt.title = append(mt.title, words)
		case "body":
			mt.body = append(mt.body, words)
		}
	}
	return mt
}

func ruleWords(s string) []string {
	var out []string
	forWords(s, func(i, j int) { out = append(out, s[i:j]) })
	return out
}

// forWords calls fn with the bounds of each word of s.
func forWords(s string, fn func(i, j int)) {
	start := -1
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			fn(start, i)
			start = -1
		}
	}
	if start >= 0 {
		fn(start, len(s))
	}
}

func wordMatches(rule, text string) bool {
	if feed.IsAcronym(rule) {
		return rule == text
	}
	return feed.Fold(rule) == feed.Fold(text)
}

// highlight escapes text and wraps each run of words matching one of
// terms in <mark>.
func highlight(text string, terms [][]string) template.HTML {
	if len(terms) == 0 {
		return template.HTML(template.HTMLEscapeString(text))
	}
	type span struct{ i, j int }
	var words []span
	forWords(text, func(i, j int) { words = append(words, span{i, j}) })
	var b strings.Builder
	at := 0
	for k := 0; k < len(words); {
		n := 0
		for _, t := range terms {
			if k+len(t) > len(words) || len(t) <= n {
				continue
			}
			ok := true
			for q, w := range t {
				if !wordMatches(w, text[words[k+q].i:words[k+q].j]) {
					ok = false
					break
				}
			}
			if ok {
				n = len(t)
			}
		}
		if n == 0 {
			k++
			continue
		}
		i, j := words[k].i, words[k+n-1].j
		b.WriteString(template.HTMLEscapeString(text[at:i]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(text[i:j]))
		b.WriteString("</mark>")
		at = j
		k += n
	}
	b.WriteString(template.HTMLEscapeString(text[at:]))
	return template.HTML(b.String())
}
