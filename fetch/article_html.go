package fetch

import (
	"regexp"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var (
	artLDDateRe = regexp.MustCompile(`"datePublished"\s*:\s*"([^"]+)"`)
	// Elements that never hold story text.
	artSkipTags = artWordSet("script|style|noscript|template|svg|math|iframe|object|embed|canvas|form|" +
		"button|select|input|textarea|label|nav|aside|footer|header|dialog|menu|head")
	artSkipRoles = artWordSet("navigation|banner|contentinfo|complementary|search|dialog|menu|menubar")
	// class/id words of page furniture ("share-bar", "comments", "topbar").
	artSkipClasses = artWordSet("share|sharing|social|comment|comments|respond|reply|newsletter|subscribe|" +
		"subscription|related|sidebar|widget|advert|advertisement|ad|ads|promo|sponsored|menu|nav|navbar|" +
		"navigation|breadcrumb|breadcrumbs|skip|topbar|cookie|cookies|banner|popup|modal|footer|header|" +
		"masthead|brand|logo|toolbar|pagination|signup|paywall|outbrain|taboola")
	artBlockTags = artWordSet("p|div|section|article|main|h1|h2|h3|h4|h5|h6|li|ul|ol|dl|dt|dd|" +
		"blockquote|pre|figure|figcaption|table|tr|td|th|caption|address|hr|details|summary|center|body|html")
)

// artHTMLUnits extracts the story from an HTML page: the <article> (else
// <main>, else <body>) minus scripts, styles, navigation, asides, headers,
// footers and elements whose class or id marks them as page furniture.
func artHTMLUnits(src string) ([]artUnit, artMeta) {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return artTextUnits(src, false), artMeta{}
	}
	meta, pageTitle := artHTMLHead(doc)
	root := artFindElem(doc, atom.Article, nil)
	if root == nil {
		root = artFindElem(doc, atom.Main, nil)
	}
	if root == nil {
		root = doc
	}
	// The headline may sit in a <header>, which is otherwise furniture.
	h1 := artFindElem(root, atom.H1, artSkipNoH1)
	if h1 == nil {
		h1 = artFindElem(doc, atom.H1, artSkipNoH1)
	}
	w := &artWalker{keep: map[*html.Node]bool{root: true}}
	for n := h1; n != nil; n = n.Parent {
		w.keep[n] = true
	}
	w.walk(root)
	w.flush()
	if h1 != nil {
		meta.title = artClean(artNodeText(h1))
	}
	if meta.title == "" {
		meta.title = pageTitle
	}
	meta.date = artOrTime(w.date, meta.date)
	// The readability extractor picks the story's container as a reader
	// view does; the walker above stays the fallback when it finds none.
	if artUseReadability {
		if units := artReadabilityUnits(doc); units != nil && (root == doc || artCovers(units, w.units)) {
			// It drops bylines and meta boxes, where a page may print its
			// only date.
			if meta.date.IsZero() {
				meta.date = artUnitsDate(w.units)
			}
			return units, meta
		}
	}
	return w.units, meta
}

// artCovers reports whether units hold at least two thirds of the
// running text in ref: where the page marks its story, readability must
// not lose paragraphs the markup puts in it.
func artCovers(units, ref []artUnit) bool {
	have := make(map[string]bool, len(units))
	var b strings.Builder
	for _, u := range units {
		have[u.text] = true
		b.WriteString(u.text)
		b.WriteByte('\n')
	}
	got := b.String()
	total, missing, budget := 0, 0, 1<<22 // bytes of substring search, then exact matches only
	for _, u := range ref {
		n := len(u.text)
		if n < 100 || !artIsProse(u) {
			continue
		}
		total += n
		if have[u.text] {
			continue
		}
		if budget -= len(got); budget < 0 || !strings.Contains(got, u.text) {
			missing += n
		}
	}
	return 3*missing <= total
}

// artUnitsDate is the first date of a byline or date line among units.
func artUnitsDate(units []artUnit) time.Time {
	for _, u := range units {
		if u.heading > 0 {
			continue
		}
		if _, d, ok := artByline(u.text); ok && !d.IsZero() {
			return d
		}
		if d, ok := artDateLine(u.text); ok {
			return d
		}
	}
	return time.Time{}
}

// artUseReadability switches the readability extractor on; tests turn it
// off to measure what it adds.
var artUseReadability = true

