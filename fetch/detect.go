package fetch

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"golang.org/x/net/html/atom"
)

// Documents are told apart by parsing their start, not by searching for
// strings in it: a JSON Feed may write its version URL with escaped
// slashes or after kilobytes of items, and an RSS document's "<rss" may
// sit behind a long comment.

// firstByte is the first byte of doc that is not XML/JSON white space.
func firstByte(doc []byte) byte {
	for _, c := range doc {
		if !isXMLSpace(c) {
			return c
		}
	}
	return 0
}

// xmlRoot is what the prolog and root element of a document that starts
// with "<" say.
type xmlRoot struct {
	name  string // root element as written, prefix included ("r:rss"); "" if none
	local string // its local name, lower-cased
	decl  bool   // an XML declaration opened the document
	html  bool   // a <!DOCTYPE html> came before the root
	err   error  // a syntax error before any root element
}

// findXMLRoot tokenises doc (UTF-8) up to its first element, skipping the
// XML declaration, comments, processing instructions and DOCTYPE. Entities
// in a DOCTYPE are not expanded: the tokeniser only reads it as text.
func findXMLRoot(doc []byte) xmlRoot {
	var r xmlRoot
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return r
		}
		if err != nil {
			r.err = err
			return r
		}
		switch t := tok.(type) {
		case xml.StartElement:
			r.name, r.local = t.Name.Local, strings.ToLower(t.Name.Local)
			if t.Name.Space != "" {
				r.name = t.Name.Space + ":" + t.Name.Local
			}
			return r
		case xml.ProcInst:
			r.decl = r.decl || t.Target == "xml"
		case xml.Directive:
			f := strings.Fields(strings.ToLower(string(t)))
			r.html = r.html || len(f) >= 2 && f[0] == "doctype" && strings.TrimRight(f[1], ">[") == "html"
		case xml.EndElement:
			r.err = fmt.Errorf("XML syntax error: end tag </%s> before any element", t.Name.Local)
			return r
		}
	}
}

// isFeed says whether the root is one gofeed reads: RSS, Atom or RDF.
func (r xmlRoot) isFeed() bool {
	return r.local == "rss" || r.local == "feed" || r.local == "rdf"
}

// isHTML says whether the document is a web page rather than XML data: an
// <html> root or doctype, or, with no XML declaration, a root that is a
// common HTML element (a fragment saved from a page).
func (r xmlRoot) isHTML() bool {
	return r.html || r.local == "html" || (!r.decl && r.name != "" && !strings.Contains(r.name, ":") && htmlRootNames[r.local])
}

// refusal is why an XML document that gofeed cannot read is not a feed.
func (r xmlRoot) refusal() string {
	switch {
	case r.err != nil:
		return oneLine(r.err) // "XML syntax error on line N: …"
	case r.name == "":
		return "XML with no root element"
	}
	return "XML root <" + r.name + "> is not RSS, Atom or RDF"
}

var htmlRootNames = setOf("html", "head", "body", "p", "div", "span", "a", "b", "i", "em", "strong",
	"h1", "h2", "h3", "h4", "h5", "h6", "article", "section", "main", "header", "footer", "nav",
	"aside", "ul", "ol", "li", "dl", "table", "pre", "blockquote", "figure", "img", "br", "hr",
	"meta", "title", "link", "style", "script", "form", "center", "font", "small", "code")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// errNoJSONFeedVersion refuses a JSON object that is not a JSON Feed.
var errNoJSONFeedVersion = errors.New("JSON without a jsonfeed.org version")

// isJSONFeedVersion checks JSON Feed's required "version" URL.
func isJSONFeedVersion(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return strings.HasPrefix(v, "https://jsonfeed.org/version/") || strings.HasPrefix(v, "http://jsonfeed.org/version/")
}

// jsonFeedVersionOf reads just the version of a JSON object that did not
// decode as a JSON Feed, to tell "not a JSON Feed" from "a broken one".
func jsonFeedVersionOf(doc []byte) (string, bool) {
	var probe struct {
		Version any `json:"version"`
	}
	if json.Unmarshal(doc, &probe) != nil {
		return "", false
	}
	v, _ := probe.Version.(string)
	return v, true
}

// articleExt says whether a file's extension names a plain article: such
// a file is an article unless it really is a feed.
func articleExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".text", ".md", ".markdown", ".mdown", ".mkd", ".html", ".htm", ".xhtml":
		return true
	}
	return false
}

// Titles are plain text in RSS (by custom), JSON Feed and Atom's default
// type, and HTML only where a format says so or the markup is unmistakable.

// htmlVoidTags need no end tag or attributes to be markup in a title.
var htmlVoidTags = setOf("br", "wbr")

// isHTMLName reports an element (or attribute) name HTML knows.
func isHTMLName(name string) bool { return atom.Lookup([]byte(name)) != 0 }

