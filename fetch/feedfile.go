package fetch

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	gfjson "github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"

	"github.com/topicfeed/topicfeed/feed"
)

// ParseFeed parses an RSS, Atom or JSON feed document into items, with
// HTML sanitised, text extracted and links made absolute against base
// (the feed's URL, or "" for a local file).
func ParseFeed(name string, data []byte, base string) ([]feed.Item, error) {
	return ParseFeedCharset(name, data, base, "")
}

// ParseFeedCharset is ParseFeed for a document whose transport named its
// character set: charset is the label from an HTTP Content-Type (see
// Response.Charset), or "". A BOM or valid UTF-8 overrides it.
func ParseFeedCharset(name string, data []byte, base, charset string) ([]feed.Item, error) {
	items, _, err := ParseFeedEmpty(name, data, base, charset)
	return items, err
}

// ParseFeedEmpty is ParseFeedCharset that also counts the entries left
// out for having no title, text or link, so no entry goes uncounted.
func ParseFeedEmpty(name string, data []byte, base, charset string) ([]feed.Item, int, error) {
	p, err := ParseFeedPolled(name, data, base, charset)
	return p.Items, p.Empty, err
}

// ParseFeedPolled is ParseFeedEmpty that also reads what the document
// asks of its readers' polling (RSS <ttl>, sy:updatePeriod).
func ParseFeedPolled(name string, data []byte, base, charset string) (Parsed, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Parsed{}, fmt.Errorf("%s: empty file", name)
	}
	doc, err := toUTF8(data, charset, false)
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %v", name, err)
	}
	var f *gofeed.Feed
	if firstByte(doc) == '{' {
		f, err = parseJSONFeed(doc)
	} else {
		f, err = parseXMLFeed(doc, nil)
	}
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: not a feed: %s", name, err)
	}
	items, empty := feedItems(name, f, doc, base)
	return Parsed{Items: items, Empty: empty, Hint: feedPollHint(f)}, nil
}

// parseXMLFeed reads an RSS, Atom or RDF document (UTF-8) with gofeed.
// root is the document's root when the caller has found it: a known root
// goes straight to its format's parser, which also reads a document whose
// root sits past gofeed's 4 KB detection window (behind a long comment).
// Another root is still offered to gofeed, and refused when it fails.
func parseXMLFeed(doc []byte, root *xmlRoot) (*gofeed.Feed, error) {
	var f *gofeed.Feed
	var err error
	switch {
	case root == nil || !root.isFeed():
		f, err = newParser().Parse(bytes.NewReader(doc))
		if err == nil || !errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			break
		}
		if root == nil {
			if firstByte(doc) != '<' {
				break // not markup at all: gofeed's word will do
			}
			r := findXMLRoot(doc)
			root = &r
		}
		switch {
		case root.isFeed():
			return parseXMLFeed(doc, root)
		case root.isHTML():
			return nil, errors.New("an HTML page")
		}
		return nil, errors.New(root.refusal())
	case root.local == "feed":
		var af *atom.Feed
		if af, err = (&atom.Parser{}).Parse(bytes.NewReader(doc)); err == nil {
			f, err = (&atomTranslator{}).Translate(af)
		}
	default:
		var rf *rss.Feed
		if rf, err = (&rss.Parser{}).Parse(bytes.NewReader(doc)); err == nil {
			f, err = newRSSTranslator().Translate(rf)
		}
	}
	if err != nil {
		return nil, errors.New(oneLine(err))
	}
	return f, nil
}

