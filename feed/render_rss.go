package feed

import (
	"encoding/xml"
	"io"
	"strconv"

	"github.com/gorilla/feeds"
)

// RSS 2.0 as gorilla/feeds writes it, with what its RssItem cannot hold
// added beside it: every enclosure (it keeps one, and only with a type
// and length), every category (it has one string), authors as RSS wants
// them, <source url> and media. The fields below shadow gorilla's of the
// same element name, which encoding/xml then leaves out.

// atomLink is an atom:link inside RSS, which declares the feed's own URL
// and its WebSub hub (gorilla/feeds has no field for either).
type atomLink struct {
	XMLName xml.Name `xml:"atom:link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr"`
	Type    string   `xml:"type,attr,omitempty"`
}

type rssRoot struct {
	XMLName   xml.Name `xml:"rss"`
	Version   string   `xml:"version,attr"`
	ContentNS string   `xml:"xmlns:content,attr"`
	AtomNS    string   `xml:"xmlns:atom,attr"`
	// Namespaces of extensions, declared when an item uses them.
	DCNS     string     `xml:"xmlns:dc,attr,omitempty"`
	MediaNS  string     `xml:"xmlns:media,attr,omitempty"`
	ITunesNS string     `xml:"xmlns:itunes,attr,omitempty"`
	Channel  rssChannel `xml:"channel"`
}

type rssChannel struct {
	*feeds.RssFeed
	Links []atomLink
	Items []*rssItem `xml:"item"`
}

type rssItem struct {
	*feeds.RssItem
	// Author is an email address, "jo@example.org (Jo Bloggs)", as RSS
	// 2.0 wants; bare names go in Creators (Dublin Core), as most feeds
	// that have no emails do.
	Author     string               `xml:"author,omitempty"`
	Creators   []string             `xml:"dc:creator"`
	Categories []string             `xml:"category"`
	Enclosures []feeds.RssEnclosure `xml:"enclosure"`
	Source     *rssSource           `xml:"source"`
	Thumbnail  *mediaThumbnail      `xml:"media:thumbnail"`
	// A podcast app reads the episode's artwork and length from these.
	ITunesImage *itunesImage `xml:"itunes:image"`
	Duration    string       `xml:"itunes:duration,omitempty"`
}

// rssSource is the feed an item came from, named by its title.
type rssSource struct {
	URL  string `xml:"url,attr"`
	Name string `xml:",chardata"`
}

type mediaThumbnail struct {
	URL string `xml:"url,attr"`
}

type itunesImage struct {
	Href string `xml:"href,attr"`
}

const (
	dcNS     = "http://purl.org/dc/elements/1.1/"
	mediaNS  = "http://search.yahoo.com/mrss/"
	itunesNS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
)

func writeRSS(w io.Writer, ch Channel, es []*entry) error {
	gf := gorillaFeed(ch, es)
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
	root.Channel.Items = make([]*rssItem, len(es))
	for i, e := range es {
		ri := &rssItem{RssItem: c.Items[i]}
		// RSS descriptions are HTML: the plain summary is escaped once.
		ri.Description = escapeText(e.summary)
		ri.Comments = e.it.Comments
		rssAuthors(ri, authors(e.it))
		ri.Categories = e.it.Categories
		for _, enc := range e.it.Enclosures {
			ri.Enclosures = append(ri.Enclosures, feeds.RssEnclosure{Url: enc.URL,
				Length: strconv.FormatInt(enc.Length, 10), Type: enclosureType(enc)})
		}
		if len(e.it.Enclosures) > 0 && e.it.Enclosures[0].Duration > 0 {
			ri.Duration = strconv.Itoa(e.it.Enclosures[0].Duration)
			root.ITunesNS = itunesNS
		}
		if len(e.credits) > 0 {
			if u := sourceFeed(e.credits[0]); u != "" {
				ri.Source = &rssSource{URL: u, Name: e.credits[0].Name}
			}
		}
		if e.it.Image != "" {
			ri.Thumbnail = &mediaThumbnail{URL: e.it.Image}
			root.MediaNS = mediaNS
			if len(e.it.Enclosures) > 0 { // an episode's artwork
				ri.ITunesImage = &itunesImage{Href: e.it.Image}
				root.ITunesNS = itunesNS
			}
		}
		if len(ri.Creators) > 0 {
			root.DCNS = dcNS
		}
		root.Channel.Items[i] = ri
	}
	return writeXML(w, root)
}

// rssAuthors sets an item's one author with an email as <author>, and
// otherwise every author's name as <dc:creator>: RSS 2.0's <author> is an
// email address, and an item with both says the same thing twice.
func rssAuthors(ri *rssItem, ps []Person) {
	if len(ps) == 1 && ps[0].Email != "" {
		ri.Author = ps[0].Email
		if ps[0].Name != "" {
			ri.Author += " (" + ps[0].Name + ")"
		}
		return
	}
	for _, p := range ps {
		if p.Name != "" {
			ri.Creators = append(ri.Creators, p.Name)
		}
	}
}
