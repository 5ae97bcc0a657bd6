package feed

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// policy is built once and only read afterwards; bluemonday policies are
// safe for concurrent use.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowDataURIImages()
	p.RequireNoFollowOnLinks(false)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return p
})

// bufs holds the scratch buffers Sanitize and HTMLText write into before
// the one copy they return: a refresh sanitises every new item, and the
// buffers each call grew and dropped were a fifth of a pass's allocation.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer {
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// putBuf keeps b for reuse unless one huge item grew it.
func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufs.Put(b)
	}
}

// Sanitize makes untrusted HTML safe to republish: no scripts, event
// handlers or javascript: URLs, and relative links resolved against base
// so they still work in a reader.
func Sanitize(fragment, base string) string {
	if strings.TrimSpace(fragment) == "" {
		return ""
	}
	if strings.IndexByte(fragment, '<') < 0 && strings.IndexByte(fragment, 0) < 0 {
		// Text alone is one text token, which the policy writes escaped.
		return strings.TrimSpace(html.EscapeString(html.UnescapeString(convertNewlines(fragment))))
	}
	var in io.Reader
	if resolved := getBuf(); resolveLinksTo(resolved, fragment, base) {
		defer putBuf(resolved)
		in = bytes.NewReader(resolved.Bytes())
	} else {
		putBuf(resolved)
		in = strings.NewReader(fragment)
	}
	out := getBuf()
	defer putBuf(out)
	// As policy().Sanitize, which returns "" when the tokenizer fails.
	if err := policy().SanitizeReaderToWriter(in, out); err != nil {
		return ""
	}
	return string(bytes.TrimSpace(out.Bytes()))
}

// resolveLinks rewrites href and src attributes to absolute URLs.
func resolveLinks(fragment, base string) string {
	var out bytes.Buffer
	if !resolveLinksTo(&out, fragment, base) {
		return fragment
	}
	return out.String()
}

// resolveLinksTo writes fragment to out with its href and src attributes
// made absolute, and reports whether it did; false (out untouched) when
// there is nothing to resolve. Only the tags that have one are rebuilt;
// everything else is copied as it came, since the sanitiser parses it
// again anyway.
func resolveLinksTo(out *bytes.Buffer, fragment, base string) bool {
	if resolved, ok := resolveLinksScan(out, fragment, base); ok {
		return resolved
	}
	out.Reset()
	if !containsFold(fragment, "href") && !containsFold(fragment, "src") {
		return false
	}
	b, ok := absBase(base)
	if !ok {
		return false
	}
	out.Grow(len(fragment) + len(fragment)/8)
	resolveLinksTokenizer(out, fragment, b)
	return true
}

// absBase is base parsed, if it is an absolute URL links can be resolved
// against.
func absBase(base string) (*url.URL, bool) {
	b, err := url.Parse(base)
	return b, err == nil && base != "" && b.IsAbs()
}

// resolveLinksTokenizer is resolveLinksTo with html.Tokenizer, for what
// resolveLinksScan leaves to it.
func resolveLinksTokenizer(out *bytes.Buffer, fragment string, b *url.URL) {
	z := html.NewTokenizer(strings.NewReader(fragment))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if (tt == html.StartTagToken || tt == html.SelfClosingTagToken) && hasLink(z.Raw()) {
			tok := z.Token()
			resolveAttrs(&tok, b)
			out.WriteString(tok.String())
			continue
		}
		out.Write(z.Raw())
	}
}

// resolveAttrs makes tok's href and src absolute against base.
func resolveAttrs(tok *html.Token, base *url.URL) {
	for i, a := range tok.Attr {
		if a.Key != "href" && a.Key != "src" {
			continue
		}
		if u, err := base.Parse(strings.TrimSpace(a.Val)); err == nil {
			tok.Attr[i].Val = u.String()
		}
	}
}