// parseJSONFeed decodes a JSON Feed once, with gofeed's types, and checks
// its version: any JSON object is no JSON Feed.
func parseJSONFeed(doc []byte) (*gofeed.Feed, error) {
	var jf gfjson.Feed
	if err := json.Unmarshal(doc, &jf); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, jsonSyntaxError{err}
		}
		if v, ok := jsonFeedVersionOf(doc); ok && !isJSONFeedVersion(v) {
			return nil, errNoJSONFeedVersion
		}
		return nil, errors.New(oneLine(err))
	}
	if !isJSONFeedVersion(jf.Version) {
		return nil, errNoJSONFeedVersion
	}
	// content_text and summary are plain text: escape them here, since
	// gofeed hands them on as if they were HTML.
	for _, it := range jf.Items {
		if it == nil {
			continue
		}
		if it.ContentHTML == "" {
			it.ContentHTML = textHTML(it.ContentText)
		}
		it.Summary = textHTML(it.Summary)
	}
	var tr gofeed.DefaultJSONTranslator
	f, err := tr.Translate(&jf)
	if err != nil {
		return nil, err
	}
	// gofeed's enclosures have no duration: keep the first attachment's.
	if len(f.Items) == len(jf.Items) {
		for i, it := range jf.Items {
			if it != nil && it.Attachments != nil && len(*it.Attachments) > 0 {
				if d := (*it.Attachments)[0].DurationInSeconds; d > 0 {
					setCustom(f.Items[i], customDuration, strconv.FormatInt(d, 10))
				}
			}
		}
	}
	return f, nil
}

// jsonSyntaxError is a document that starts like JSON but is not JSON.
type jsonSyntaxError struct{ err error }

func (e jsonSyntaxError) Error() string { return "invalid JSON: " + oneLine(e.err) }

// textHTML renders plain text as escaped HTML paragraphs.
func textHTML(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.ContainsAny(s, "<>&\"'\n") {
		return "<p>" + s + "</p>"
	}
	var b strings.Builder
	for p := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString("<p>")
			b.WriteString(html.EscapeString(p))
			b.WriteString("</p>")
		}
	}
	return b.String()
}

// feedItems turns a parsed feed into items. A local file (base "") gets
// links resolved against the feed's own links and Item.Feed set.
func feedItems(name string, f *gofeed.Feed, doc []byte, base string) (_ []feed.Item, empty int) {
	scope := ""
	if base == "" {
		scope = fileFeedScope(name, f)
		base = cmp.Or(f.FeedLink, f.Link)
	}
	p := itemParse{f: f, doc: doc}
	site := p.site(base)
	items := make([]feed.Item, 0, len(f.Items))
	var links []string // the resolved link of each item, once one has a fragment
	for i, e := range f.Items {
		it, link := p.item(i, e, base)
		if it.Title == "" && it.Text == "" && it.URL == "" {
			empty++
			continue
		}
		it.Feed, it.Site = scope, site
		if links == nil && strings.IndexByte(link, '#') >= 0 {
			links = make([]string, len(items), len(f.Items))
		}
		if links != nil {
			links = append(links, link)
		}
		items = append(items, it)
	}
	if links != nil {
		keepFragments(items, links)
	}
	for i := range items {
		if items[i].Title == "" {
			items[i].Title = items[i].URL // as Miniflux does for a link-only entry
		}
	}
	return items, empty
}

// itemParse holds what titles need beyond the entry: the format, and for
// Atom the title types, read only when a title could change with them.
type itemParse struct {
	f          *gofeed.Feed
	doc        []byte
	atomTitles []int8
	base       baseURL
}

// baseURL is resolve with the base parsed once for all of a feed's items.
type baseURL struct {
	raw    string
	u      *url.URL
	parsed bool
}

func (b *baseURL) resolve(base, link string) string {
	if link == "" || base == "" {
		return link
	}
	if !b.parsed || b.raw != base {
		b.raw, b.parsed = base, true
		b.u, _ = url.Parse(base)
	}
	if b.u == nil {
		return link
	}
	r, err := b.u.Parse(link)
	if err != nil {
		return link
	}
	return r.String()
}