// artHTMLHead reads what the page states about itself: canonical link,
// og:url, titles, author and publication date.
func artHTMLHead(doc *html.Node) (artMeta, string) {
	var meta artMeta
	var title, ogTitle, ogURL string
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Title:
				title = artOr(title, artClean(artNodeText(n)))
			case atom.Link:
				if artHasWord(artAttr(n, "rel"), "canonical") {
					meta.url = artOr(meta.url, strings.TrimSpace(artAttr(n, "href")))
				}
			case atom.Meta:
				key := strings.ToLower(artOr(artAttr(n, "property"), artOr(artAttr(n, "name"), artAttr(n, "itemprop"))))
				val := strings.TrimSpace(artAttr(n, "content"))
				switch key {
				case "og:url":
					ogURL = artOr(ogURL, val)
				case "og:title":
					ogTitle = artOr(ogTitle, artClean(val))
				case "author", "article:author":
					if !strings.Contains(val, "://") {
						meta.author = artOr(meta.author, artClean(val))
					}
				case "article:published_time", "og:published_time", "datepublished", "date", "pubdate",
					"dc.date", "dc.date.issued", "publish-date":
					if m, ok := artFindDate(val); ok && meta.date.IsZero() {
						meta.date = m.t
					}
				case "article:tag":
					meta.tags = append(meta.tags, artClean(val))
				}
			case atom.Script:
				if m := artLDDateRe.FindStringSubmatch(artNodeText(n)); m != nil && meta.date.IsZero() {
					if d, ok := artFindDate(m[1]); ok {
						meta.date = d.t
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
	meta.url = artOr(meta.url, ogURL)
	return meta, artOr(ogTitle, artTrimSiteName(title))
}

// artTrimSiteName drops a " | Site" or " - Site" suffix from a <title>.
func artTrimSiteName(t string) string {
	for _, sep := range []string{" | ", " – ", " — ", " - "} {
		if i := strings.LastIndex(t, sep); i > 0 {
			head, site := t[:i], t[i+len(sep):]
			if len(strings.Fields(site)) <= 4 && len(strings.Fields(head)) >= 3 {
				return head
			}
		}
	}
	return t
}

// artWalker turns the kept part of the tree into units, one per block.
type artWalker struct {
	keep    map[*html.Node]bool // never skipped: the root and the headline's ancestors
	units   []artUnit
	buf     strings.Builder
	heading int
	list    bool
	date    time.Time
	// How much of the block's text sits inside <em>/<i> and inside <a>,
	// to tell a block wholly in emphasis, or wholly one link.
	emphDepth, linkDepth int
	plain, emph, linked  int
}

func (w *artWalker) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.buf.WriteString(n.Data)
		if k := len(strings.TrimSpace(n.Data)); k > 0 {
			w.plain += k
			if w.emphDepth > 0 {
				w.emph += k
			}
			if w.linkDepth > 0 {
				w.linked += k
			}
		}
		return
	case html.ElementNode:
		if !w.keep[n] && artSkipElem(n) {
			return
		}
	case html.DocumentNode:
	default:
		return
	}
	if n.DataAtom == atom.Time && w.date.IsZero() {
		if m, ok := artFindDate(artOr(artAttr(n, "datetime"), artNodeText(n))); ok {
			w.date = m.t
		}
	}
	if n.DataAtom == atom.Br {
		w.flush()
		return
	}
	block := n.Type == html.ElementNode && artBlockTags[n.Data]
	if block {
		w.flush()
	}
	saveH, saveL := w.heading, w.list
	if lvl := artHeadingLevel(n); lvl > 0 {
		w.heading = lvl
	}
	if n.DataAtom == atom.Li {
		w.list = true
	}
	emph := n.DataAtom == atom.Em || n.DataAtom == atom.I
	if emph {
		w.emphDepth++
	}
	if n.DataAtom == atom.A {
		w.linkDepth++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	if emph {
		w.emphDepth--
	}
	if n.DataAtom == atom.A {
		w.linkDepth--
	}
	if block {
		w.flush()
	}
	w.heading, w.list = saveH, saveL
}

func (w *artWalker) flush() {
	if t := artClean(w.buf.String()); t != "" {
		w.units = append(w.units, artUnit{text: t, heading: w.heading, list: w.list,
			emph: w.emph == w.plain, link: w.linked == w.plain})
	}
	w.buf.Reset()
	w.plain, w.emph, w.linked = 0, 0, 0
}

func artHeadingLevel(n *html.Node) int {
	switch n.DataAtom {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

// artSkipElem reports elements that are page furniture, not story.
func artSkipElem(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if artSkipTags[n.Data] || artSkipRoles[strings.ToLower(artAttr(n, "role"))] {
		return true
	}
	if artHasAttr(n, "hidden") || strings.EqualFold(artAttr(n, "aria-hidden"), "true") {
		return true
	}
	words := strings.FieldsFunc(strings.ToLower(artAttr(n, "class")+" "+artAttr(n, "id")), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '\t' || r == '\n'
	})
	for _, c := range words {
		if artSkipClasses[c] {
			return true
		}
	}
	return false
}

// artSkipNoH1 reports elements where a headline is never looked for.
func artSkipNoH1(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Nav, atom.Aside, atom.Footer, atom.Script, atom.Style, atom.Template, atom.Form:
		return true
	}
	return false
}

// artFindElem returns the first element a in the tree under n, not looking
// inside elements for which skip is true.
func artFindElem(n *html.Node, a atom.Atom, skip func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	if skip != nil && skip(n) {
		return nil
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := artFindElem(c, a, skip); f != nil {
			return f
		}
	}
	return nil
}

func artNodeText(n *html.Node) string {
	var b strings.Builder
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(n)
	return b.String()
}

func artAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func artHasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func artHasWord(list, word string) bool {
	for _, w := range strings.Fields(strings.ToLower(list)) {
		if w == word {
			return true
		}
	}
	return false
}
