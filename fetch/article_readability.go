package fetch

import (
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// artReadabilityMaxElems bounds the pages handed to the readability
// extractor; larger ones (rare for one article) use the plain walker only.
const artReadabilityMaxElems = 30000

// artReadabilityUnits runs the readability extractor (a port of Mozilla's
// Readability.js, what browsers' reader views use) over the parsed page
// and returns the story's blocks as units, or nil when it finds nothing
// worth having. It changes doc, so it runs after everything else has
// read the tree. A panic in the extractor is a bug there, not a reason to
// lose the file: the caller then keeps its own extraction.
func artReadabilityUnits(doc *html.Node) (units []artUnit) {
	defer func() {
		if recover() != nil {
			units = nil
		}
	}()
	// Where the page marks its story with <article> or <main>, look only
	// inside it: readability's habit of adding the candidate's siblings
	// would bring back alert bars and tickers the markup already left out.
	if root := artStoryRoot(doc); root != nil {
		doc = artDocOf(root)
	}
	p := readability.NewParser()
	p.MaxElemsToParse = artReadabilityMaxElems
	p.DisableJSONLD = true // artHTMLHead has read what it needs
	art, err := p.ParseAndMutate(doc, nil)
	if err != nil || art.Node == nil {
		return nil
	}
	w := &artWalker{keep: map[*html.Node]bool{art.Node: true}}
	w.walk(art.Node)
	w.flush()
	for _, u := range w.units {
		if artIsProse(u) && strings.IndexFunc(u.text, artIsWordRune) >= 0 {
			return w.units
		}
	}
	return nil
}

// artStoryRoot is the page's <article>, else its <main>, else nil.
func artStoryRoot(doc *html.Node) *html.Node {
	if n := artFindElem(doc, atom.Article, nil); n != nil {
		return n
	}
	return artFindElem(doc, atom.Main, nil)
}

// artDocOf moves n into a document of its own.
func artDocOf(n *html.Node) *html.Node {
	if n.Parent != nil {
		n.Parent.RemoveChild(n)
	}
	doc := &html.Node{Type: html.DocumentNode}
	htmlEl := &html.Node{Type: html.ElementNode, Data: "html", DataAtom: atom.Html}
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	doc.AppendChild(htmlEl)
	htmlEl.AppendChild(&html.Node{Type: html.ElementNode, Data: "head", DataAtom: atom.Head})
	htmlEl.AppendChild(body)
	body.AppendChild(n)
	return doc
}
