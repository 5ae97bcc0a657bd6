package feed

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/feeds"
)

// Format is a published feed format.
type Format string

const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
)

// ParseFormat accepts "rss", "atom" or "json".
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case RSS, Atom, JSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want rss, atom or json)", s)
}

// ContentType is the media type a feed of this format is served with.
func (f Format) ContentType() string {
	switch f {
	case Atom:
		return "application/atom+xml; charset=utf-8"
	case JSON:
		return "application/feed+json; charset=utf-8"
	}
	return "application/rss+xml; charset=utf-8"
}

// Channel describes the feed around the items.
type Channel struct {
	Title       string
	Description string
	Link        string    // the HTML page of the topic
	Self        string    // this feed's own URL
	Hub         string    // WebSub hub, optional
	BaseURL     string    // for item ids and links of items without one
	Updated     time.Time // used when there are no items
	MaxBytes    int       // the most the rendered feed may hold; 0 for DefaultMaxBytes
}

// ItemURL is the stable id and fallback link of a stored item: the same
// item keeps it across refreshes and restarts.
func ItemURL(base string, id int64) string {
	return strings.TrimRight(base, "/") + "/items/" + strconv.FormatInt(id, 10)
}

// MaxLimit caps the items of one published feed: ?limit= on feeds and
// searches, and `topicfeed search -limit`.
const MaxLimit = 500

// DefaultSearchLimit is the number of items a search feed holds without
// ?limit=.
const DefaultSearchLimit = 50

// SearchChannel describes the feed of query q in format f, so the HTTP
// handler and `topicfeed search` title and link it alike.
func SearchChannel(base, q string, f Format) Channel {
	base = strings.TrimRight(base, "/")
	return Channel{
		Title:       "Search: " + q,
		Description: "Items matching " + q,
		Link:        base + "/",
		Self:        base + "/search." + string(f) + "?q=" + url.QueryEscape(q),
		BaseURL:     base,
	}
}

// DefaultMaxBytes is the size a rendered feed keeps under when the
// channel names none: refresh.max_body's default, which topicfeed itself
// and typical readers refuse to read past.
const DefaultMaxBytes = 10 << 20

// Render writes items (already newest first) as a feed in format f, in
// at most ch.MaxBytes (see fit).
func Render(w io.Writer, f Format, ch Channel, items []*Item) error {
	es := make([]*entry, len(items))
	for i, it := range items {
		es[i] = newEntry(ch, it)
	}
	// Rendered into a buffer, so an over-long feed can be rendered again
	// trimmed; the publisher's own buffer is written into directly.
	buf, direct := w.(*bytes.Buffer)
	if !direct {
		buf = new(bytes.Buffer)
	}
	start := buf.Len()
	if err := write(buf, f, ch, es); err != nil {
		return err
	}
	if max := ch.maxBytes(); buf.Len()-start > max {
		buf.Truncate(start)
		if err := write(buf, f, ch, fit(f, ch, es, max)); err != nil {
			return err
		}
	}
	if direct {
		return nil
	}
	_, err := buf.WriteTo(w)
	return err
}

func write(w io.Writer, f Format, ch Channel, es []*entry) error {
	switch f {
	case Atom:
		return writeAtom(w, ch, es)
	case JSON:
		return writeJSON(w, ch, es)
	}
	return writeRSS(w, ch, es)
}

func (ch Channel) maxBytes() int {
	if ch.MaxBytes > 0 {
		return ch.MaxBytes
	}
	return DefaultMaxBytes
}

// entry is an item as every format publishes it.
type entry struct {
	it   *Item
	id   string // ours: the item's page, stable across refreshes
	link string // the original, else our page
	// published and updated are the item's, each standing in for the
	// other, and the channel's for an item with no date at all (the store
	// dates every item; a feed made of parsed files may not).
	published, updated time.Time
	credits            []Credit // first copy first
	content            string   // HTML: the item's content, then the credit of a merged story
	summary            string   // plain text
}

func newEntry(ch Channel, it *Item) *entry {
	e := &entry{it: it, id: ItemURL(ch.BaseURL, it.ID), credits: credits(it), summary: Summarize(it, 300)}
	e.link = e.id
	if isWebURL(it.URL) { // a relative link from a local file leads nowhere in a reader
		e.link = it.URL
	}
	e.published, e.updated = cmp.Or(it.Published, it.Updated, ch.Updated), cmp.Or(it.Updated, it.Published, ch.Updated)
	e.content = it.Content
	if c := creditHTML(e.credits); c != "" {
		e.content += c
	}
	return e
}

// shorten leaves the entry its summary, a link to the rest and its
// credit, for a feed too long to carry all of every item (fit).
func (e *entry) shorten() {
	var b strings.Builder
	if e.summary != "" {
		b.WriteString("<p>" + escapeText(e.summary) + "</p>")
	}
	site := ""
	if len(e.credits) > 0 {
		site = e.credits[0].Name
	}
	b.WriteString(ContinueReading(e.it.URL, site))
	b.WriteString(creditHTML(e.credits))
	e.content = b.String()
}

// escapeText makes plain text HTML, escaping only what HTML needs: an
// apostrophe stays an apostrophe.
var escapeText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// gorillaFeed is the channel and the parts of each entry that
// gorilla/feeds renders alike in every format; each format's writer adds
// what gorilla/feeds has no field for.
func gorillaFeed(ch Channel, es []*entry) *feeds.Feed {
	gf := &feeds.Feed{
		Title:       ch.Title,
		Link:        &feeds.Link{Href: ch.Link},
		Description: ch.Description,
		Updated:     ch.Updated.UTC(),
	}
	if gf.Description == "" {
		gf.Description = ch.Title
	}
	for _, e := range es {
		if e.updated.After(gf.Updated) {
			gf.Updated = e.updated.UTC()
		}
		gf.Items = append(gf.Items, &feeds.Item{
			Title:       e.it.Title,
			Link:        &feeds.Link{Href: e.link},
			Id:          e.id,
			IsPermaLink: "false",
			Created:     e.published.UTC(),
			Updated:     e.updated.UTC(),
			Content:     e.content,
		})
	}
	gf.Created = gf.Updated
	return gf
}

// authors are the item's authors, or its Author as one name.
func authors(it *Item) []Person {
	if len(it.Authors) > 0 {
		return it.Authors
	}
	if it.Author != "" {
		return []Person{{Name: it.Author}}
	}
	return nil
}

// Summarize gives the item's summary, or the start of its text cut at a
// word boundary.
func Summarize(it *Item, n int) string {
	s := it.Summary
	if s == "" {
		s = it.Text
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
	}
	return strings.ToValidUTF8(s[:cut], "") + "…"
}

// enclosureType is an enclosure's MIME type, with a generic one for a
// file no one named: RSS and JSON Feed both require a type.
func enclosureType(e Enclosure) string {
	if e.Type != "" {
		return e.Type
	}
	return "application/octet-stream"
}

func writeXML(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	e := xml.NewEncoder(w)
	e.Indent("", "  ")
	if err := e.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// MediaType is ContentType without its parameters, as link type= wants it.
func (f Format) MediaType() string {
	ct, _, _ := strings.Cut(f.ContentType(), ";")
	return ct
}
