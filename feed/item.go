// Package feed is topicfeed's domain: items, sources and topics, the text
// normalisation and fingerprints that identify an item, the topic rule
// language, and rendering of topic feeds. It knows nothing of SQL or the
// network; the fetch, store and publish packages produce and consume
// its types.
package feed

import (
	"errors"
	"strings"
	"time"
)

// Item is one article as topicfeed stores and publishes it.
type Item struct {
	ID int64 // store identity; stable across refreshes and restarts

	GUID string // the source's own id for the entry, if any
	// Feed names the feed document the entry came from within its
	// source, so that a GUID identifies an entry only within it: a feed
	// file's self or channel link, else the file's path; "" for a remote
	// source, whose URL is the feed.
	Feed       string
	URL        string // canonical link (see CanonicalURL)
	Title      string
	Content    string // sanitised HTML
	Text       string // plain text of title-less body, used for rules and fingerprints
	Summary    string
	Author     string // every author's name, for rules; Authors has them one by one
	Categories []string
	Published  time.Time
	Updated    time.Time

	// What the entry carries beside its text, passed on to every format.
	Authors    []Person
	Enclosures []Enclosure // a podcast's audio, a video: what a podcast app plays
	Image      string      // the item's main image (itunes:image, media:thumbnail, JSON Feed image)
	Comments   string      // the page of readers' comments

	// Site is the publication the entry was read from: its feed's title
	// and home page. Fetch sets it for feed entries; a plain article file
	// has none, and its source's name stands in.
	Site Site

	// Sources lists every source name the item was seen in, first one first.
	Sources []string
	// Credits names every site that carried the item, first copy first,
	// with each copy's link: the store fills it in, rendering credits them.
	Credits []Credit
}

// Person is an author as a feed names them; either field may be empty.
type Person struct {
	Name  string
	Email string
}

// Enclosure is a file attached to an item.
type Enclosure struct {
	URL      string
	Type     string // MIME type; "" when neither the feed nor the file name says
	Length   int64  // bytes; 0 when the feed did not say
	Duration int    // seconds; 0 when unknown
}

// Kind is what an enclosure holds, by its MIME type: "audio", "video",
// "image", or "" for anything else.
func (e Enclosure) Kind() string {
	kind, _, _ := strings.Cut(e.Type, "/")
	switch kind {
	case "audio", "video", "image":
		return kind
	}
	return ""
}

// Site is a publication: its name and home page.
type Site struct {
	Name string
	URL  string // "" when unknown
}

// Credit is one site that carried an item.
type Credit struct {
	Site
	Feed string // the public feed the copy came in (RSS <source url>); "" for a local file
	Link string // the story on that site; "" when the copy had no link
}

// Source is a place items come from: a remote feed URL or a local path.
type Source struct {
	Name     string
	URL      string
	Path     string
	Interval time.Duration
	// Kind is "" for a feed or a folder, KindScrape for an HTML listing
	// page read with Scrape's selectors.
	Kind   string
	Scrape *Scrape
	// FullContent fetches each new item's page and keeps the article
	// extracted from it when the feed carries only a summary.
	FullContent bool
}

// KindScrape marks a source whose URL is an HTML page without a feed.
const KindScrape = "scrape"

// Scrape holds the CSS selectors that turn a listing page into items.
// Title, Link, Date and Summary are matched inside each Item element.
type Scrape struct {
	Item    string
	Title   string
	Link    string
	Date    string
	Summary string
}

// TopicStat summarises a stored topic for listings.
type TopicStat struct {
	Name       string
	Items      int
	LastUpdate time.Time // newest item's date; zero when empty
}

// IngestCounts is what ingesting did with each item it was given; every
// item not published as new is counted with its reason.
type IngestCounts struct {
	New       int // stored as a new item
	Edit      int // an entry stored before, changed (or sent again under a new guid)
	Merged    int // a copy of a story stored before
	Unchanged int // seen before as it is
	Expired   int // older than the retention age, or pruned before
	Empty     int // no title, text, link or enclosure
	Rejected  int // inputs (files, feeds) that could not be read, as a whole
}

// ErrNotFound is returned when an item, topic or source does not exist.
var ErrNotFound = errors.New("not found")