// hasLink reports whether a raw tag may carry an href or src attribute.
func hasLink[T string | []byte](raw T) bool {
	return containsFold(raw, "href") || containsFold(raw, "src")
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case, without the copy strings.ToLower would make.
func containsFold[T string | []byte](s T, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		j := 0
		for j < len(w) && s[i+j]|0x20 == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}

var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "tr": true,
	"section": true, "article": true, "figcaption": true, "hr": true, "table": true,
}

// HTMLText extracts readable plain text: paragraphs separated by blank
// lines, entities decoded, scripts and styles dropped.
func HTMLText(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return strings.TrimSpace(fragment)
	}
	out := getBuf()
	defer putBuf(out)
	if !htmlTextScan(out, fragment) {
		out.Reset()
		htmlTextTokenizer(out, fragment)
	}
	return collapseParagraphs(out.Bytes())
}

// htmlTextTokenizer writes HTMLText's text before its paragraphs are
// collapsed, with html.Tokenizer, for what htmlTextScan leaves to it.
func htmlTextTokenizer(out *bytes.Buffer, fragment string) {
	z := html.NewTokenizer(strings.NewReader(fragment))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.TextToken:
			if skip == 0 {
				out.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if tag == "script" || tag == "style" {
				if z.Token().Type == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			if blockTags[tag] {
				out.WriteString("\n\n")
			}
		}
	}
}

// collapseParagraphs folds runs of spaces within paragraphs and keeps one
// blank line between them: paragraphs are what "\n\n" separates, words what
// Unicode spaces separate, and empty paragraphs vanish. One pass, one copy
// (HTMLText hands it its scratch buffer, not a string of it), made a
// stretch at a time: a single ' ' between words is copied as it is.
func collapseParagraphs[T string | []byte](s T) string {
	var b strings.Builder
	b.Grow(len(s))
	i, _ := spaceRun(s, 0) // leading spaces go
	from := i              // s[from:i] is to be copied as it is
	for i < len(s) {
		if k := spaceClass[s[i]]; k == 0 || k == 2 && spaceAt(s, i) == 0 {
			i++ // in a word
			continue
		}
		if s[i] == ' ' && i+1 < len(s) && spaceClass[s[i+1]] == 0 {
			i += 2 // the one space there should be, and a word
			continue
		}
		end, para := spaceRun(s, i)
		if end == len(s) {
			break // trailing spaces go
		}
		if s[i] == ' ' && end == i+1 {
			i = end
			continue
		}
		b.Write([]byte(s[from:i])) // no copy for either type: the conversion does not escape
		if para {
			b.WriteString("\n\n")
		} else {
			b.WriteByte(' ')
		}
		from, i = end, end
	}
	b.Write([]byte(s[from:i]))
	return b.String()
}

// spaceRun is the end of the spaces starting at s[i], and whether they
// break the paragraph: they have a "\n\n".
func spaceRun[T string | []byte](s T, i int) (end int, para bool) {
	for i < len(s) {
		if s[i] == '\n' && i+1 < len(s) && s[i+1] == '\n' {
			para = true
			i += 2
		} else if n := spaceAt(s, i); n > 0 {
			i += n
		} else {
			break
		}
	}
	return i, para
}

// spaceAt is the length of the space character at s[i], 0 if there is
// none there; a byte of invalid UTF-8 is no space, as in strings.Fields.
func spaceAt[T string | []byte](s T, i int) int {
	switch spaceClass[s[i]] {
	case 0:
		return 0
	case 1:
		return 1
	}
	var r rune
	var size int
	switch v := any(s).(type) {
	case string:
		r, size = utf8.DecodeRuneInString(v[i:])
	case []byte:
		r, size = utf8.DecodeRune(v[i:])
	}
	if unicode.IsSpace(r) {
		return size
	}
	return 0
}

