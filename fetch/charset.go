package fetch

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// errBinary is why a document with NUL bytes that are not UTF-16/32 text
// is refused.
var errBinary = errors.New("not a text file (binary data)")

// toUTF8 converts a document to UTF-8 once, before any parser sees it. A
// BOM wins; then valid UTF-8 is read as UTF-8 whatever is declared (a feed
// that says ISO-8859-1 but holds "Café" in UTF-8 was mis-declared, and
// decoding it as declared publishes "CafÃ©"); then the transport's charset
// label (an HTTP Content-Type's), the XML declaration's encoding, an HTML
// <meta> charset when html is set; then a guess. The XML declaration of the
// result names no other encoding, so gofeed does not decode it again.
//
// Plain UTF-8 with no declaration, or a utf-8 one, comes back as the same
// slice after one validity pass: that is almost every remote feed.
func toUTF8(data []byte, label string, html bool) ([]byte, error) {
	if enc, n := bomEncoding(data); n > 0 {
		data = data[n:]
		if enc == nil { // UTF-8 BOM
			if !utf8.Valid(data) {
				data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
			}
			return fixXMLDecl(data), nil
		}
		return decodeWide(enc, data)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		if enc := sniffWide(data); enc != nil {
			return decodeWide(enc, data)
		}
		return nil, errBinary
	}
	if utf8.Valid(data) {
		return fixXMLDecl(data), nil
	}
	enc := legacyEncoding(data, label, html)
	if enc == nil {
		return fixXMLDecl(bytes.ToValidUTF8(data, []byte("\uFFFD"))), nil
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(out) {
		out, _ = charmap.Windows1252.NewDecoder().Bytes(data) // never fails
	}
	return fixXMLDecl(out), nil
}

var (
	utf16LE = xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
	utf16BE = xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM)
	utf32LE = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	utf32BE = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
)

// bomEncoding returns the encoding a byte order mark names and the BOM's
// length; a nil encoding with n > 0 is UTF-8. UTF-32LE is tested before
// UTF-16LE, whose BOM is its prefix.
func bomEncoding(data []byte) (encoding.Encoding, int) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return nil, 3
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		return utf32LE, 4
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}):
		return utf32BE, 4
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return utf16LE, 2
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return utf16BE, 2
	}
	return nil, 0
}

// sniffWide recognises UTF-16/32 text without a BOM by the zero bytes
// around its first ASCII character ("<" or "{", as the XML and JSON specs
// do), or returns nil.
func sniffWide(data []byte) encoding.Encoding {
	if len(data) < 4 {
		return nil
	}
	ascii := func(b byte) bool { return b != 0 && b < 0x80 }
	b0, b1, b2, b3 := data[0], data[1], data[2], data[3]
	switch {
	case ascii(b0) && b1 == 0 && b2 == 0 && b3 == 0:
		return utf32LE
	case b0 == 0 && b1 == 0 && b2 == 0 && ascii(b3):
		return utf32BE
	case ascii(b0) && b1 == 0 && ascii(b2) && b3 == 0:
		return utf16LE
	case b0 == 0 && ascii(b1) && b2 == 0 && ascii(b3):
		return utf16BE
	}
	return nil
}

// decodeWide decodes UTF-16/32 text; NULs left after decoding mean the
// zero bytes were binary data, not wide characters.
func decodeWide(enc encoding.Encoding, data []byte) ([]byte, error) {
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil || bytes.IndexByte(out, 0) >= 0 {
		return nil, errBinary
	}
	return fixXMLDecl(out), nil
}

// legacyEncoding picks the encoding of a document that is not valid UTF-8:
// a declared label that can explain the bytes, else nil (UTF-8 with a few
// broken bytes) when most non-ASCII bytes do form UTF-8, else Windows-1252
// (a superset of Latin-1, and what undeclared legacy text mostly is).
func legacyEncoding(data []byte, label string, html bool) encoding.Encoding {
	for _, l := range [...]string{label, xmlDeclLabel(data)} {
		if e := usableLabel(l); e != nil {
			return e
		}
	}
	if html {
		if e, name, _ := charset.DetermineEncoding(data, "text/html"); name != "windows-1252" && usableLabel(name) != nil {
			return e
		}
	}
	if mostlyUTF8(data) {
		return nil
	}
	return charmap.Windows1252
}

