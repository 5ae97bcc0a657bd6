package fetch

import (
	"bytes"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// feedLinkTypes are the <link type> values that announce a feed.
var feedLinkTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/json":      true,
}

// Discover returns the feed URLs an HTML page announces with
// <link rel="alternate" type="application/rss+xml" href="…"> (or Atom, JSON
// Feed), in document order, resolved against pageURL and the page's
// <base href>, without duplicates. A page without such links gives an empty
// list and no error; an error means pageURL or the page could not be parsed.
func Discover(page []byte, pageURL string) ([]string, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("page URL: %w", err)
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("parse HTML: %w", err)
	}
	if href, ok := baseHref(doc); ok {
		if b, err := base.Parse(href); err == nil {
			base = b
		}
	}
	var links []string
	seen := make(map[string]bool)
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom != atom.Link || !isFeedLink(n) {
			continue
		}
		href, _ := attr(n, "href")
		u, err := base.Parse(strings.TrimSpace(href))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		u.Fragment = ""
		if s := u.String(); !seen[s] {
			seen[s] = true
			links = append(links, s)
		}
	}
	return links, nil
}

// baseHref returns the href of the first <base> element that has one, which
// by the HTML standard applies to the whole document wherever it stands.
func baseHref(doc *html.Node) (string, bool) {
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.Base {
			if href, ok := attr(n, "href"); ok {
				return strings.TrimSpace(href), true
			}
		}
	}
	return "", false
}

func isFeedLink(n *html.Node) bool {
	rel, _ := attr(n, "rel")
	typ, _ := attr(n, "type")
	href, _ := attr(n, "href")
	if strings.TrimSpace(href) == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(typ)
	if err != nil || !feedLinkTypes[mt] {
		return false
	}
	for tok := range strings.FieldsSeq(rel) {
		if strings.EqualFold(tok, "alternate") {
			return true
		}
	}
	return false
}

// attr returns an attribute's value; the parser has lower-cased the names.
func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// looksLikeHTML reports whether a response is an HTML page rather than a feed:
// the start of the body decides when it is clear (an <rss>, <feed> or
// <rdf:RDF> root or a JSON object is a feed whatever the Content-Type says;
// an HTML doctype or <html> root is a page), otherwise the Content-Type does.
func looksLikeHTML(contentType string, body []byte) bool {
	switch sniffRoot(body) {
	case "rss", "feed", "rdf:rdf", "{":
		return false
	case "html":
		return true
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// sniffRoot returns the lower-cased name of the first element in the first
// 1 KiB of body, after any BOM, XML declaration, processing instructions and
// comments; "html" for an HTML doctype; "{" for a JSON object; "" otherwise.
func sniffRoot(body []byte) string {
	b := bytes.TrimPrefix(body[:min(len(body), 1024)], []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case len(b) > 0 && b[0] == '{':
			return "{"
		case hasPrefixFold(b, "<!doctype"):
			if hasPrefixFold(bytes.TrimLeft(b[9:], " \t\r\n"), "html") {
				return "html"
			}
			b = skipPast(b, ">")
		case bytes.HasPrefix(b, []byte("<!--")):
			b = skipPast(b, "-->")
		case bytes.HasPrefix(b, []byte("<?")):
			b = skipPast(b, "?>")
		case len(b) > 1 && b[0] == '<':
			end := bytes.IndexAny(b[1:], " \t\r\n/>")
			if end < 0 {
				return ""
			}
			return strings.ToLower(string(b[1 : 1+end]))
		default:
			return ""
		}
	}
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// skipPast returns b after the first occurrence of sep, or nothing.
func skipPast(b []byte, sep string) []byte {
	if i := bytes.Index(b, []byte(sep)); i >= 0 {
		return b[i+len(sep):]
	}
	return nil
}
