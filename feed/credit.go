package feed

import (
	"html"
	"net/url"
	"strings"
)

// credits are the sites to credit for it, first copy first: the store's
// Credits, or for an item built without them, its source names.
func credits(it *Item) []Credit {
	if len(it.Credits) > 0 {
		return it.Credits
	}
	out := make([]Credit, 0, len(it.Sources))
	for i, s := range it.Sources {
		c := Credit{Site: Site{Name: s}}
		if i == 0 {
			c.Link = it.URL
		}
		out = append(out, c)
	}
	return out
}

// creditHTML is what a merged story says about the sites that carried it,
// at the end of its content: the first, then every other, each linked to
// its own copy. A story from one site says nothing here; its feed entry's
// source element names the site.
func creditHTML(cs []Credit) string {
	if len(cs) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<p><small>From ")
	creditLink(&b, cs[0])
	b.WriteString("; also reported by ")
	for i, c := range cs[1:] {
		switch {
		case i > 0 && i == len(cs)-2:
			b.WriteString(" and ")
		case i > 0:
			b.WriteString(", ")
		}
		creditLink(&b, c)
	}
	b.WriteString(".</small></p>")
	return b.String()
}

func creditLink(b *strings.Builder, c Credit) {
	name := html.EscapeString(c.Name)
	if !isWebURL(c.Link) {
		b.WriteString(name)
		return
	}
	b.WriteString(`<a href="` + html.EscapeString(c.Link) + `">` + name + "</a>")
}

// sourceFeed is the feed to name as a credit's source: the feed it came
// in, else the site's home page; "" when neither is on the web.
func sourceFeed(c Credit) string {
	for _, u := range [...]string{c.Feed, c.URL} {
		if isWebURL(u) {
			return u
		}
	}
	return ""
}

// isWebURL reports whether s is an absolute http(s) URL, which a reader
// can follow: file:// paths of local sources are never published.
func isWebURL(s string) bool {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Host != ""
}