// mostlyUTF8 reports invalid UTF-8 with more well-formed multi-byte
// characters than broken bytes: UTF-8 with a few bytes damaged, not a
// legacy single-byte encoding.
func mostlyUTF8(data []byte) bool {
	var multi, broken int
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			broken++
		case n > 1:
			multi++
		}
		i += n
	}
	return multi > broken
}

// usableLabel returns the encoding a label names when it can decode text
// that has no NUL bytes and is not valid UTF-8: not UTF-8 or UTF-16, and
// not WHATWG's "replacement", which decodes everything to one U+FFFD.
func usableLabel(label string) encoding.Encoding {
	label = strings.TrimSpace(label)
	if label == "" {
		return nil
	}
	e, name := charset.Lookup(label)
	if e == nil || name == "utf-8" || name == "replacement" || strings.HasPrefix(name, "utf-16") {
		return nil
	}
	return e
}

// xmlDeclLabel returns the encoding named by data's XML declaration, or "".
func xmlDeclLabel(data []byte) string {
	start, end := xmlDeclEncoding(data)
	if start < 0 {
		return ""
	}
	return string(data[start:end])
}

// fixXMLDecl makes the XML declaration of a UTF-8 document say so (or say
// nothing), copying the document only when it declared something else.
func fixXMLDecl(doc []byte) []byte {
	start, end := xmlDeclEncoding(doc)
	if start < 0 || isUTF8Label(doc[start:end]) {
		return doc
	}
	out := make([]byte, 0, len(doc)-(end-start)+5)
	out = append(out, doc[:start]...)
	out = append(out, "utf-8"...)
	return append(out, doc[end:]...)
}

func isUTF8Label(l []byte) bool {
	return len(l) == 0 || bytes.EqualFold(l, []byte("utf-8")) || bytes.EqualFold(l, []byte("utf8"))
}

// xmlDeclEncoding returns where the value of the encoding pseudo-attribute
// of doc's XML declaration lies, or -1, -1. The declaration must open the
// document (leading white space is tolerated, as parsers do) and is looked
// for in the first 1 KB only.
func xmlDeclEncoding(doc []byte) (start, end int) {
	head := doc[:min(len(doc), 1024)]
	i := 0
	for i < len(head) && isXMLSpace(head[i]) {
		i++
	}
	if !bytes.HasPrefix(head[i:], []byte("<?xml")) || i+5 >= len(head) || !isXMLSpace(head[i+5]) {
		return -1, -1
	}
	decl := head[:i+bytes.Index(head[i:], []byte("?>"))+1]
	if len(decl) <= i {
		return -1, -1 // no "?>" in the head
	}
	for j := i + 5; j < len(decl); {
		k := bytes.Index(decl[j:], []byte("encoding"))
		if k < 0 {
			return -1, -1
		}
		j += k + len("encoding")
		if !isXMLSpace(decl[j-len("encoding")-1]) {
			continue // part of another name or value
		}
		p := j
		for p < len(decl) && isXMLSpace(decl[p]) {
			p++
		}
		if p >= len(decl) || decl[p] != '=' {
			continue
		}
		p++
		for p < len(decl) && isXMLSpace(decl[p]) {
			p++
		}
		if p >= len(decl) || (decl[p] != '"' && decl[p] != '\'') {
			return -1, -1
		}
		q := bytes.IndexByte(decl[p+1:], decl[p])
		if q < 0 {
			return -1, -1
		}
		return p + 1, p + 1 + q
	}
	return -1, -1
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// htmlHint says whether an undeclared legacy document should be searched
// for a <meta> charset: an .html file, or one that starts like a page.
func htmlHint(name string, data []byte) bool {
	if artKindOf(name, data) == artHTML {
		return true
	}
	head := data[:min(len(data), 1024)]
	return bytes.Contains(head, []byte("<meta")) || bytes.Contains(head, []byte("<META"))
}
