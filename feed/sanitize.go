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
	if !containsFold(fragment, "href") && !containsFold(fragment, "src") {
		return false
	}
	b, err := url.Parse(base)
	if err != nil || base == "" || !b.IsAbs() {
		return false
	}
	z := html.NewTokenizer(strings.NewReader(fragment))
	out.Grow(len(fragment) + len(fragment)/8)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return true
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
func hasLink(raw []byte) bool {
	s := string(raw) // no copy: the conversion does not escape
	return containsFold(s, "href") || containsFold(s, "src")
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case, without the copy strings.ToLower would make.
func containsFold(s, w string) bool {
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
	z := html.NewTokenizer(strings.NewReader(fragment))
	out := getBuf()
	defer putBuf(out)
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapseParagraphs(out.String())
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
// Unicode spaces separate, and empty paragraphs vanish. One pass, one copy.
func collapseParagraphs(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space, para := false, false // a separator seen since the last word was written
	for i := 0; i < len(s); {
		if s[i] == '\n' && i+1 < len(s) && s[i+1] == '\n' {
			para = true
			i += 2
			continue
		}
		if n := spaceAt(s, i); n > 0 {
			space = true
			i += n
			continue
		}
		j := i + 1 // the word runs to the next space or paragraph break
		for j < len(s) && spaceAt(s, j) == 0 {
			j++
		}
		if b.Len() > 0 {
			if para {
				b.WriteString("\n\n")
			} else if space {
				b.WriteByte(' ')
			}
		}
		space, para = false, false
		b.WriteString(s[i:j])
		i = j
	}
	return b.String()
}

// spaceAt is the length of the space character at s[i], 0 if there is
// none there; a byte of invalid UTF-8 is no space, as in strings.Fields.
func spaceAt(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		if asciiSpace[c] {
			return 1
		}
		return 0
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if unicode.IsSpace(r) {
		return size
	}
	return 0
}

var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}