func (p *itemParse) item(i int, e *gofeed.Item, base string) (feed.Item, string) {
	body := e.Content
	if body == "" {
		body = e.Description
	}
	content := feed.Sanitize(body, base)
	it := feed.Item{
		GUID:    strings.TrimSpace(e.GUID),
		Title:   p.title(i, e.Title),
		Content: content,
		Text:    feed.HTMLText(content),
	}
	if e.Content != "" && e.Description != "" {
		it.Summary = feed.HTMLText(e.Description)
	}
	link := p.base.resolve(base, strings.TrimSpace(e.Link))
	if link == "" {
		// An episode that is only its media: the enclosure is what it links to.
		for _, enc := range e.Enclosures {
			if u := strings.TrimSpace(enc.URL); u != "" {
				link = p.base.resolve(base, u)
				break
			}
		}
	}
	if link != "" {
		if c, err := feed.CanonicalURL(link); err == nil {
			it.URL = c
		}
	}
	p.media(&it, e, base)
	it.Published, it.Updated = itemTimes(e)
	if it.Title == "" && it.Text != "" {
		it.Title = firstSentence(it.Text)
	}
	return it, link
}

// site is the publication the feed names: its title and home page.
func (p *itemParse) site(base string) feed.Site {
	name := p.f.Title
	if p.f.FeedType != "json" && (strings.IndexByte(name, '<') >= 0 || hasEntity(name)) {
		if hasHTMLMarkup(name) {
			name = feed.HTMLText(name)
		} else {
			name = html.UnescapeString(name)
		}
	}
	return feed.Site{Name: oneLineText(name), URL: webLink(base, p.f.Link)}
}

// title returns an entry's title as plain text. HTML is read as HTML only
// where the format says so (Atom type="html"/"xhtml") or, in RSS, where
// known tags are used as markup; otherwise "Vec<T>" stays "Vec<T>". RSS
// titles are often HTML-escaped twice, so their entities are decoded.
func (p *itemParse) title(i int, raw string) string {
	if strings.IndexByte(raw, '<') < 0 && !hasEntity(raw) {
		return oneLineText(raw)
	}
	switch p.f.FeedType {
	case "json":
		return oneLineText(raw)
	case "atom":
		if p.atomTitles == nil {
			p.atomTitles = atomTitleTypes(p.doc, len(p.f.Items))
		}
		switch p.atomTitles[i] {
		case titleText:
			return oneLineText(raw)
		case titleHTML:
			return oneLineText(feed.HTMLText(raw))
		}
	}
	if hasHTMLMarkup(raw) {
		return oneLineText(feed.HTMLText(raw))
	}
	return oneLineText(html.UnescapeString(raw))
}

// keepFragments keeps the fragment of links that only a fragment tells
// apart within the document (a one-page blog's "#post-3"); elsewhere the
// fragment stays dropped, as CanonicalURL drops it.
func keepFragments(items []feed.Item, links []string) {
	frags := make(map[string]string, len(items)) // URL → its first fragment
	split := make(map[string]bool)
	for i, it := range items {
		if it.URL == "" {
			continue
		}
		_, frag, _ := strings.Cut(links[i], "#")
		if first, seen := frags[it.URL]; !seen {
			frags[it.URL] = frag
		} else if first != frag {
			split[it.URL] = true
		}
	}
	for i := range items {
		if split[items[i].URL] {
			if c, err := feed.CanonicalURLKeepFragment(links[i]); err == nil {
				items[i].URL = c
			}
		}
	}
}

// fileFeedScope names the feed document a file holds, for Item.Feed: its
// self link, else its home link, else the file itself.
func fileFeedScope(name string, f *gofeed.Feed) string {
	for _, l := range [...]string{f.FeedLink, f.Link} {
		l = strings.TrimSpace(l)
		if c, err := feed.CanonicalURL(l); err == nil {
			return c
		}
		if u, err := url.Parse(l); err == nil && u.IsAbs() {
			return l
		}
	}
	return fileScope(name)
}

// fileScope is the identity of a local input: "file://" and its absolute
// slash path, or "stdin".
func fileScope(name string) string {
	if name == "-" {
		return "stdin"
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		abs = name
	}
	return "file://" + filepath.ToSlash(abs)
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
	var b baseURL
	return b.resolve(base, link)
}

// oneLine keeps parser errors to the one line a user sees.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
