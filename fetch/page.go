package fetch

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// htmlAccept asks for an HTML page (an article, a scrape listing).
const htmlAccept = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

// Page gets an item's web page for a full_content source: the same
// limits, redirects and conditional request as Fetch, no autodiscovery,
// and only where the site's robots.txt allows topicfeed. Errors are *Error.
func (c *Client) Page(ctx context.Context, r Request) (*Response, error) {
	u, err := parseHTTPURL(nil, r.URL)
	if err != nil {
		return nil, &Error{Kind: KindPermanent, URL: redact(r.URL), Err: err}
	}
	rules, err := c.robotsFor(ctx, u)
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			return nil, &Error{Kind: fe.Kind, URL: u.Redacted(), Err: fmt.Errorf("robots.txt: %w", fe)}
		}
		return nil, &Error{Kind: KindTransient, URL: u.Redacted(), Err: fmt.Errorf("robots.txt: %w", err)}
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !rules.Allowed(path) {
		return nil, &Error{Kind: KindPermanent, URL: u.Redacted(), Err: ErrRobots}
	}
	r.Accept = htmlAccept
	return c.get(ctx, r)
}

// ExtractPage reads the article on an HTML page with the extractor used
// for .html article files: its text and its content as simple HTML. name
// (the page's URL) is used in errors. A page that is not HTML, or where
// no story is found, is an error.
func ExtractPage(name string, body []byte, contentType string) (content, text string, err error) {
	if mt, _, perr := mime.ParseMediaType(contentType); perr == nil &&
		mt != "text/html" && mt != "application/xhtml+xml" {
		return "", "", fmt.Errorf("%s: not an HTML page (%s)", name, mt)
	}
	src, err := artDecode(body, artHTML)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", name, err)
	}
	units, meta := artHTMLUnits(src)
	a := artAssemble(units, meta)
	if len(a.body) == 0 || strings.IndexFunc(strings.Join(a.body, " "), artIsWordRune) < 0 {
		return "", "", fmt.Errorf("%s: no article text found", name)
	}
	return artContent(a.body), strings.Join(a.body, "\n\n"), nil
}
