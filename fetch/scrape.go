package fetch

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/topicfeed/topicfeed/feed"
)

// Listing gets a scrape source's page: Fetch's conditional GET, limits
// and redirects, without autodiscovery, since the page itself is the
// source. Errors are *Error.
func (c *Client) Listing(ctx context.Context, r Request) (*Response, error) {
	r.Accept = htmlAccept
	return c.get(ctx, r)
}

// scraper is a scrape source's compiled selectors; nil ones are unset.
type scraper struct {
	src                              *feed.Scrape
	item, title, link, date, summary cascadia.Selector
}

// ScrapeSelectorError is a selector that does not parse: Field names it
// ("item", "title", …).
type ScrapeSelectorError struct {
	Field, Selector string
	Err             error
}

func (e *ScrapeSelectorError) Error() string {
	return fmt.Sprintf("scrape.%s: invalid selector %q: %v", e.Field, e.Selector, e.Err)
}

// CheckScrape compiles every selector of s, for config validation; the
// error is a *ScrapeSelectorError. An item selector is required.
func CheckScrape(s *feed.Scrape) error {
	_, err := compileScrape(s)
	return err
}

func compileScrape(s *feed.Scrape) (*scraper, error) {
	if s == nil || strings.TrimSpace(s.Item) == "" {
		return nil, &ScrapeSelectorError{Field: "item", Err: fmt.Errorf("required")}
	}
	sc := &scraper{src: s}
	for _, f := range []struct {
		name, sel string
		dst       *cascadia.Selector
	}{
		{"item", s.Item, &sc.item}, {"title", s.Title, &sc.title}, {"link", s.Link, &sc.link},
		{"date", s.Date, &sc.date}, {"summary", s.Summary, &sc.summary},
	} {
		if strings.TrimSpace(f.sel) == "" {
			continue
		}
		sel, err := cascadia.Compile(f.sel)
		if err != nil {
			return nil, &ScrapeSelectorError{Field: f.name, Selector: f.sel, Err: err}
		}
		*f.dst = sel
	}
	return sc, nil
}

// ParseScrape turns an HTML listing page into items with s's selectors:
// each element matching Item is one item, its title the text of Title's
// first match inside it (default: the link's text), its link the href of
// Link's first match (default: the first a[href]) resolved against the
// page, its date from Date's datetime or content attribute or text, its
// summary the text of Summary. The link is the item's identity (GUID and
// URL). An element with no title or no web link is skipped and counted in
// Empty; a link seen earlier on the page is the same item. A page on which
// Item matches nothing is an error: the page changed or the selector is wrong.
// name (the page's URL, redacted) and base (its URL) are as for feeds.
func ParseScrape(name string, data []byte, base, charset string, s *feed.Scrape) (Parsed, error) {
	sc, err := compileScrape(s)
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %w", name, err)
	}
	doc, err := toUTF8(data, charset, true)
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %v", name, err)
	}
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %v", name, err)
	}
	baseURL, _ := url.Parse(base)
	if href, ok := baseHref(root); ok && baseURL != nil {
		if u, err := baseURL.Parse(href); err == nil {
			baseURL = u
		}
	}
	els := sc.item.MatchAll(root)
	if len(els) == 0 {
		return Parsed{}, fmt.Errorf("scrape: selector %q matched no items on %s", s.Item, name)
	}
	site := feed.Site{URL: webLink(base, base)}
	if t := cascadia.Query(root, pageTitle); t != nil {
		site.Name = oneLineText(nodeText(t))
	}
	var p Parsed
	items := make([]feed.Item, 0, len(els))
	links := make([]string, 0, len(els)) // each item's link, fragment and all
	for _, el := range els {
		it, link, ok := sc.item1(el, baseURL)
		if !ok {
			p.Empty++
			continue
		}
		items, links = append(items, it), append(links, link)
	}
	// A one-page changelog's "#v1.2" and "#v1.1" are two items; elsewhere
	// the fragment is dropped, as for feed entries.
	keepFragments(items, links)
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if seen[it.URL] {
			continue // the same story listed twice (a lead and its list entry)
		}
		seen[it.URL] = true
		it.GUID, it.Site = it.URL, site
		p.Items = append(p.Items, it)
	}
	return p, nil
}

