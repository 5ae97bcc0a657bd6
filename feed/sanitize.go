package feed

import (
	"bytes"
	"net/url"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// policy is built once and only read afterwards; bluemonday policies are
// safe for concurrent use.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowDataURIImages()
	p.RequireNoFollowOnLinks(false)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return p
})

// Sanitize makes untrusted HTML safe to republish: no scripts, event
// handlers or javascript: URLs, and relative links resolved against base
// so they still work in a reader.
func Sanitize(fragment, base string) string {
	if strings.TrimSpace(fragment) == "" {
		return ""
	}
	return strings.TrimSpace(policy().Sanitize(resolveLinks(fragment, base)))
}

// resolveLinks rewrites href and src attributes to absolute URLs.
func resolveLinks(fragment, base string) string {
	b, err := url.Parse(base)
	if err != nil || base == "" || !b.IsAbs() {
		return fragment
	}
	z := html.NewTokenizer(strings.NewReader(fragment))
	var out bytes.Buffer
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.String()
		}
		tok := z.Token()
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			for i, a := range tok.Attr {
				if a.Key != "href" && a.Key != "src" {
					continue
				}
				if u, err := b.Parse(strings.TrimSpace(a.Val)); err == nil {
					tok.Attr[i].Val = u.String()
				}
			}
		}
		out.WriteString(tok.String())
	}
}

var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "tr": true,
	"section": true, "article": true, "figcaption": true, "hr": true, "table": true,
}

// HTMLText extracts readable plain text: paragraphs separated by blank
// lines, entities decoded, scripts and styles dropped.
func HTMLText(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return strings.TrimSpace(fragment)
	}
	z := html.NewTokenizer(strings.NewReader(fragment))
	var out strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapseParagraphs(out.String())
		case html.TextToken:
			if skip == 0 {
				out.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if tag == "script" || tag == "style" {
				if z.Token().Type == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			if blockTags[tag] {
				out.WriteString("\n\n")
			}
		}
	}
}

// collapseParagraphs folds runs of spaces within paragraphs and keeps one
// blank line between them.
func collapseParagraphs(s string) string {
	var paras []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}