// spaceClass tells spaceAt which bytes it need not decode: 1 for an ASCII
// space, 2 for the first byte of a non-ASCII space's UTF-8 (U+0085 and
// U+00A0, U+1680, U+2000 to U+205F, U+3000: see unicode.IsSpace), else 0.
var spaceClass = [256]uint8{'\t': 1, '\n': 1, '\v': 1, '\f': 1, '\r': 1, ' ': 1, 0xc2: 2, 0xe1: 2, 0xe2: 2, 0xe3: 2}

// The scanners below read HTML as html.Tokenizer does, for the common
// case only: text, tags and comments, none cut short by the end of the
// input, no NUL byte, no raw-text element (script, style, textarea…),
// doctype or processing instruction. Outside that case they report false
// and the callers use the tokenizer, so what an entry becomes cannot
// depend on which one read it; the tokenizer allocated its buffers and a
// copy of every attribute name, per call and per tag.

// tagSpan is a tag as the tokenizer reads it from the '<' at start.
type tagSpan struct {
	start, end       int // s[start:end] is the tag, '<' to '>'
	name0, name1     int // s[name0:name1] is its name, as written
	endTag, selfShut bool
	comment          bool // a "<!--" comment, not a tag
}

// attrSpan is an attribute the tokenizer keeps: s[k0:k1] = s[v0:v1].
type attrSpan struct{ k0, k1, v0, v1 int }

// nextMarkup finds the next tag or comment at or after s[i], with the
// attributes of a start tag in attrs[:0]. ok is false when s holds what the
// scanners leave to the tokenizer; found is false at the end of s.
func nextMarkup(s string, i int, attrs []attrSpan) (t tagSpan, _ []attrSpan, found, ok bool) {
	for {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return t, attrs, false, true
		}
		i += j
		if i+1 >= len(s) {
			return t, attrs, false, true // a '<' at the end is text
		}
		switch c := s[i+1]; {
		case isASCIILetter(c):
			t.name0 = i + 1
		case c == '/':
			if i+2 >= len(s) || !isASCIILetter(s[i+2]) {
				return t, attrs, false, false // "</", "</>", a bogus comment
			}
			t.name0, t.endTag = i+2, true
		case c == '!':
			if t.end = commentEnd(s, i); t.end < 0 {
				return t, attrs, false, false
			}
			t.start, t.comment = i, true
			return t, attrs, true, true
		case c == '?':
			return t, attrs, false, false
		default:
			i++ // a '<' in text
			continue
		}
		t.start = i
		attrs = attrs[:0]
		var ok bool
		if t.end, t.name1, attrs, ok = readTag(s, t.name0, !t.endTag, attrs); !ok {
			return t, attrs, false, false
		}
		if !t.endTag {
			if isRawTextTag(s[t.name0:t.name1]) {
				return t, attrs, false, false
			}
			// As the tokenizer: "<br/>" shuts itself, "<p a=/>" does not.
			t.selfShut = s[t.end-2] == '/' && (len(attrs) == 0 || t.end-2 != attrs[len(attrs)-1].v1-1)
		}
		return t, attrs, true, true
	}
}

// commentEnd is the end of the "<!--" comment at s[i:], -1 for any other
// "<!" declaration, a comment the tokenizer ends early ("<!-->", "<!--->")
// or one the input cuts short.
func commentEnd(s string, i int) int {
	if !strings.HasPrefix(s[i:], "<!--") {
		return -1
	}
	body := s[i+4:]
	if strings.HasPrefix(body, ">") || strings.HasPrefix(body, "->") {
		return -1
	}
	// The tokenizer ends a comment at the first "-->" or "--!>".
	end := -1
	if k := strings.Index(body, "-->"); k >= 0 {
		end = k + 3
	}
	if k := strings.Index(body, "--!>"); k >= 0 && (end < 0 || k+4 < end) {
		end = k + 4
	}
	if end < 0 {
		return -1
	}
	return i + 4 + end
}

