package fetch

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"

	"github.com/topicfeed/topicfeed/feed"
)

// Identifiers in the article parser carry an "art" prefix: package fetch is
// shared by several files written in parallel, and the prefix keeps the
// helpers here from colliding with theirs.

// artKind is the flavour of a plain article file, chosen by extension.
type artKind int

const (
	artText artKind = iota
	artMarkdown
	artHTML
)

// artUnit is one line or paragraph of an article, before heuristics decide
// whether it is headline, date, chrome or body.
type artUnit struct {
	text    string
	heading int  // 1–6 for Markdown/HTML headings, 0 otherwise
	list    bool // a list item: kept as its own paragraph
	emph    bool // wholly in emphasis: Markdown *…* or _…_, HTML <em>/<i>
	link    bool // wholly one link: Markdown [text](url), HTML <a>
	chrome  bool // known to be chrome from its layout (a spaced-out menu line)
	setext  bool // a text heading underlined with === or ---
	checked bool // artIsChrome is known to be false for text
}

// artMeta is what the markup itself states, before any guessing.
type artMeta struct {
	title  string // HTML <title>/og:title, front matter
	date   time.Time
	url    string
	author string
	tags   []string
}

// artMaxTitle is where a first-sentence title is cut at a word boundary.
const artMaxTitle = 120

// ParseArticle turns one plain article file (.txt, .md, .html/.htm) into an item.
// name is used for the kind (by extension) and in errors; modTime is the fallback date.
func ParseArticle(name string, data []byte, modTime time.Time) (feed.Item, error) {
	kind := artKindOf(name, data)
	src, err := artDecode(data, kind)
	if err != nil {
		return feed.Item{}, fmt.Errorf("%s: %w", name, err)
	}
	var units []artUnit
	var meta artMeta
	switch kind {
	case artHTML:
		units, meta = artHTMLUnits(src)
	case artMarkdown:
		units, meta = artMarkdownUnits(src)
	default:
		units = artTextUnits(src, false)
	}
	a := artAssemble(units, meta)
	if strings.IndexFunc(a.title, artIsWordRune) < 0 {
		return feed.Item{}, fmt.Errorf("%s: no article text found", name)
	}
	it := feed.Item{
		Title:      a.title,
		URL:        artSafeURL(a.url),
		Author:     a.author,
		Categories: a.tags,
		Text:       strings.Join(a.body, "\n\n"),
		Content:    artContent(a.body),
		Published:  a.date,
	}
	if it.Published.IsZero() {
		it.Published = modTime
	}
	it.Updated = it.Published
	return it, nil
}

func artKindOf(name string, data []byte) artKind {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".html", ".htm", ".xhtml":
		return artHTML
	case ".md", ".markdown", ".mdown", ".mkd":
		return artMarkdown
	case ".txt", ".text":
		return artText
	}
	// Unknown extension (stdin, "-"): sniff for markup.
	head := bytes.ToLower(bytes.TrimSpace(data[:min(len(data), 512)]))
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) {
		return artHTML
	}
	return artText
}

// artDecode returns the file as NFC UTF-8 with "\n" line ends, or an error
// for empty or binary input. Text in a legacy encoding is decoded (a declared
// HTML charset, UTF-16 with a BOM, else Windows-1252) rather than rejected.
func artDecode(data []byte, kind artKind) (string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", fmt.Errorf("empty file")
	}
	var s string
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM).NewDecoder()
		b, err := dec.Bytes(data)
		if err != nil {
			return "", fmt.Errorf("not a text file (binary data)")
		}
		s = string(b)
	case bytes.IndexByte(data, 0) >= 0:
		return "", fmt.Errorf("not a text file (binary data)")
	case kind == artHTML:
		s = artDecodeHTML(data)
	default:
		s = artDecodeLoose(data)
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	if artLooksBinary(s) {
		return "", fmt.Errorf("not a text file (binary data)")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = norm.NFC.String(s)
	if strings.TrimFunc(s, unicode.IsSpace) == "" {
		return "", fmt.Errorf("empty file")
	}
	return s, nil
}

func artDecodeHTML(data []byte) string {
	// Valid UTF-8 is taken as is: a legacy page that happens to be valid
	// UTF-8 is almost always plain ASCII, which reads the same either way.
	if utf8.Valid(data) {
		return string(data)
	}
	enc, name, _ := charset.DetermineEncoding(data, "text/html")
	if name == "utf-8" {
		enc = charmap.Windows1252
	}
	b, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return strings.ToValidUTF8(string(data), "\uFFFD")
	}
	return string(b)
}

// artDecodeLoose reads UTF-8 with a few broken bytes as UTF-8, and
// anything else as Windows-1252 (a superset of Latin-1).
func artDecodeLoose(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	if mostlyUTF8(data) {
		return strings.ToValidUTF8(string(data), "\uFFFD")
	}
	b, _ := charmap.Windows1252.NewDecoder().Bytes(data)
	return string(b)
}

// artLooksBinary reports text dominated by control characters or
// replacement characters: what binary data looks like once decoded.
func artLooksBinary(s string) bool {
	var bad, n int
	for _, r := range s {
		n++
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\f':
		case r == utf8.RuneError, r < 0x20, r == 0x7F, r >= 0x80 && r < 0xA0:
			bad++
		}
	}
	return n > 0 && bad*20 > n // more than 5%
}

// artClean collapses whitespace (no-break spaces included) and drops
// invisible format characters, giving one trimmed line.
func artClean(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case r == '\u00AD' || r == '\u200B' || r == '\uFEFF' || r == '\u2060' || r == utf8.RuneError:
			continue
		case unicode.IsControl(r):
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// artSafeURL keeps a stated link as written, but only a web or relative
// one: a "javascript:" canonical must not become an item link.
func artSafeURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return s
}

// artContent renders paragraphs as simple, escaped HTML.
func artContent(paras []string) string {
	var b strings.Builder
	for _, p := range paras {
		b.WriteString("<p>")
		b.WriteString(html.EscapeString(p))
		b.WriteString("</p>\n")
	}
	return b.String()
}
