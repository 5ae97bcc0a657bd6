package feed

import (
	"fmt"
	"strings"
	"unicode"
)

// RuleError is a rule that does not parse: what is wrong and where.
type RuleError struct {
	Column int // 1-based, in runes from the start of the rule
	Msg    string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
}

// maxRuleDepth bounds nesting of parentheses and NOT, so a hostile rule
// cannot make the recursive parser and matcher use unbounded stack.
const maxRuleDepth = 100

// ParseRule parses a topic rule (see the language notes in rule.go). On
// failure the error is a *RuleError locating the first problem.
func ParseRule(src string) (*Rule, error) {
	p := &parser{lx: lexer{src: []rune(src)}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, &RuleError{Column: 1, Msg: "empty rule"}
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		// parseOr stops only at ")" or the end.
		return nil, &RuleError{Column: p.tok.col, Msg: "unexpected " + p.tok.describe()}
	}
	return &Rule{root: root}, nil
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokTerm
	tokPhrase
	tokField
	tokAnd
	tokOr
	tokNot
	tokLParen
	tokRParen
)

type token struct {
	kind  tokKind
	text  string
	col   int
	field fieldMask
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of rule"
	case tokField:
		return `"` + t.text + `:"`
	}
	return `"` + t.text + `"`
}

// lexer yields tokens on demand, so the first error from the left is the
// one reported whether it is lexical or syntactic.
type lexer struct {
	src []rune
	pos int
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && unicode.IsSpace(l.src[l.pos]) {
		l.pos++
	}
	col := l.pos + 1
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, col: col}, nil
	}
	switch l.src[l.pos] {
	case '(':
		l.pos++
		return token{kind: tokLParen, text: "(", col: col}, nil
	case ')':
		l.pos++
		return token{kind: tokRParen, text: ")", col: col}, nil
	case '"':
		return l.phrase()
	}
	if t, ok, err := l.field(); ok || err != nil {
		return t, err
	}
	start := l.pos
	for l.pos < len(l.src) && !isRuleDelim(l.src[l.pos]) {
		l.pos++
	}
	text := string(l.src[start:l.pos])
	switch text {
	case "AND":
		return token{kind: tokAnd, text: text, col: col}, nil
	case "OR":
		return token{kind: tokOr, text: text, col: col}, nil
	case "NOT":
		return token{kind: tokNot, text: text, col: col}, nil
	}
	return token{kind: tokTerm, text: text, col: col}, nil
}

func isRuleDelim(r rune) bool {
	return r == '(' || r == ')' || r == '"' || unicode.IsSpace(r)
}

func (l *lexer) phrase() (token, error) {
	col := l.pos + 1
	for end := l.pos + 1; end < len(l.src); end++ {
		if l.src[end] == '"' {
			text := string(l.src[l.pos+1 : end])
			l.pos = end + 1
			return token{kind: tokPhrase, text: strings.Join(strings.Fields(text), " "), col: col}, nil
		}
	}
	return token{}, &RuleError{Column: col, Msg: "unterminated phrase"}
}

// field lexes a prefix: ASCII letters then ":" at the start of a word.
func (l *lexer) field() (token, bool, error) {
	i := l.pos
	for i < len(l.src) && (l.src[i] >= 'a' && l.src[i] <= 'z' || l.src[i] >= 'A' && l.src[i] <= 'Z') {
		i++
	}
	if i == l.pos || i >= len(l.src) || l.src[i] != ':' {
		return token{}, false, nil
	}
	name := string(l.src[l.pos:i])
	m, ok := fieldByName(name)
	if !ok {
		return token{}, false, &RuleError{Column: l.pos + 1, Msg: fmt.Sprintf("unknown field %q", name)}
	}
	t := token{kind: tokField, text: name, col: l.pos + 1, field: m}
	l.pos = i + 1
	return t, true, nil
}

type parser struct {
	lx    lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) parseOr() (*node, error) {
	n, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	kids := []*node{n}
	for p.tok.kind == tokOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return join(opOr, kids), nil
}

// parseAnd parses operands joined by AND or by juxtaposition.
func (p *parser) parseAnd() (*node, error) {
	n, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	kids := []*node{n}
	for {
		switch p.tok.kind {
		case tokAnd:
			if err := p.advance(); err != nil {
				return nil, err
			}
		case tokTerm, tokPhrase, tokField, tokLParen, tokNot:
		default:
			return join(opAnd, kids), nil
		}
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
}

func (p *parser) parseUnary() (*node, error) {
	if p.tok.kind != tokNot {
		return p.parsePrimary()
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	p.depth--
	return &node{op: opNot, kids: []*node{n}}, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxRuleDepth {
		return &RuleError{Column: p.tok.col, Msg: "rule nested too deeply"}
	}
	return nil
}

// parsePrimary parses [field:] (term | phrase | "(" rule ")").
func (p *parser) parsePrimary() (*node, error) {
	var field fieldMask
	if p.tok.kind == tokField {
		field = p.tok.field
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	var n *node
	switch p.tok.kind {
	case tokTerm, tokPhrase:
		leaf, err := newLeaf(p.tok)
		if err != nil {
			return nil, err
		}
		n = leaf
		if err := p.advance(); err != nil {
			return nil, err
		}
	case tokLParen:
		group, err := p.parseGroup()
		if err != nil {
			return nil, err
		}
		n = group
	default:
		return nil, &RuleError{Column: p.tok.col, Msg: `expected term or "(" but found ` + p.tok.describe()}
	}
	if field != 0 {
		n.setField(field)
	}
	return n, nil
}

func (p *parser) parseGroup() (*node, error) {
	open := p.tok.col
	if err := p.enter(); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokRParen {
		return nil, &RuleError{Column: open, Msg: `unclosed "("`}
	}
	p.depth--
	return n, p.advance()
}

// setField applies a field prefix to every leaf without one of its own.
func (n *node) setField(f fieldMask) {
	if n.op != opLeaf {
		for _, k := range n.kids {
			k.setField(f)
		}
		return
	}
	if !n.explicit {
		n.fields, n.explicit = f, true
	}
}

// join builds an n-ary AND or OR, flattening nested ones of the same kind
// so that String is a fixed point.
func join(o op, kids []*node) *node {
	if len(kids) == 1 {
		return kids[0]
	}
	var flat []*node
	for _, k := range kids {
		if k.op == o {
			flat = append(flat, k.kids...)
		} else {
			flat = append(flat, k)
		}
	}
	return &node{op: o, kids: flat}
}

func newLeaf(t token) (*node, error) {
	n := &node{op: opLeaf, fields: fieldDefault, phrase: t.kind == tokPhrase, text: t.text}
	if !n.phrase {
		if strings.HasPrefix(t.text, "-") {
			return nil, &RuleError{Column: t.col, Msg: `unexpected "-": use NOT to exclude a term`}
		}
		if i := strings.IndexRune(t.text, '*'); i >= 0 {
			col := t.col + len([]rune(t.text[:i]))
			return nil, &RuleError{Column: col, Msg: `unexpected "*": wildcards are not supported`}
		}
	}
	n.words = ruleWords(t.text)
	if len(n.words) > 0 {
		return n, nil
	}
	if n.phrase {
		return nil, &RuleError{Column: t.col, Msg: "empty phrase"}
	}
	return nil, &RuleError{Column: t.col, Msg: fmt.Sprintf("term %q has no letters or digits", t.text)}
}
