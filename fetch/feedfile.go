package fetch

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/topicfeed/topicfeed/feed"
)

// ParseFeed parses an RSS, Atom or JSON feed document into items, with
// HTML sanitised, text extracted and links made absolute against base
// (the feed's URL, or "" for a local file).
func ParseFeed(name string, data []byte, base string) ([]feed.Item, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not a feed: %s", name, oneLine(err))
	}
	if base == "" {
		base = f.FeedLink
	}
	if base == "" {
		base = f.Link
	}
	items := make([]feed.Item, 0, len(f.Items))
	for _, e := range f.Items {
		it, ok := feedItem(e, base)
		if ok {
			items = append(items, it)
		}
	}
	return items, nil
}

func feedItem(e *gofeed.Item, base string) (feed.Item, bool) {
	body := e.Content
	if body == "" {
		body = e.Description
	}
	content := feed.Sanitize(body, base)
	it := feed.Item{
		GUID:       strings.TrimSpace(e.GUID),
		Title:      feed.HTMLText(e.Title),
		Content:    content,
		Text:       feed.HTMLText(content),
		Categories: e.Categories,
	}
	if e.Content != "" && e.Description != "" {
		it.Summary = feed.HTMLText(e.Description)
	}
	if link := resolve(base, strings.TrimSpace(e.Link)); link != "" {
		if c, err := feed.CanonicalURL(link); err == nil {
			it.URL = c
		}
	}
	if e.Author != nil {
		it.Author = e.Author.Name
	} else if len(e.Authors) > 0 {
		it.Author = e.Authors[0].Name
	}
	it.Published, it.Updated = itemTimes(e)
	if it.Title == "" {
		it.Title = firstSentence(it.Text)
	}
	return it, it.Title != "" || it.Text != ""
}

func itemTimes(e *gofeed.Item) (pub, upd time.Time) {
	if e.PublishedParsed != nil {
		pub = e.PublishedParsed.UTC()
	}
	if e.UpdatedParsed != nil {
		upd = e.UpdatedParsed.UTC()
	}
	if pub.IsZero() {
		pub = upd
	}
	return pub, upd
}

// firstSentence titles an entry that has none, as a reader would.
func firstSentence(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if i := strings.Index(text, ". "); i > 0 && i < 160 {
		return text[:i]
	}
	return feed.Summarize(&feed.Item{Text: text}, 100)
}

func resolve(base, link string) string {
	if link == "" || base == "" {
		return link
	}
	u, err := url.Parse(base)
	if err != nil {
		return link
	}
	r, err := u.Parse(link)
	if err != nil {
		return link
	}
	return r.String()
}

// oneLine keeps parser errors to the one line a user sees.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
