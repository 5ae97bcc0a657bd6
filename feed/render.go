package feed

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
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

// Render writes items (already newest first) as a feed in format f.
func Render(w io.Writer, f Format, ch Channel, items []*Item) error {
	gf := gorillaFeed(ch, items)
	switch f {
	case Atom:
		return writeAtom(w, ch, gf)
	case JSON:
		return writeJSON(w, ch, gf, items)
	}
	return writeRSS(w, ch, gf)
}

func gorillaFeed(ch Channel, items []*Item) *feeds.Feed {
	gf := &feeds.Feed{
		Title:       ch.Title,
		Link:        &feeds.Link{Href: ch.Link},
		Description: ch.Description,
		Updated:     ch.Updated.UTC(),
	}
	if gf.Description == "" {
		gf.Description = ch.Title
	}
	for _, it := range items {
		if it.Updated.After(gf.Updated) {
			gf.Updated = it.Updated.UTC()
		}
		gf.Items = append(gf.Items, gorillaItem(ch, it))
	}
	gf.Created = gf.Updated
	return gf
}

func gorillaItem(ch Channel, it *Item) *feeds.Item {
	link := it.URL
	if link == "" {
		link = ItemURL(ch.BaseURL, it.ID)
	}
	gi := &feeds.Item{
		Title:       it.Title,
		Link:        &feeds.Link{Href: link},
		Description: html.EscapeString(Summarize(it, 300)),
		Id:          ItemURL(ch.BaseURL, it.ID),
		IsPermaLink: "false",
		Created:     it.Published.UTC(),
		Updated:     it.Updated.UTC(),
		Content:     it.Content + seenIn(it.Sources),
	}
	if it.Author != "" {
		gi.Author = &feeds.Author{Name: it.Author}
	}
	return gi
}

// seenIn shows a merged item's sources to the reader, since every copy
// of the story folded into this one item.
func seenIn(sources []string) string {
	if len(sources) < 2 {
		return ""
	}
	return "<p><small>Seen in: " + html.EscapeString(strings.Join(sources, ", ")) + "</small></p>"
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

// atomLink is an atom:link inside RSS, which declares the feed's own URL
// and its WebSub hub (gorilla/feeds has no field for either).
type atomLink struct {
	XMLName xml.Name `xml:"atom:link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr"`
	Type    string   `xml:"type,attr,omitempty"`
}

type rssRoot struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	ContentNS string     `xml:"xmlns:content,attr"`
	AtomNS    string     `xml:"xmlns:atom,attr"`
	Channel   rssChannel `xml:"channel"`
}

type rssChannel struct {
	*feeds.RssFeed
	Links []atomLink
}

func writeRSS(w io.Writer, ch Channel, gf *feeds.Feed) error {
	c := (&feeds.Rss{Feed: gf}).RssFeed()
	c.Generator = "topicfeed"
	root := rssRoot{Version: "2.0", ContentNS: "http://purl.org/rss/1.0/modules/content/",
		AtomNS: "http://www.w3.org/2005/Atom", Channel: rssChannel{RssFeed: c}}
	if ch.Self != "" {
		root.Channel.Links = append(root.Channel.Links, atomLink{Href: ch.Self, Rel: "self", Type: RSS.MediaType()})
	}
	if ch.Hub != "" {
		root.Channel.Links = append(root.Channel.Links, atomLink{Href: ch.Hub, Rel: "hub"})
	}
	return writeXML(w, root)
}

type atomRoot struct {
	*feeds.AtomFeed
	Links []feeds.AtomLink // replaces AtomFeed's single Link
}

func writeAtom(w io.Writer, ch Channel, gf *feeds.Feed) error {
	a := (&feeds.Atom{Feed: gf}).AtomFeed()
	a.Id = ch.Self
	if a.Id == "" {
		a.Id = ch.Link
	}
	a.Link = nil
	root := atomRoot{AtomFeed: a, Links: []feeds.AtomLink{{Href: ch.Link, Rel: "alternate", Type: "text/html"}}}
	if ch.Self != "" {
		root.Links = append(root.Links, feeds.AtomLink{Href: ch.Self, Rel: "self", Type: Atom.MediaType()})
	}
	if ch.Hub != "" {
		root.Links = append(root.Links, feeds.AtomLink{Href: ch.Hub, Rel: "hub"})
	}
	for i, e := range a.Entries {
		if gf.Items[i].Created.Before(gf.Items[i].Updated) {
			e.Published = gf.Items[i].Created.Format(time.RFC3339)
		}
	}
	return writeXML(w, root)
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

func writeJSON(w io.Writer, ch Channel, gf *feeds.Feed, items []*Item) error {
	j := (&feeds.JSON{Feed: gf}).JSONFeed()
	j.FeedUrl = ch.Self
	if ch.Hub != "" {
		j.Hubs = []*feeds.JSONHub{{Type: "WebSub", Url: ch.Hub}}
	}
	for i, ji := range j.Items {
		ji.Tags = append(append([]string(nil), items[i].Categories...), items[i].Sources...)
		if ji.Author != nil {
			ji.Authors = []*feeds.JSONAuthor{ji.Author}
		}
	}
	// JSON Feed 1.1 requires "items" even when there are none (an empty
	// search, a new topic); gorilla/feeds omits it when empty.
	out := struct {
		*feeds.JSONFeed
		Items []*feeds.JSONItem `json:"items"`
	}{j, j.Items}
	if out.Items == nil {
		out.Items = []*feeds.JSONItem{}
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false)
	return e.Encode(out)
}

// MediaType is ContentType without its parameters, as link type= wants it.
func (f Format) MediaType() string {
	ct, _, _ := strings.Cut(f.ContentType(), ";")
	return ct
}
