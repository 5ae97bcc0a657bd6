package feed

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// Outline is one OPML outline: a feed subscription when XMLURL is set, a
// folder when it has Children.
type Outline struct {
	Title    string
	Text     string
	Type     string // "rss" for a feed
	XMLURL   string
	HTMLURL  string
	Children []Outline
}

// maxOPMLDepth bounds nesting so a hostile file cannot exhaust the stack.
const maxOPMLDepth = 32

type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Head    opmlHead    `xml:"head"`
	Body    []opmlEntry `xml:"body>outline"`
}

type opmlHead struct {
	Title       string `xml:"title"`
	DateCreated string `xml:"dateCreated,omitempty"`
}

// opmlEntry writes an outline; attribute names are OPML 2.0's.
type opmlEntry struct {
	Text     string      `xml:"text,attr"`
	Title    string      `xml:"title,attr,omitempty"`
	Type     string      `xml:"type,attr,omitempty"`
	XMLURL   string      `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string      `xml:"htmlUrl,attr,omitempty"`
	Children []opmlEntry `xml:"outline"`
}

// WriteOPML writes outlines as an OPML 2.0 document titled title.
// OPML requires text on every outline, so an empty Text falls back to Title.
func WriteOPML(w io.Writer, title string, outlines []Outline) error {
	doc := opmlDoc{Version: "2.0", Head: opmlHead{Title: title,
		DateCreated: time.Now().UTC().Format(time.RFC1123Z)}, Body: toEntries(outlines)}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	e := xml.NewEncoder(w)
	e.Indent("", "  ")
	if err := e.Encode(doc); err != nil {
		return fmt.Errorf("write opml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func toEntries(os []Outline) []opmlEntry {
	out := make([]opmlEntry, 0, len(os))
	for _, o := range os {
		text := o.Text
		if text == "" {
			text = o.Title
		}
		out = append(out, opmlEntry{Text: text, Title: o.Title, Type: o.Type, XMLURL: o.XMLURL,
			HTMLURL: o.HTMLURL, Children: toEntries(o.Children)})
	}
	return out
}

// readEntry reads any outline. Attributes are matched case-insensitively
// because exporters in the wild write xmlurl, xmlURL and XMLUrl.
type readEntry struct {
	Attrs    []xml.Attr  `xml:",any,attr"`
	Children []readEntry `xml:"outline"`
}

type readDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Body    []readEntry `xml:"body>outline"`
}

// ErrNotOPML is returned by ReadOPML for a document whose root is not <opml>.
var ErrNotOPML = errors.New("not an OPML document")

// ReadOPML reads the outlines of an OPML 1.0 or 2.0 document, nesting kept.
func ReadOPML(r io.Reader) ([]Outline, error) {
	var doc readDoc
	dec := xml.NewDecoder(r)
	// Declared encodings other than UTF-8 (ISO-8859-1 is common) are decoded.
	dec.CharsetReader = charset.NewReaderLabel
	if err := dec.Decode(&doc); err != nil {
		var se xml.UnmarshalError
		if errors.As(err, &se) && strings.Contains(string(se), "expected element type <opml>") {
			return nil, ErrNotOPML
		}
		return nil, fmt.Errorf("read opml: %w", err)
	}
	return fromEntries(doc.Body, 0)
}

func fromEntries(es []readEntry, depth int) ([]Outline, error) {
	if depth > maxOPMLDepth {
		return nil, fmt.Errorf("read opml: outlines nested deeper than %d", maxOPMLDepth)
	}
	out := make([]Outline, 0, len(es))
	for _, e := range es {
		var o Outline
		for _, a := range e.Attrs {
			switch strings.ToLower(a.Name.Local) {
			case "title":
				o.Title = a.Value
			case "text":
				o.Text = a.Value
			case "type":
				o.Type = a.Value
			case "xmlurl":
				o.XMLURL = strings.TrimSpace(a.Value)
			case "htmlurl":
				o.HTMLURL = strings.TrimSpace(a.Value)
			}
		}
		kids, err := fromEntries(e.Children, depth+1)
		if err != nil {
			return nil, err
		}
		if len(kids) > 0 {
			o.Children = kids
		}
		out = append(out, o)
	}
	return out, nil
}
