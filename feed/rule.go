package feed

// Topic rules: a small query language over an item's fields.
//
//	Pakistan AND ("United States" OR US OR Washington) NOT cricket
//	title:tariff OR title:tariffs
//	body:"trade deal" AND NOT title:"trade deal"
//
// Syntax: terms, "quoted phrases", AND, OR, NOT, parentheses, and field
// prefixes title: body: source: author: category: on a term, phrase or
// parenthesised group. Precedence is NOT > AND > OR; adjacent operands are
// joined by an implicit AND, so `a NOT b` is `a AND NOT b`. AND, OR and NOT
// are operators only in upper case, so "loss and damage" needs no escaping.
// A prefix on a group applies to every term inside that has none of its own
// (the inner prefix wins). A prefix is any run of ASCII letters followed by
// ":" at the start of a word, so an unknown one is an error rather than a
// silently literal term; quote text such as "http://x" instead. There is no
// escape for '"' inside a phrase. A term starting with "-" or containing "*"
// is rejected: users coming from web search would expect NOT or a wildcard
// and silently get a literal match.
//
// Matching works on words. Text is NFKC-normalised with accents removed
// (StripAccents), then split into words: maximal runs of letters, numbers,
// marks and private-use characters; everything else, apostrophes and
// hyphens included, separates words. So `Pakistan` matches "Pakistan’s"
// (words "Pakistan", "s") and `US` matches "US-China". A term written with
// separators inside (US-China) is a phrase of its words. Words compare
// case-insensitively, except that a rule word of 2–4 letters that are all
// upper case (US, IT, WHO, NATO) must match the same upper-case word in the
// text, so pronouns "us", "it" and "who" do not match; this holds inside
// phrases too. There is no stemming: tariff does not match tariffs.
//
// A phrase matches consecutive words of one field, whatever punctuation or
// line breaks lie between them, but never across two fields or two
// categories. A term without a prefix searches title and body.

import (
	"strings"
)

// Rule is a parsed topic rule. It is immutable and safe for concurrent use.
type Rule struct {
	root *node
}

type op uint8

const (
	opLeaf op = iota
	opAnd
	opOr
	opNot
)

// node is one rule operator or leaf. Field prefixes on groups are pushed
// down to the leaves at parse time, so only leaves carry fields.
type node struct {
	op   op
	kids []*node

	fields   fieldMask
	explicit bool   // had its own field prefix (an outer group's does not override it)
	phrase   bool   // written in quotes
	text     string // the term as written, or the phrase with spaces collapsed
	words    []word
}

// word is one word of a term or phrase. exact is set only for the
// case-sensitive ALL-CAPS words.
type word struct {
	folded string
	exact  string
}

type fieldMask uint8

const (
	fieldTitle fieldMask = 1 << iota
	fieldBody
	fieldSource
	fieldAuthor
	fieldCategory

	fieldDefault = fieldTitle | fieldBody
)

// fieldNames is in fieldMask bit order.
var fieldNames = [...]string{"title", "body", "source", "author", "category"}

func fieldByName(name string) (fieldMask, bool) {
	for i, n := range fieldNames {
		if strings.EqualFold(n, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

// String returns the rule in canonical form: explicit AND, one space around
// operators, field prefixes on every leaf, and parentheses wherever AND and
// OR meet, whether precedence needs them or not. It re-parses to the same
// rule, which makes it a stable key for Topic.Signature.
func (r *Rule) String() string {
	var b strings.Builder
	r.root.write(&b)
	return b.String()
}

func (n *node) write(b *strings.Builder) {
	switch n.op {
	case opLeaf:
		b.WriteString(n.leafString())
	case opNot:
		b.WriteString("NOT ")
		n.kids[0].writeOperand(b)
	default:
		sep := " AND "
		if n.op == opOr {
			sep = " OR "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.writeOperand(b)
		}
	}
}

// writeOperand writes n as the operand of AND, OR or NOT.
func (n *node) writeOperand(b *strings.Builder) {
	if n.op == opAnd || n.op == opOr {
		b.WriteByte('(')
		n.write(b)
		b.WriteByte(')')
		return
	}
	n.write(b)
}

// leafString is the leaf as written in canonical form, with its prefix.
func (n *node) leafString() string {
	var b strings.Builder
	if n.fields != fieldDefault {
		for i, name := range fieldNames {
			if n.fields&(1<<i) != 0 {
				b.WriteString(name)
				b.WriteByte(':')
			}
		}
	}
	if n.phrase {
		b.WriteByte('"')
		b.WriteString(n.text)
		b.WriteByte('"')
	} else {
		b.WriteString(n.text)
	}
	return b.String()
}

// FTSQuery returns an SQLite FTS5 MATCH expression over SearchTerms that
// selects a superset of the items Match accepts, or "" when the rule
// restricts nothing that FTS5 can express (a NOT-only rule, or an OR with
// a NOT-only branch); the caller then scans. Negative parts are dropped,
// ALL-CAPS words lose their case, a phrase asks for each of its words and
// body: for the word in any field, which only widens the result. Each word
// becomes a quoted term of base-32 characters, so rule text cannot inject
// FTS5 syntax.
func (r *Rule) FTSQuery() string {
	q, _ := r.root.fts()
	return q
}

// fts returns n's FTS5 expression and whether it restricts anything.
func (n *node) fts() (string, bool) {
	switch n.op {
	case opLeaf:
		if len(n.words) == 0 {
			return "", false
		}
		parts := make([]string, len(n.words))
		for i, w := range n.words {
			parts[i] = ftsWord(n.fields, w.folded)
		}
		return strings.Join(parts, " AND "), true
	case opNot:
		return "", false
	}
	var parts []string
	for _, k := range n.kids {
		q, ok := k.fts()
		if !ok {
			if n.op == opOr {
				return "", false
			}
			continue
		}
		if k.op == opAnd || k.op == opOr {
			q = "(" + q + ")"
		}
		parts = append(parts, q)
	}
	if len(parts) == 0 {
		return "", false
	}
	if n.op == opOr {
		return strings.Join(parts, " OR "), true
	}
	return strings.Join(parts, " AND "), true
}
