package feed

import (
	"io"
	"strconv"
	"time"

	"github.com/gorilla/feeds"
)

// Atom 1.0 as gorilla/feeds writes it, with what its AtomEntry cannot
// hold added beside it: several authors, categories (its Category is
// element text, where Atom wants a term attribute), an atom:source
// element (its Source is a string) and media. The fields below shadow
// gorilla's of the same element name.

type atomRoot struct {
	*feeds.AtomFeed
	MediaNS string           `xml:"xmlns:media,attr,omitempty"`
	Links   []feeds.AtomLink // replaces AtomFeed's single Link
	Entries []*atomEntry     `xml:"entry"`
}

type atomEntry struct {
	*feeds.AtomEntry
	Authors    []atomPerson    `xml:"author"`
	Categories []atomCategory  `xml:"category"`
	Source     *atomSource     `xml:"source"`
	Thumbnail  *mediaThumbnail `xml:"media:thumbnail"`
}

type atomPerson struct {
	Name  string `xml:"name"`
	Email string `xml:"email,omitempty"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// atomSource is the feed an entry was copied from (RFC 4287, 4.2.11).
type atomSource struct {
	ID     string           `xml:"id,omitempty"`
	Title  string           `xml:"title"`
	Links  []feeds.AtomLink // the site, and the feed
	Author *atomPerson      `xml:"author"`
}

func writeAtom(w io.Writer, ch Channel, es []*entry) error {
	gf := gorillaFeed(ch, es)
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
	root.Entries = make([]*atomEntry, len(es))
	for i, e := range es {
		ae := &atomEntry{AtomEntry: a.Entries[i]}
		if gf.Items[i].Created.Before(gf.Items[i].Updated) {
			ae.Published = gf.Items[i].Created.Format(time.RFC3339)
		}
		if e.summary != "" {
			ae.Summary = &feeds.AtomSummary{Content: e.summary, Type: "text"}
		}
		for _, p := range authors(e.it) {
			ae.Authors = append(ae.Authors, atomAuthor(p))
		}
		for _, c := range e.it.Categories {
			ae.Categories = append(ae.Categories, atomCategory{Term: c})
		}
		for _, enc := range e.it.Enclosures {
			l := feeds.AtomLink{Href: enc.URL, Rel: "enclosure", Type: enc.Type}
			if enc.Length > 0 {
				l.Length = strconv.FormatInt(enc.Length, 10)
			}
			ae.Links = append(ae.Links, l)
		}
		if e.it.Comments != "" {
			ae.Links = append(ae.Links, feeds.AtomLink{Href: e.it.Comments, Rel: "replies", Type: "text/html"})
		}
		if len(e.credits) > 0 {
			ae.Source = newAtomSource(e.credits[0])
		}
		if e.it.Image != "" {
			ae.Thumbnail = &mediaThumbnail{URL: e.it.Image}
			root.MediaNS = mediaNS
		}
		if ae.Authors == nil {
			// An entry needs an author, of its own, of its source or of
			// the feed: the site that published it is the source's.
			if ae.Source != nil {
				ae.Source.Author = &atomPerson{Name: ae.Source.Title}
			} else if a.Author == nil {
				a.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: ch.Title}}
			}
		}
		root.Entries[i] = ae
	}
	return writeXML(w, root)
}

// atomAuthor is p as Atom wants a person: a name always.
func atomAuthor(p Person) atomPerson {
	if p.Name == "" {
		return atomPerson{Name: p.Email, Email: p.Email}
	}
	return atomPerson{Name: p.Name, Email: p.Email}
}

func newAtomSource(c Credit) *atomSource {
	s := &atomSource{Title: c.Name}
	if isWebURL(c.URL) {
		s.Links = append(s.Links, feeds.AtomLink{Href: c.URL, Rel: "alternate", Type: "text/html"})
	}
	if isWebURL(c.Feed) {
		s.ID = c.Feed
		s.Links = append(s.Links, feeds.AtomLink{Href: c.Feed, Rel: "self"})
	}
	return s
}