// readTag reads a tag whose name starts at s[p], as html.Tokenizer's
// readTag, and returns the index after its '>' and the end of its name.
// ok is false if s ends within the tag (the tokenizer's error token).
// The attributes the tokenizer keeps (not the repeats of a name) are
// appended to attrs when save.
func readTag(s string, p int, save bool, attrs []attrSpan) (end, name1 int, _ []attrSpan, ok bool) {
	// The tag name runs to a space, '/' or '>'.
	for p++; ; p++ {
		if p >= len(s) {
			return 0, 0, attrs, false
		}
		if c := s[p]; isHTMLSpace(c) {
			name1 = p
			p++
			break
		} else if c == '/' || c == '>' {
			name1 = p
			break
		}
	}
	if p = skipHTMLSpace(s, p); p >= len(s) {
		return 0, 0, attrs, false
	}
	for {
		if s[p] == '>' {
			return p + 1, name1, attrs, true
		}
		// The key: a '=' first is part of it, a '/' first ends it empty.
		a := attrSpan{k0: p}
		if s[p] != '/' {
			for p++; ; p++ {
				if p >= len(s) {
					return 0, 0, attrs, false
				}
				if c := s[p]; c == '=' || c == '/' || c == '>' || isHTMLSpace(c) {
					break
				}
			}
		}
		a.k1 = p
		// The value, empty where there is none.
		a.v0, a.v1 = p, p
		if p = skipHTMLSpace(s, p); p >= len(s) {
			return 0, 0, attrs, false
		}
		switch s[p] {
		case '/':
			p++
		case '=':
			if p = skipHTMLSpace(s, p+1); p >= len(s) {
				return 0, 0, attrs, false
			}
			switch q := s[p]; q {
			case '>':
			case '\'', '"':
				k := strings.IndexByte(s[p+1:], q)
				if k < 0 {
					return 0, 0, attrs, false
				}
				a.v0, a.v1 = p+1, p+1+k
				p += k + 2
			default: // unquoted: to a space (read) or '>' (not)
				a.v0 = p
				for p++; ; p++ {
					if p >= len(s) {
						return 0, 0, attrs, false
					}
					if c := s[p]; c == '>' || isHTMLSpace(c) {
						break
					}
				}
				a.v1 = p
				if s[p] != '>' {
					p++
				}
			}
		}
		if save && a.k0 < a.k1 && !seenAttr(s, attrs, a) {
			attrs = append(attrs, a)
		}
		if p = skipHTMLSpace(s, p); p >= len(s) {
			return 0, 0, attrs, false
		}
	}
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isHTMLSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' }

func skipHTMLSpace(s string, p int) int {
	for p < len(s) && isHTMLSpace(s[p]) {
		p++
	}
	return p
}

// equalFold reports whether s is the lower-case ASCII word w in any case.
func equalFold(s, w string) bool {
	return len(s) == len(w) && containsFold(s, w)
}

// isRawTextTag reports whether a start tag named name switches the
// tokenizer to raw text (or RCDATA) for what follows it.
func isRawTextTag(name string) bool {
	for _, w := range [...]string{"iframe", "noembed", "noframes", "noscript", "plaintext", "script", "style", "textarea", "title", "xmp"} {
		if equalFold(name, w) {
			return true
		}
	}
	return false
}

// seenAttr reports whether attrs already has a's key, in any case: the
// tokenizer keeps the first of repeated attributes.
func seenAttr(s string, attrs []attrSpan, a attrSpan) bool {
	key := s[a.k0:a.k1]
	for _, b := range attrs {
		if k := s[b.k0:b.k1]; len(k) == len(key) && asciiEqualFold(k, key) {
			return true
		}
	}
	return false
}

func asciiEqualFold(a, b string) bool {
	for i := range len(a) {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// htmlTextScan is htmlTextTokenizer by nextMarkup; false (out partly
// written) where it leaves the input to the tokenizer.
func htmlTextScan(out *bytes.Buffer, s string) bool {
	if strings.IndexByte(s, 0) >= 0 {
		return false // the tokenizer replaces NUL in some places only
	}
	var arr [8]attrSpan
	attrs := arr[:0]
	text := 0 // the text not yet written starts here
	for i := 0; ; {
		t, a, found, ok := nextMarkup(s, i, attrs)
		if !ok {
			return false
		}
		attrs = a
		if !found {
			writeHTMLText(out, s[text:])
			return true
		}
		writeHTMLText(out, s[text:t.start])
		if !t.comment && isBlockTag(s[t.name0:t.name1]) {
			out.WriteString("\n\n")
		}
		i, text = t.end, t.end
	}
}

// isBlockTag is blockTags[name] for a name in any case, without a copy
// or a hash.
func isBlockTag(name string) bool {
	var b [10]byte // the longest block tag's length
	if len(name) > len(b) {
		return false
	}
	for i := range len(name) {
		b[i] = lowerASCII(name[i])
	}
	switch string(b[:len(name)]) {
	case "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr",
		"section", "article", "figcaption", "hr", "table":
		return true
	}
	return false
}

// writeHTMLText writes text as the tokenizer's Text: line ends made
// "\n", then character references decoded.
func writeHTMLText(out *bytes.Buffer, text string) {
	text = convertNewlines(text)
	for {
		i := strings.IndexByte(text, '&')
		if i < 0 {
			out.WriteString(text)
			return
		}
		r, n := commonCharRef(text[i:])
		if n == 0 && !literalAmp(text[i:], false) {
			out.WriteString(html.UnescapeString(text)) // as it always decodes: rarer references
			return
		}
		out.WriteString(text[:i])
		if n > 0 {
			out.WriteRune(r)
			text = text[i+n:]
		} else {
			out.WriteByte('&')
			text = text[i+1:]
		}
	}
}

// commonCharRef decodes the character reference at the start of s if it
// is one that HTML decodes the same in text and in attribute values, and
// a common one: a named &amp; &lt; &gt; &quot; &apos; &nbsp; or a numeric
// one with its ';' naming a character that needs no replacing. n is its
// length, 0 for any other.
func commonCharRef(s string) (r rune, n int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return 0, 0
	}
	ref := s[1:end]
	switch ref {
	case "amp":
		return '&', end + 1
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "quot":
		return '"', end + 1
	case "apos":
		return '\'', end + 1
	case "nbsp":
		return '\u00a0', end + 1
	}
	if ref[0] != '#' || len(ref) < 2 {
		return 0, 0
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	if digits == "" {
		return 0, 0
	}
	var x rune
	for i := range len(digits) {
		d := rune(hexDigit(digits[i]))
		if d >= rune(base) {
			return 0, 0
		}
		x = x*rune(base) + d // at most 8 digits: no overflow
	}
	if x == 0 || 0x80 <= x && x <= 0x9f || 0xd800 <= x && x <= 0xdfff || x > utf8.MaxRune {
		return 0, 0 // replaced by the tokenizer: left to it
	}
	return x, end + 1
}

// hexDigit is c's value as a hexadecimal digit, 16 for no digit.
func hexDigit(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 16
}

// resolveLinksScan is resolveLinksTo by nextMarkup: ok is false (out
// partly written) where it leaves the input to the tokenizer. A fragment
// with no tag to rebuild, or no base to resolve against, is not copied:
// the tokenizer would have copied it unchanged.
func resolveLinksScan(out *bytes.Buffer, s, base string) (resolved, ok bool) {
	if strings.IndexByte(s, 0) >= 0 {
		return false, false
	}
	var b *url.URL
	var arr [8]attrSpan
	attrs := arr[:0]
	copied := 0 // s[:copied] is written
	for i := 0; ; {
		t, a, found, ok := nextMarkup(s, i, attrs)
		if !ok {
			return false, false
		}
		attrs = a
		if !found {
			if b == nil {
				return false, true
			}
			out.WriteString(s[copied:])
			return true, true
		}
		i = t.end
		if t.endTag || t.comment || !hasLink(s[t.start:t.end]) {
			continue
		}
		if b == nil {
			var abs bool
			if b, abs = absBase(base); !abs {
				return false, true
			}
			out.Grow(len(s) + len(s)/8)
		}
		out.WriteString(s[copied:t.start])
		if !writeLinkTag(out, s, t, attrs, b) {
			return false, false
		}
		copied = t.end
	}
}

// writeLinkTag writes the tag t as html.Token.String does once
// resolveAttrs has made its links absolute; false where an attribute
// value has a character reference commonCharRef leaves to the tokenizer.
func writeLinkTag(out *bytes.Buffer, s string, t tagSpan, attrs []attrSpan, base *url.URL) bool {
	out.WriteByte('<')
	writeLower(out, s[t.name0:t.name1])
	for _, a := range attrs {
		val, ok := attrValue(s[a.v0:a.v1])
		if !ok {
			return false
		}
		key := s[a.k0:a.k1]
		if equalFold(key, "href") || equalFold(key, "src") {
			if u, err := base.Parse(strings.TrimSpace(val)); err == nil {
				val = u.String()
			}
		}
		out.WriteByte(' ')
		writeLower(out, key)
		out.WriteString(`="`)
		writeEscaped(out, val)
		out.WriteByte('"')
	}
	if t.selfShut {
		out.WriteString("/>")
	} else {
		out.WriteByte('>')
	}
	return true
}

func writeLower(out *bytes.Buffer, s string) {
	for i := range len(s) {
		out.WriteByte(lowerASCII(s[i]))
	}
}

// attrValue is an attribute's value as the tokenizer gives it: line ends
// made "\n", then the character references commonCharRef knows decoded;
// false for any other reference, which attribute values decode their own way
// (the bare '&' of "?a=1&b=2" is no reference).
func attrValue(v string) (string, bool) {
	v = convertNewlines(v)
	i := strings.IndexByte(v, '&')
	if i < 0 {
		return v, true
	}
	var b strings.Builder
	b.Grow(len(v))
	for ; i >= 0; i = strings.IndexByte(v, '&') {
		b.WriteString(v[:i])
		if r, n := commonCharRef(v[i:]); n > 0 {
			b.WriteRune(r)
			v = v[i+n:]
		} else if literalAmp(v[i:], true) {
			b.WriteByte('&')
			v = v[i+1:]
		} else {
			return "", false
		}
	}
	b.WriteString(v)
	return b.String(), true
}

// literalAmp reports whether the '&' that starts s is no character
// reference and stays as it is: one followed by neither a letter, digit
// nor '#' and, in an attribute value, one whose name is followed by '='.
func literalAmp(s string, attribute bool) bool {
	j := 1
	for j < len(s) && isASCIIAlnum(s[j]) {
		j++
	}
	if j == 1 {
		return len(s) == 1 || s[1] != '#'
	}
	return attribute && j < len(s) && s[j] == '='
}

func isASCIIAlnum(c byte) bool { return isASCIILetter(c) || '0' <= c && c <= '9' }

// writeEscaped writes html.EscapeString(s) without making it first.
func writeEscaped(out *bytes.Buffer, s string) {
	for {
		i := strings.IndexAny(s, "&'<>\"\r")
		if i < 0 {
			out.WriteString(s)
			return
		}
		out.WriteString(s[:i])
		switch s[i] {
		case '&':
			out.WriteString("&amp;")
		case '\'':
			out.WriteString("&#39;")
		case '<':
			out.WriteString("&lt;")
		case '>':
			out.WriteString("&gt;")
		case '"':
			out.WriteString("&#34;")
		case '\r':
			out.WriteString("&#13;")
		}
		s = s[i+1:]
	}
}

// convertNewlines makes "\r\n" and "\r" "\n", as the tokenizer does.
func convertNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
