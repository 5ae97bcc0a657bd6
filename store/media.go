package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/topicfeed/topicfeed/feed"
)

// mediaRow is items.media: what an item carries beside its text, as one
// JSON object. Most items carry nothing and store "".
type mediaRow struct {
	Authors    []personRow    `json:"authors,omitempty"`
	Enclosures []enclosureRow `json:"enclosures,omitempty"`
	Image      string         `json:"image,omitempty"`
	Comments   string         `json:"comments,omitempty"`
}

type personRow struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

type enclosureRow struct {
	URL      string `json:"url"`
	Type     string `json:"type,omitempty"`
	Length   int64  `json:"length,omitempty"`
	Duration int    `json:"duration,omitempty"`
}

// marshalMedia is it's media column: "" when it carries none.
func marshalMedia(it *feed.Item) string {
	if len(it.Authors) == 0 && len(it.Enclosures) == 0 && it.Image == "" && it.Comments == "" {
		return ""
	}
	m := mediaRow{Image: it.Image, Comments: it.Comments}
	for _, p := range it.Authors {
		m.Authors = append(m.Authors, personRow(p))
	}
	for _, e := range it.Enclosures {
		m.Enclosures = append(m.Enclosures, enclosureRow(e))
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "" // strings and numbers always marshal
	}
	return string(b)
}

// unmarshalMedia fills in it's media from its column.
func unmarshalMedia(it *feed.Item, col string) error {
	if col == "" {
		return nil
	}
	var m mediaRow
	if err := json.Unmarshal([]byte(col), &m); err != nil {
		return fmt.Errorf("item %d: media: %w", it.ID, err)
	}
	it.Image, it.Comments = m.Image, m.Comments
	for _, p := range m.Authors {
		it.Authors = append(it.Authors, feed.Person(p))
	}
	for _, e := range m.Enclosures {
		it.Enclosures = append(it.Enclosures, feed.Enclosure(e))
	}
	return nil
}

// creditColumns are what itemsCredits reads of each copy, first copy first.
const creditColumns = `s.name, s.url, g.feed, g.site, g.site_url, g.url`

// copyCredit is one copy as addCopy reads it.
type copyCredit struct {
	source, sourceURL, feed, site, siteURL, link string
}

// addCopy adds a copy (read in sighting order) to its item's source names
// and credits: each source and each site once, at its first copy. A copy
// names its site by its feed's title, else by its source's name; the
// feed it came in is its feed document's web link (unless that is only
// the site's home page), else its source's.
func addCopy(it *feed.Item, c copyCredit) {
	if !slices.Contains(it.Sources, c.source) {
		it.Sources = append(it.Sources, c.source)
	}
	name := c.site
	if name == "" {
		name = c.source
	}
	for _, have := range it.Credits {
		if have.Name == name {
			return
		}
	}
	cr := feed.Credit{Site: feed.Site{Name: name, URL: c.siteURL}, Link: c.link}
	switch {
	case isWeb(c.feed) && c.feed != c.siteURL: // a file with no self link is scoped by its site's
		cr.Feed = c.feed
	case isWeb(c.sourceURL):
		cr.Feed = c.sourceURL
	}
	it.Credits = append(it.Credits, cr)
}

func isWeb(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// itemCredits fills in one item's source names and credits.
func itemCredits(ctx context.Context, q queryer, it *feed.Item) error {
	rows, err := q.QueryContext(ctx, `SELECT `+creditColumns+` FROM sightings g JOIN sources s ON s.id = g.source_id
		WHERE g.item_id = ? ORDER BY g.id`, it.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c copyCredit
		if err := rows.Scan(&c.source, &c.sourceURL, &c.feed, &c.site, &c.siteURL, &c.link); err != nil {
			return err
		}
		addCopy(it, c)
	}
	return rows.Err()
}
