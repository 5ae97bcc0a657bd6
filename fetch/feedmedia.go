package fetch

import (
	"path"
	"strconv"
	"strings"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"

	"github.com/topicfeed/topicfeed/feed"
)

// gofeed's universal Item has no field for an entry's comments page, and
// its RSS translator guesses an item's image from the first <img> of its
// content, a whole HTML parse per item for an image the content shows
// anyway. These translators keep the comments link (in Item.Custom) and
// skip the guess: an image is taken only where a feed names one.

// Keys of Item.Custom: the comments page, and the first enclosure's
// duration in seconds where a JSON Feed gives it.
const (
	customComments = "comments"
	customDuration = "duration"
)

type rssTranslator struct {
	gofeed.DefaultRSSTranslator
}

func (t *rssTranslator) Translate(f any) (*gofeed.Feed, error) {
	out, err := t.DefaultRSSTranslator.Translate(f)
	if err != nil {
		return nil, err
	}
	if rf, ok := f.(*rss.Feed); ok && len(rf.Items) == len(out.Items) {
		for i, it := range rf.Items {
			setCustom(out.Items[i], customComments, it.Comments)
		}
	}
	if rf, ok := f.(*rss.Feed); ok && strings.TrimSpace(rf.TTL) != "" {
		// The universal feed has no <ttl>; polling reads it (poll.go).
		if out.Custom == nil {
			out.Custom = map[string]string{}
		}
		out.Custom[customTTL] = strings.TrimSpace(rf.TTL)
	}
	return out, nil
}

type atomTranslator struct {
	gofeed.DefaultAtomTranslator
}

func (t *atomTranslator) Translate(f any) (*gofeed.Feed, error) {
	out, err := t.DefaultAtomTranslator.Translate(f)
	if err != nil {
		return nil, err
	}
	if af, ok := f.(*atom.Feed); ok && len(af.Entries) == len(out.Items) {
		for i, e := range af.Entries {
			for _, l := range e.Links {
				if l.Rel == "replies" && (l.Type == "" || strings.Contains(l.Type, "html")) {
					setCustom(out.Items[i], customComments, l.Href)
					break
				}
			}
		}
	}
	return out, nil
}

func setCustom(it *gofeed.Item, key, v string) {
	if v = strings.TrimSpace(v); v == "" {
		return
	}
	if it.Custom == nil {
		it.Custom = map[string]string{}
	}
	it.Custom[key] = v
}

func newRSSTranslator() *rssTranslator {
	return &rssTranslator{gofeed.DefaultRSSTranslator{DisableContentImageScan: true}}
}

// newParser is gofeed's parser with the translators above.
func newParser() *gofeed.Parser {
	p := gofeed.NewParser()
	p.RSSTranslator = newRSSTranslator()
	p.AtomTranslator = &atomTranslator{}
	return p
}

// media sets what an entry carries beside its text: authors, enclosures
// (with media RSS content when there are none), its image and comments
// page. Links are resolved against base; only web links are kept.
func (p *itemParse) media(it *feed.Item, e *gofeed.Item, base string) {
	it.Authors = entryAuthors(e)
	names := make([]string, 0, len(it.Authors))
	for _, a := range it.Authors {
		if a.Name != "" {
			names = append(names, a.Name)
		}
	}
	it.Author = strings.Join(names, ", ")
	if len(it.Authors) == 1 && it.Authors[0].Email == "" {
		it.Authors = nil // Author says it all
	}
	it.Categories = categories(e.Categories)
	it.Enclosures = enclosures(e, base)
	it.Image = p.image(e, base)
	it.Comments = webLink(base, e.Custom[customComments])
}

// entryAuthors are an entry's authors, each once. RSS gives gofeed one
// author; several dc:creator elements name several.
func entryAuthors(e *gofeed.Item) []feed.Person {
	var out []feed.Person
	add := func(name, email string) {
		name, email = oneLineText(name), strings.TrimSpace(email)
		if name == "" && email == "" {
			return
		}
		for _, a := range out {
			if a.Name == name && a.Email == email {
				return
			}
		}
		out = append(out, feed.Person{Name: name, Email: email})
	}
	for _, a := range e.Authors {
		if a != nil {
			add(a.Name, a.Email)
		}
	}
	if len(out) == 0 && e.Author != nil {
		add(e.Author.Name, e.Author.Email)
	}
	if dc := e.DublinCoreExt; dc != nil && len(dc.Creator) > 1 && len(out) <= 1 {
		out = out[:0]
		for _, c := range dc.Creator {
			add(c, "")
		}
	}
	return out
}

