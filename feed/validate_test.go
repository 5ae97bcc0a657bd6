package feed_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// The rules of the W3C feed validator (validator.w3.org/feed) and of the
// JSON Feed 1.1 spec that can be checked offline: required elements,
// dates, ids, author forms, self links, enclosures, and the plain-text
// and HTML rules (no markup in titles, no double escaping, JSON Feed
// summaries as plain text). validate returns every problem found.

const (
	atomNS = "http://www.w3.org/2005/Atom"
	dcNS   = "http://purl.org/dc/elements/1.1/"
)

// node is an XML element, namespaces resolved.
type node struct {
	name     xml.Name
	attrs    map[string]string // by local name
	children []*node
	text     string
}

func (n *node) all(space, local string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name.Local == local && (space == "*" || c.name.Space == space) {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) one(space, local string) *node {
	if cs := n.all(space, local); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

func parseXML(body []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.children = append(top.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
}

type problems struct{ list []string }

func (p *problems) add(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

var (
	// markup in what must be plain text: a tag of HTML, or an entity left
	// encoded (text escaped twice).
	htmlTag      = regexp.MustCompile(`(?i)</?(a|b|i|u|p|br|em|strong|span|div|img|script|style|iframe|small|h[1-6]|ul|ol|li|table|font)\b[^>]*>`)
	leftEntity   = regexp.MustCompile(`&(amp|lt|gt|quot|apos|nbsp|#[0-9]+|#x[0-9a-fA-F]+);`)
	doubleEscape = regexp.MustCompile(`&amp;(amp|lt|gt|quot|apos|nbsp|#[0-9]+|#x[0-9a-fA-F]+);`)
	mimeType     = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$`)
)

func plainText(p *problems, what, s string) {
	if htmlTag.MatchString(s) {
		p.add("%s holds markup: %q", what, s)
	}
	if leftEntity.MatchString(s) {
		p.add("%s holds an encoded entity: %q", what, s)
	}
}

func htmlText(p *problems, what, s string) {
	if doubleEscape.MatchString(s) {
		p.add("%s is escaped twice: %q", what, s)
	}
}

func absURL(p *problems, what, s string) {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" && u.Scheme != "mailto" && u.Scheme != "tag" && u.Scheme != "urn" {
		p.add("%s %q is not an absolute URL", what, s)
	}
}

// rfc822 checks an RSS date as the validator does: RFC 822 with a
// four-digit year, and a weekday that is the date's.
func rfc822(p *problems, what, s string) {
	t, err := time.Parse(time.RFC1123Z, s)
	if err != nil {
		if t, err = time.Parse(time.RFC1123, s); err != nil {
			p.add("%s %q is not an RFC 822 date", what, s)
			return
		}
	}
	if !strings.HasPrefix(s, t.Weekday().String()[:3]+",") {
		p.add("%s %q names the wrong weekday", what, s)
	}
}

func rfc3339(p *problems, what, s string) {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		p.add("%s %q is not an RFC 3339 date", what, s)
	}
}

func validate(f feed.Format, ch feed.Channel, body []byte) []string {
	var p problems
	switch f {
	case feed.RSS:
		validateRSS(&p, ch, body)
	case feed.Atom:
		validateAtom(&p, ch, body)
	default:
		validateJSON(&p, ch, body)
	}
	return p.list
}

func validateRSS(p *problems, ch feed.Channel, body []byte) {
	root, err := parseXML(body)
	if err != nil {
		p.add("not XML: %v", err)
		return
	}
	if root.name.Local != "rss" || root.attrs["version"] != "2.0" {
		p.add("root is %s version %q, want rss 2.0", root.name.Local, root.attrs["version"])
	}
	c := root.one("", "channel")
	if c == nil {
		p.add("no channel")
		return
	}
	for _, req := range []string{"title", "link", "description"} {
		if c.one("", req) == nil {
			p.add("channel has no %s", req)
		}
	}
	if l := c.one("", "link"); l != nil {
		absURL(p, "channel link", l.text)
	}
	for _, d := range []string{"pubDate", "lastBuildDate"} {
		if n := c.one("", d); n != nil {
			rfc822(p, "channel "+d, n.text)
		}
	}
	self := false
	for _, l := range c.all(atomNS, "link") {
		if l.attrs["rel"] == "self" && l.attrs["href"] == ch.Self && l.attrs["type"] == "application/rss+xml" {
			self = true
		}
	}
	if !self {
		p.add("no atom:link rel=self to %s", ch.Self)
	}
	guids := map[string]bool{}
	for i, it := range c.all("", "item") {
		at := fmt.Sprintf("item %d", i)
		t, d := it.one("", "title"), it.one("", "description")
		if t == nil && d == nil {
			p.add("%s has neither title nor description", at)
		}
		if t != nil {
			plainText(p, at+" title", t.text)
		}
		if d != nil {
			htmlText(p, at+" description", d.text)
		}
		if c := it.one("*", "encoded"); c != nil {
			htmlText(p, at+" content:encoded", c.text)
		}
		g := it.one("", "guid")
		switch {
		case g == nil:
			p.add("%s has no guid", at)
		case guids[g.text]:
			p.add("%s repeats guid %s", at, g.text)
		default:
			guids[g.text] = true
			if g.attrs["isPermaLink"] != "false" {
				absURL(p, at+" guid", g.text)
			}
		}
		if l := it.one("", "link"); l != nil {
			absURL(p, at+" link", l.text)
		}
		if d := it.one("", "pubDate"); d != nil {
			rfc822(p, at+" pubDate", d.text)
		}
		if a := it.one("", "author"); a != nil {
			// RSS 2.0: an email address, optionally with the name after.
			addr, _, _ := strings.Cut(a.text, " ")
			if _, err := mail.ParseAddress(addr); err != nil {
				p.add("%s author %q is not an email address", at, a.text)
			}
			if it.one(dcNS, "creator") != nil {
				p.add("%s has both author and dc:creator", at)
			}
		}
		for _, cr := range it.all(dcNS, "creator") {
			if strings.TrimSpace(cr.text) == "" {
				p.add("%s has an empty dc:creator", at)
			}
		}
		for _, cat := range it.all("", "category") {
			if strings.TrimSpace(cat.text) == "" {
				p.add("%s has an empty category", at)
			}
		}
		for _, e := range it.all("", "enclosure") {
			absURL(p, at+" enclosure url", e.attrs["url"])
			if n, err := strconv.ParseInt(e.attrs["length"], 10, 64); err != nil || n < 0 {
				p.add("%s enclosure length %q is not a size", at, e.attrs["length"])
			}
			if !mimeType.MatchString(e.attrs["type"]) {
				p.add("%s enclosure type %q is not a MIME type", at, e.attrs["type"])
			}
		}
		if s := it.one("", "source"); s != nil {
			absURL(p, at+" source url", s.attrs["url"])
			if strings.TrimSpace(s.text) == "" {
				p.add("%s source names no site", at)
			}
		}
		if cm := it.one("", "comments"); cm != nil {
			absURL(p, at+" comments", cm.text)
		}
	}
}

func validateAtom(p *problems, ch feed.Channel, body []byte) {
	root, err := parseXML(body)
	if err != nil {
		p.add("not XML: %v", err)
		return
	}
	if root.name.Space != atomNS || root.name.Local != "feed" {
		p.add("root is %v, want atom:feed", root.name)
		return
	}
	atomCommon(p, "feed", root)
	self := false
	for _, l := range root.all(atomNS, "link") {
		if l.attrs["rel"] == "self" && l.attrs["href"] == ch.Self {
			self = true
		}
	}
	if !self {
		p.add("no link rel=self to %s", ch.Self)
	}
	feedAuthor := root.one(atomNS, "author") != nil
	ids := map[string]bool{}
	for i, e := range root.all(atomNS, "entry") {
		at := fmt.Sprintf("entry %d", i)
		atomCommon(p, at, e)
		if id := e.one(atomNS, "id"); id != nil {
			if ids[id.text] {
				p.add("%s repeats id %s", at, id.text)
			}
			ids[id.text] = true
		}
		if d := e.one(atomNS, "published"); d != nil {
			rfc3339(p, at+" published", d.text)
		}
		src := e.one(atomNS, "source")
		if e.one(atomNS, "author") == nil && !feedAuthor && (src == nil || src.one(atomNS, "author") == nil) {
			p.add("%s has no author, and neither has its source nor the feed", at)
		}
		alternate := false
		for _, l := range e.all(atomNS, "link") {
			switch l.attrs["rel"] {
			case "", "alternate":
				if alternate {
					p.add("%s has two alternate links", at)
				}
				alternate = true
			case "enclosure":
				if n := l.attrs["length"]; n != "" {
					if _, err := strconv.ParseInt(n, 10, 64); err != nil {
						p.add("%s enclosure length %q is not a size", at, n)
					}
				}
			}
			absURL(p, at+" link", l.attrs["href"])
			if t := l.attrs["type"]; t != "" && !mimeType.MatchString(t) {
				p.add("%s link type %q is not a MIME type", at, t)
			}
		}
		content := e.one(atomNS, "content")
		if content == nil && !alternate {
			p.add("%s has neither content nor an alternate link", at)
		}
		for _, n := range []*node{content, e.one(atomNS, "summary")} {
			if n == nil {
				continue
			}
			switch n.attrs["type"] {
			case "html":
				htmlText(p, at+" "+n.name.Local, n.text)
			case "", "text":
				plainText(p, at+" "+n.name.Local, n.text)
			}
		}
		for _, c := range e.all(atomNS, "category") {
			if c.attrs["term"] == "" {
				p.add("%s has a category with no term", at)
			}
		}
		if src != nil {
			if t := src.one(atomNS, "title"); t == nil || t.text == "" {
				p.add("%s source has no title", at)
			}
			for _, l := range src.all(atomNS, "link") {
				absURL(p, at+" source link", l.attrs["href"])
			}
		}
	}
}

// atomCommon checks what a feed and an entry both need: an absolute id,
// a plain-text title, an RFC 3339 updated, and authors with names.
func atomCommon(p *problems, at string, n *node) {
	if id := n.one(atomNS, "id"); id == nil {
		p.add("%s has no id", at)
	} else {
		absURL(p, at+" id", id.text)
	}
	if t := n.one(atomNS, "title"); t == nil {
		p.add("%s has no title", at)
	} else if t.attrs["type"] == "" || t.attrs["type"] == "text" {
		plainText(p, at+" title", t.text)
	}
	if u := n.one(atomNS, "updated"); u == nil {
		p.add("%s has no updated", at)
	} else {
		rfc3339(p, at+" updated", u.text)
	}
	for _, a := range n.all(atomNS, "author") {
		if nm := a.one(atomNS, "name"); nm == nil || strings.TrimSpace(nm.text) == "" {
			p.add("%s has an author with no name", at)
		}
		if em := a.one(atomNS, "email"); em != nil {
			if _, err := mail.ParseAddress(em.text); err != nil {
				p.add("%s author email %q is not an address", at, em.text)
			}
		}
	}
}

// jsonItemKeys are the item fields of JSON Feed 1.1 ("author" is 1.0's,
// still allowed); extensions start with "_".
var jsonItemKeys = []string{"id", "url", "external_url", "title", "content_html", "content_text", "summary",
	"image", "banner_image", "date_published", "date_modified", "author", "authors", "tags", "language", "attachments"}

func validateJSON(p *problems, ch feed.Channel, body []byte) {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		p.add("not JSON: %v", err)
		return
	}
	if doc["version"] != "https://jsonfeed.org/version/1.1" {
		p.add("version %v", doc["version"])
	}
	if s, _ := doc["title"].(string); s == "" {
		p.add("no title")
	}
	if doc["feed_url"] != ch.Self {
		p.add("feed_url %v, want %s", doc["feed_url"], ch.Self)
	}
	items, ok := doc["items"].([]any)
	if !ok {
		p.add("items is %T, want an array", doc["items"])
		return
	}
	ids := map[string]bool{}
	for i, v := range items {
		at := fmt.Sprintf("item %d", i)
		it, _ := v.(map[string]any)
		for k := range it {
			if !strings.HasPrefix(k, "_") && !slices.Contains(jsonItemKeys, k) {
				p.add("%s has unknown field %q", at, k)
			}
		}
		id, _ := it["id"].(string)
		if id == "" || ids[id] {
			p.add("%s id %q is empty or repeated", at, id)
		}
		ids[id] = true
		html, _ := it["content_html"].(string)
		text, _ := it["content_text"].(string)
		if html == "" && text == "" {
			p.add("%s has neither content_html nor content_text", at)
		}
		htmlText(p, at+" content_html", html)
		for _, k := range []string{"title", "summary", "content_text"} {
			if s, ok := it[k].(string); ok {
				plainText(p, at+" "+k, s)
			}
		}
		for _, k := range []string{"url", "external_url", "image"} {
			if s, ok := it[k].(string); ok {
				absURL(p, at+" "+k, s)
			}
		}
		for _, k := range []string{"date_published", "date_modified"} {
			if s, ok := it[k].(string); ok {
				rfc3339(p, at+" "+k, s)
			}
		}
		authors, _ := it["authors"].([]any)
		for _, a := range authors {
			m, _ := a.(map[string]any)
			if m["name"] == nil && m["url"] == nil && m["avatar"] == nil {
				p.add("%s has an author with no name, url or avatar", at)
			}
		}
		atts, _ := it["attachments"].([]any)
		for _, a := range atts {
			m, _ := a.(map[string]any)
			u, _ := m["url"].(string)
			absURL(p, at+" attachment url", u)
			mt, _ := m["mime_type"].(string)
			if _, _, err := mime.ParseMediaType(mt); err != nil {
				p.add("%s attachment mime_type %q: %v", at, mt, err)
			}
		}
		if tags, ok := it["tags"]; ok {
			if list, ok := tags.([]any); !ok || len(list) == 0 {
				p.add("%s tags %v is not a list of strings", at, tags)
			}
		}
	}
}

// TestRenderValid runs the validator's rules over the golden feeds, an
// empty feed, and a feed of awkward items: HTML in a title, entities in
// a summary, an empty item, an author who is only an email address.
func TestRenderValid(t *testing.T) {
	t0 := time.Date(2026, 2, 28, 23, 59, 59, 0, time.FixedZone("", 5*3600))
	awkward := []*feed.Item{
		{ID: 1, Title: "Vec<T> & “friends”", Summary: "It's “quoted”: 5 < 6 & 7 > 3", Published: t0, Updated: t0,
			Authors: []feed.Person{{Email: "desk@example.org"}}, Categories: []string{"Rust & Go"}},
		{ID: 2, URL: "/relative/from/a/file", Sources: []string{"desk"},
			Enclosures: []feed.Enclosure{{URL: "https://cdn.example.org/a"}, {URL: "https://cdn.example.org/b.mp3", Type: "audio/mpeg"}}},
	}
	cases := map[string][]*feed.Item{"golden": feed.GoldenItems(), "empty": nil, "awkward": awkward}
	for name, items := range cases {
		for _, f := range []feed.Format{feed.RSS, feed.Atom, feed.JSON} {
			var buf bytes.Buffer
			ch := feed.GoldenChannel(f)
			if err := feed.Render(&buf, f, ch, items); err != nil {
				t.Fatal(err)
			}
			for _, pr := range validate(f, ch, buf.Bytes()) {
				t.Errorf("%s as %s: %s", name, f, pr)
			}
		}
	}
}

// TestRenderCorpusValid runs the validator's rules over every input of
// the test corpora as each format publishes it.
func TestRenderCorpusValid(t *testing.T) {
	n := 0
	for _, r := range renderCorpus(t) {
		n++
		for _, pr := range validate(r.format, feed.GoldenChannel(r.format), r.body) {
			t.Errorf("%s as %s: %s", r.name, r.format, pr)
		}
	}
	t.Logf("%d feeds checked", n)
}

// TestRenderStableIDs: an item keeps its id whatever else the feed holds
// and in whatever order.
func TestRenderStableIDs(t *testing.T) {
	items := feed.GoldenItems()
	ids := func(f feed.Format, items []*feed.Item) map[string]string {
		var buf bytes.Buffer
		if err := feed.Render(&buf, f, feed.GoldenChannel(f), items); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, it := range items {
			id := feed.ItemURL("http://localhost:8080", it.ID)
			if bytes.Count(buf.Bytes(), []byte(id)) == 0 {
				t.Errorf("%s: id %s missing", f, id)
			}
			out[it.Title] = id
		}
		return out
	}
	for _, f := range []feed.Format{feed.RSS, feed.Atom, feed.JSON} {
		all := ids(f, items)
		rev := ids(f, []*feed.Item{items[2], items[0]})
		for title, id := range rev {
			if all[title] != id {
				t.Errorf("%s: %q is %s alone, %s with the others", f, title, id, all[title])
			}
		}
	}
}
