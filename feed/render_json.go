package feed

import (
	"cmp"
	"encoding/json"
	"io"

	"github.com/gorilla/feeds"
)

// JSON Feed 1.1 as gorilla/feeds writes it, with our own attachments
// (gorilla's call the size "size", where the spec says "size_in_bytes",
// and hold it in an int32) and the _topicfeed extension naming every
// site that carried a story. The fields below shadow gorilla's of the
// same JSON name.

type jsonFeed struct {
	*feeds.JSONFeed
	// JSON Feed 1.1 requires "items" even when there are none (an empty
	// search, a new topic); gorilla/feeds omits it when empty.
	Items []*jsonItem `json:"items"`
}

type jsonItem struct {
	*feeds.JSONItem
	Attachments []jsonAttachment `json:"attachments,omitempty"`
	Topicfeed   *jsonExtension   `json:"_topicfeed,omitempty"`
}

type jsonAttachment struct {
	URL      string `json:"url"`
	MIMEType string `json:"mime_type"`
	Size     int64  `json:"size_in_bytes,omitempty"`
	Duration int    `json:"duration_in_seconds,omitempty"`
}

// jsonExtension is topicfeed's item extension object: the sites that
// carried the story, first copy first, and its comments page.
type jsonExtension struct {
	Sources  []jsonSource `json:"sources,omitempty"`
	Comments string       `json:"comments,omitempty"`
}

type jsonSource struct {
	Name        string `json:"name"`
	URL         string `json:"url,omitempty"`           // the story on that site
	HomePageURL string `json:"home_page_url,omitempty"` // the site
	FeedURL     string `json:"feed_url,omitempty"`
}

func writeJSON(w io.Writer, ch Channel, es []*entry) error {
	gf := gorillaFeed(ch, es)
	j := (&feeds.JSON{Feed: gf}).JSONFeed()
	j.FeedUrl = ch.Self
	if ch.Hub != "" {
		j.Hubs = []*feeds.JSONHub{{Type: "WebSub", Url: ch.Hub}}
	}
	out := jsonFeed{JSONFeed: j, Items: make([]*jsonItem, len(es))}
	for i, e := range es {
		out.Items[i] = newJSONItem(j.Items[i], e)
	}
	// Compact: indenting was a second pass over every byte (5% of a
	// one-hit search's CPU) for readers that never look.
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func newJSONItem(ji *feeds.JSONItem, e *entry) *jsonItem {
	it := e.it
	// The id is ours and so is url, the item's page here; external_url is
	// the story where it was published (the spec's linkblog form).
	ji.Url = e.id
	if e.link != e.id {
		ji.ExternalUrl = e.link
	}
	ji.Summary = e.summary // plain text, as the spec says
	if e.content == "" {
		// An item needs content_html or content_text: what it has to say.
		ji.ContentText = cmp.Or(e.summary, it.Title, e.link)
	}
	ji.Image = it.Image
	ji.Tags = it.Categories
	for _, p := range authors(it) {
		a := &feeds.JSONAuthor{Name: p.Name}
		if p.Email != "" {
			a.Url = "mailto:" + p.Email
		}
		ji.Authors = append(ji.Authors, a)
	}
	if len(ji.Authors) > 0 {
		ji.Author = ji.Authors[0] // JSON Feed 1.0's field, for 1.0 readers
	}
	out := &jsonItem{JSONItem: ji}
	for _, enc := range it.Enclosures {
		out.Attachments = append(out.Attachments, jsonAttachment{URL: enc.URL, MIMEType: enclosureType(enc),
			Size: enc.Length, Duration: enc.Duration})
	}
	x := &jsonExtension{Comments: it.Comments}
	for _, c := range e.credits {
		s := jsonSource{Name: c.Name}
		if isWebURL(c.Link) {
			s.URL = c.Link
		}
		if isWebURL(c.URL) {
			s.HomePageURL = c.URL
		}
		if isWebURL(c.Feed) {
			s.FeedURL = c.Feed
		}
		x.Sources = append(x.Sources, s)
	}
	if x.Sources != nil || x.Comments != "" {
		out.Topicfeed = x
	}
	return out
}