// categories trims and de-duplicates an entry's categories.
func categories(cs []string) []string {
	var out []string
	for _, c := range cs {
		c = oneLineText(c)
		if c == "" {
			continue
		}
		dup := false
		for _, o := range out {
			if strings.EqualFold(o, c) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

// enclosures are an entry's files: <enclosure>, Atom enclosure links and
// JSON Feed attachments, or with none of those, its media:content files
// (media RSS, also inside media:group) that are not images.
func enclosures(e *gofeed.Item, base string) []feed.Enclosure {
	var out []feed.Enclosure
	add := func(u, typ, length string, seconds int) {
		u = webLink(base, u)
		if u == "" {
			return
		}
		for _, o := range out {
			if o.URL == u {
				return
			}
		}
		n, err := strconv.ParseInt(strings.TrimSpace(length), 10, 64)
		if err != nil || n < 0 {
			n = 0
		}
		typ = strings.ToLower(strings.TrimSpace(typ))
		if typ == "" {
			typ = mediaTypes[strings.ToLower(path.Ext(strings.SplitN(u, "?", 2)[0]))]
		}
		out = append(out, feed.Enclosure{URL: u, Type: typ, Length: n, Duration: seconds})
	}
	for _, enc := range e.Enclosures {
		if enc != nil {
			add(enc.URL, enc.Type, enc.Length, 0)
		}
	}
	if len(out) == 0 {
		for _, c := range mediaElements(e.Extensions, "content") {
			typ, medium := c.Attrs["type"], c.Attrs["medium"]
			if strings.HasPrefix(typ, "image/") || medium == "image" {
				continue // the image, not a file to play
			}
			add(c.Attrs["url"], typ, c.Attrs["fileSize"], atoiPositive(c.Attrs["duration"]))
		}
	}
	if len(out) > 0 && out[0].Duration == 0 {
		out[0].Duration = atoiPositive(e.Custom[customDuration])
		if e.ITunesExt != nil && out[0].Duration == 0 {
			out[0].Duration = parseDuration(e.ITunesExt.Duration)
		}
	}
	return out
}

// image is an entry's main image where its feed names one: JSON Feed's
// image, itunes:image, media:thumbnail, an image in media:content, or an
// image enclosure.
func (p *itemParse) image(e *gofeed.Item, base string) string {
	if e.Image != nil && p.f.FeedType == "json" {
		return webLink(base, e.Image.URL)
	}
	if e.ITunesExt != nil && e.ITunesExt.Image != "" {
		return webLink(base, e.ITunesExt.Image)
	}
	for _, t := range mediaElements(e.Extensions, "thumbnail") {
		if u := webLink(base, t.Attrs["url"]); u != "" {
			return u
		}
	}
	if e.Image != nil { // gofeed's pick: a media:content image or an image enclosure
		return webLink(base, e.Image.URL)
	}
	for _, c := range mediaElements(e.Extensions, "content") {
		if strings.HasPrefix(c.Attrs["type"], "image/") || c.Attrs["medium"] == "image" {
			return webLink(base, c.Attrs["url"])
		}
	}
	for _, enc := range e.Enclosures {
		if enc != nil && strings.HasPrefix(enc.Type, "image/") {
			return webLink(base, enc.URL)
		}
	}
	return ""
}

// mediaElements are an entry's media RSS elements of one name, at the
// top and inside media:group.
func mediaElements(x ext.Extensions, name string) []ext.Extension {
	m := x["media"]
	if m == nil {
		return nil
	}
	out := m[name]
	for _, g := range m["group"] {
		out = append(out, g.Children[name]...)
	}
	return out
}

// webLink resolves u against base and keeps it only when it is an
// absolute http(s) URL, which a reader in another place can follow.
func webLink(base, u string) string {
	u = resolve(base, strings.TrimSpace(u))
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return ""
	}
	return u
}

// parseDuration reads itunes:duration: seconds, MM:SS or HH:MM:SS.
func parseDuration(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	secs := 0
	for part := range strings.SplitSeq(s, ":") {
		n, err := strconv.ParseFloat(part, 64)
		if err != nil || n < 0 {
			return 0
		}
		secs = secs*60 + int(n)
	}
	return secs
}

func atoiPositive(s string) int {
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || n < 0 {
		return 0
	}
	return int(n)
}

// mediaTypes names the types of the files podcasts and video feeds
// attach, for an enclosure whose feed gave none: podcast apps tell audio
// from video by the type, and RSS requires one.
var mediaTypes = map[string]string{
	".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac", ".ogg": "audio/ogg",
	".oga": "audio/ogg", ".opus": "audio/opus", ".wav": "audio/wav", ".flac": "audio/flac",
	".mp4": "video/mp4", ".m4v": "video/x-m4v", ".mov": "video/quicktime", ".webm": "video/webm",
	".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
	".gif": "image/gif", ".webp": "image/webp",
}