// hasHTMLMarkup reports a known HTML tag used as markup (see
// markupScan.tagAt): "<b>new</b>" and `<a href="x">` are markup, while
// "Vec<T>", "Option<B>" and "a <i" are text.
func hasHTMLMarkup(s string) bool {
	m := newMarkupScan(s)
	for i := strings.IndexByte(s, '<'); i >= 0; {
		if m.tagAt(i) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// markupScan answers tagAt for the "<"s of one string, asked left to
// right, in linear time overall: the next ">" and "=" are cursors, and
// each element's last end tag is searched for once.
type markupScan struct {
	s, lower string
	gt, eq   int // the first '>' and '=' at or after the last position asked; len(s) if none
	closes   map[string]int
}

func newMarkupScan(s string) *markupScan { return &markupScan{s: s, gt: -1, eq: -1} }

// tagAt reports whether the "<" at s[i] opens a known HTML element used
// as markup: <br>, a start tag with attributes, or a start tag whose end
// tag follows. A name alone is not enough: "<T>", "<B>" and "<title>" in
// "Vec<T>", "Option<B>" and "the <title> element" are text.
func (m *markupScan) tagAt(i int) bool {
	name, rest := tagNameAt(m.s[i+1:])
	if name == "" || !isHTMLName(name) {
		return false
	}
	end := len(m.s) - len(rest) // just after the name
	switch {
	case htmlVoidTags[name]:
		return true
	case rest[0] == '>':
		return m.endTagAfter(name, end)
	case rest[0] == '/':
		return false
	}
	gt := m.next(&m.gt, '>', end)
	return gt < len(m.s) && m.next(&m.eq, '=', end) < gt
}

func (m *markupScan) next(cur *int, c byte, from int) int {
	if *cur < from {
		*cur = len(m.s)
		if j := strings.IndexByte(m.s[from:], c); j >= 0 {
			*cur = from + j
		}
	}
	return *cur
}

func (m *markupScan) endTagAfter(name string, i int) bool {
	last, ok := m.closes[name]
	if !ok {
		if m.closes == nil {
			m.closes = make(map[string]int)
			m.lower = asciiLower(m.s)
		}
		last = strings.LastIndex(m.lower, "</"+name+">")
		m.closes[name] = last
	}
	return last > i
}

// tagNameAt reads an ASCII tag name at the start of s (just after "<"),
// lower-cased, and what follows it; "" when s does not start with one or
// the name is not followed by ">", "/" or white space.
func tagNameAt(s string) (string, string) {
	n := 0
	for n < len(s) && (s[n]|0x20 >= 'a' && s[n]|0x20 <= 'z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	if n == 0 || n == len(s) {
		return "", ""
	}
	if c := s[n]; c != '>' && c != '/' && !isXMLSpace(c) {
		return "", ""
	}
	return asciiLower(s[:n]), s[n:]
}

// asciiLower lower-cases ASCII letters only, so byte offsets are kept.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// hasEntity reports an HTML character reference ("&amp;", "&#233;").
func hasEntity(s string) bool {
	for i := strings.IndexByte(s, '&'); i >= 0 && i+2 < len(s); {
		j := i + 1
		for j < len(s) && j-i <= 32 && (s[j] == '#' || s[j]|0x20 >= 'a' && s[j]|0x20 <= 'z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == ';' {
			return true
		}
		k := strings.IndexByte(s[i+1:], '&')
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return false
}

// oneLineText folds a title's white space (newlines included) to single
// spaces, without a copy when there is nothing to fold.
func oneLineText(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == ' ' && s[i+1] == ' ' || c >= 0x80 {
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}

// Atom title types, per entry, for titles that hold "<" or an entity.
const (
	titleUnknown int8 = iota
	titleText
	titleHTML
)

// atomTitleTypes reads the type attribute of each entry's title, in
// document order, so that only type="html"/"xhtml" titles are read as
// HTML (gofeed does not keep the attribute). It costs a pass of the
// tokeniser, so it runs only when some title could change. When its count
// of entries disagrees with gofeed's, every type is unknown.
func atomTitleTypes(doc []byte, n int) []int8 {
	types := make([]int8, 0, n)
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	depth, inEntry := 0, false
	for {
		tok, err := d.RawToken()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 2 && t.Name.Local == "entry":
				types = append(types, titleText)
				inEntry = true
			case depth == 3 && inEntry && t.Name.Local == "title":
				types[len(types)-1] = titleText
				for _, a := range t.Attr {
					v := strings.ToLower(strings.TrimSpace(a.Value))
					if a.Name.Local == "type" && (v == "html" || v == "text/html" || strings.Contains(v, "xhtml")) ||
						a.Name.Local == "mode" && v == "escaped" {
						types[len(types)-1] = titleHTML
					}
				}
			}
		case xml.EndElement:
			if depth == 2 {
				inEntry = false
			}
			depth--
		}
	}
	if len(types) != n {
		return make([]int8, n)
	}
	return types
}