var (
	pageTitle = cascadia.MustCompile("head title")
	anyLink   = cascadia.MustCompile("a[href]")
)

// item1 reads one item element and its absolute link; false when it has
// no title or web link. The item's URL is the link made canonical.
func (sc *scraper) item1(el *html.Node, base *url.URL) (feed.Item, string, bool) {
	linkEl := first(sc.link, el)
	if sc.link == nil {
		linkEl = anyLink.MatchFirst(el)
	}
	href := ""
	if linkEl != nil {
		href, _ = attr(linkEl, "href")
		if href == "" { // a selector naming the link's container
			if a := anyLink.MatchFirst(linkEl); a != nil {
				href, _ = attr(a, "href")
			}
		}
	}
	link := absWebLink(base, href)
	title := ""
	switch {
	case sc.title != nil:
		title = oneLineText(nodeText(first(sc.title, el)))
	case linkEl != nil:
		title = oneLineText(nodeText(linkEl))
	}
	if link == "" || title == "" {
		return feed.Item{}, "", false
	}
	canon, err := feed.CanonicalURL(link)
	if err != nil {
		return feed.Item{}, "", false
	}
	it := feed.Item{GUID: canon, URL: canon, Title: title}
	if n := first(sc.summary, el); n != nil {
		it.Text = oneLineText(nodeText(n))
		it.Content = textHTML(it.Text)
	}
	if n := first(sc.date, el); n != nil {
		it.Published = scrapeDate(n)
	}
	return it, link, true
}

// first is sel's first match in el, nil when sel is unset or matches nothing.
func first(sel cascadia.Selector, el *html.Node) *html.Node {
	if sel == nil || el == nil {
		return nil
	}
	return sel.MatchFirst(el)
}

// absWebLink resolves href against base and keeps it only if it is an
// http(s) link: "javascript:", "mailto:" and "#top" name no story.
func absWebLink(base *url.URL, href string) string {
	href = strings.TrimSpace(href)
	if href == "" || strings.HasPrefix(href, "#") {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// scrapeDate reads a date element: a machine date in its datetime or
// content attribute (<time datetime>, <meta content>), else a date written
// in its text, read as article files read their date lines. Zero when
// there is none; the store then dates the item when it is first seen.
func scrapeDate(n *html.Node) time.Time {
	for _, key := range [...]string{"datetime", "content"} {
		if v, _ := attr(n, key); strings.TrimSpace(v) != "" {
			v = strings.TrimSpace(v)
			if t, ok := machineDate(v); ok {
				return t
			}
			if t, ok := artDateLine(v); ok {
				return t.UTC()
			}
		}
	}
	text := oneLineText(nodeText(n))
	if t, ok := machineDate(text); ok {
		return t
	}
	if t, ok := artDateLine(text); ok {
		return t.UTC()
	}
	return time.Time{}
}

// machineDates are the layouts of dates written for machines; dateOnly
// is the one without a time.
var machineDates = [...]string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", dateOnly}

const dateOnly = "2006-01-02"

// machineDate reads a machine date; a date alone reads as noon UTC of that
// day, as a date line does (artDateLine), so no time zone shifts the day.
func machineDate(s string) (time.Time, bool) {
	for _, layout := range machineDates {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == dateOnly {
				t = t.Add(12 * time.Hour)
			}
			return t.UTC(), true
		}
	}
	if t, err := http.ParseTime(s); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// nodeText is the text under n, with a space where elements meet so that
// "<h3>A</h3><p>B</p>" reads "A B"; scripts and styles are not text.
func nodeText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
			return
		case n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style || n.DataAtom == atom.Template):
			return
		}
		if n.Type == html.ElementNode {
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return b.String()
}
