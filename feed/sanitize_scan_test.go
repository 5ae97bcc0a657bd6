package feed

import (
	"bytes"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// The references below are Sanitize and HTMLText as they were before
// nextMarkup's scanners read the common case in place of html.Tokenizer.
// Stored text is hashed to tell edits from re-fetches, and sanitised HTML
// is stored and published: neither may change by a byte.

func htmlTextReference(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return strings.TrimSpace(fragment)
	}
	z := html.NewTokenizer(strings.NewReader(fragment))
	var out bytes.Buffer
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapseParagraphsReference(out.String())
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

// resolveLinksTokenReference is resolveLinks with every tag that may have
// a link rebuilt by html.Token.String.
func resolveLinksTokenReference(fragment, base string) string {
	if !containsFold(fragment, "href") && !containsFold(fragment, "src") {
		return fragment
	}
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
		if (tt == html.StartTagToken || tt == html.SelfClosingTagToken) && hasLink(z.Raw()) {
			tok := z.Token()
			resolveAttrs(&tok, b)
			out.WriteString(tok.String())
			continue
		}
		out.Write(z.Raw())
	}
}

func sanitizeReference(fragment, base string) string {
	if strings.TrimSpace(fragment) == "" {
		return ""
	}
	return strings.TrimSpace(policy().Sanitize(resolveLinksTokenReference(fragment, base)))
}

// scanSeeds are what the scanners must read as the tokenizer does, or
// leave to it: tags cut short, comments of every shape, attributes
// without quotes, repeated, with references, self-closing or not.
var scanSeeds = []string{
	`<a href="/x">x</a`, `text <a href="/x"`, `<p>one</p><`, `a </`, `a </>b`, `a </ b>c`, `</p x="a>b">t`,
	`<!-- c -->t`, `<!---->t`, `<!-->t`, `<!--->t`, `<!-- a --!> b`, `<!-- a --!> b --> c`, `<!-- a --!-- b -->c`, `<!-- open`, `<!doctype html>t`, `<![CDATA[x]]>t`, `<?xml x?>t`,
	`<A HREF=/a/b?c=1&d=2>u</A>`, `<a href='/q?a=1&amp;b=2&#38;c&#x26;d'>q</a>`, `<a href="/q?&copy=1&copy;&ampx;&#128;&#0;&#xD800;">r</a>`,
	`<a href="/one" HREF="/two" title=t TITLE=u>dup</a><a href="/x" title="a&nbsp;b&quot;c&apos;d&#x20AC;">n</a>`, `<p a=/>x</p>`, `<a href=x/>y`, `<br/>z<br />w<img src=i.png/>`, `<a href/=x>h</a><a =href=y>i</a>`,
	"<a\thref\n=\r\n'/x\r\ny'\f>nl</a>\r\ntext\rmore\r\n\r\n", "<a href=\"/a\x00b\">nul</a>\x00", `<a href=" /sp ace ">s</a><a href="">e</a><a href>f</a>`,
	`<script src="/s.js">if (a<b) x("<a href=/y>")</script>after`, `<SCRIPT>x</SCRIPT>y<style>p{}</style>z</script>w`, `<textarea><a href=/t></textarea>`, `<title>t</title><xmp><b></xmp>`, `<plaintext><a href=/p>`,
	`<p>Tom & Jerry &amp; &lt;b&gt; &#39;q&#34; &quot;&apos;&nbsp;&AMP; &ampx; &amp &#65 &#x41; &#X41; &#; &# &#x; &#99999999999;</p>`,
	`<p title="a > b">c</p><p title='d " e'>f</p><p x=a'b"c>g</p>`, `<b>a</b><i>b</i>c<div>d</div>e<LI>f</li>g<H1>h</H1>`,
	`<p>Caf` + "\xe9 \xff\xfe" + `</p><p>` + "\u00a0\u2003" + `</p><br>` + "\xe2\x80<b>\x83</b>", `x < y > z <3 <<p>>`,
	`<img srcset="a.png 2x" src="b.png"><a hreflang=en href="https://abs.example/x">a</a><a xhref=/n>n</a>`,
	`<a href="javascript:alert(1)">j</a><a href="HTTPS://Up.Example/P/../Q">u</a><a href="//proto.example/r">p</a><a href="#frag">f</a><a href="?q">q</a>`,
	`<a href="mailto:x@y.example">m</a><img src="data:image/png;base64,iVBORw0KGgo="><a href="http://[::1">bad</a>`,
	"plain text only", " text & more &amp; &lt;not a tag&gt; 'quoted' \"twice\"\r\nline\rend &copy &notin; &#0; ", "\r\n\r\n", "a\x00b &amp;",
	`<iframe src="/f"></iframe><noscript><a href=/n></noscript><noembed></noembed><noframes></noframes>`,
}

func scanCorpus() []string {
	in := append(append(append([]string{}, htmlSeeds...), scanSeeds...), benchItems(1 << 10)[:4]...)
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 { // pieces of the seeds run together and cut anywhere
		var b strings.Builder
		for range 1 + r.IntN(4) {
			s := scanSeeds[r.IntN(len(scanSeeds))]
			i, j := r.IntN(len(s)+1), r.IntN(len(s)+1)
			b.WriteString(s[min(i, j):max(i, j)])
		}
		in = append(in, b.String())
	}
	return in
}

const scanBase = "https://site.example/news/feed"

func checkScanned(t *testing.T, s string) {
	t.Helper()
	if got, want := collapseParagraphs([]byte(s)), collapseParagraphsReference(s); got != want {
		t.Fatalf("collapseParagraphs(%q) = %q, want %q", s, got, want)
	}
	if got, want := HTMLText(s), htmlTextReference(s); got != want {
		t.Fatalf("HTMLText(%q)\n= %q\nwant %q", s, got, want)
	}
	for _, base := range []string{scanBase, "", "/relative/", "http://%zz/", "mailto:x@site.example"} {
		if got, want := resolveLinks(s, base), resolveLinksTokenReference(s, base); got != want {
			t.Fatalf("resolveLinks(%q, %q)\n= %q\nwant %q", s, base, got, want)
		}
	}
	clean, want := Sanitize(s, scanBase), sanitizeReference(s, scanBase)
	if clean != want {
		t.Fatalf("Sanitize(%q)\n= %q\nwant %q", s, clean, want)
	}
	if got, want := HTMLText(clean), htmlTextReference(clean); got != want {
		t.Fatalf("HTMLText(Sanitize(%q)) = HTMLText(%q)\n= %q\nwant %q", s, clean, got, want)
	}
}

// TestScannersMatchTokenizer: HTMLText, resolveLinks and Sanitize make
// of hostile HTML, raw or sanitised, what the tokenizer versions made.
func TestScannersMatchTokenizer(t *testing.T) {
	for _, s := range scanCorpus() {
		checkScanned(t, s)
	}
}

// TestScannersTakeCommonInput: the scanners, not the tokenizer they fall
// back on, read what feeds send and what Sanitize makes of it; the seeds
// that are no common case do reach the tokenizer.
func TestScannersTakeCommonInput(t *testing.T) {
	var out bytes.Buffer
	for _, s := range append(benchItems(1<<10), benchItems(4<<10)...) {
		for _, in := range []string{s, Sanitize(s, scanBase)} {
			if out.Reset(); !htmlTextScan(&out, in) {
				t.Fatalf("htmlTextScan left %q to the tokenizer", in)
			}
			if out.Reset(); !resolveLinksOK(&out, in) {
				t.Fatalf("resolveLinksScan left %q to the tokenizer", in)
			}
		}
	}
	for _, s := range []string{`<a href="/x">x</a`, `<script>x</script>`, "a\x00b", `<!doctype html>`, `<a href="/?&copy;">c</a>`} {
		if out.Reset(); htmlTextScan(&out, s) && resolveLinksOK(&out, s) {
			t.Errorf("the scanners took %q", s)
		}
	}
}

// FuzzScanners: whatever HTML a feed sends, its sanitised HTML and text
// are what the tokenizer versions made of it.
func FuzzScanners(f *testing.F) {
	for _, s := range scanCorpus() {
		f.Add(s)
	}
	f.Add(strings.Repeat(`<p>long <a href="/l">link</a> &amp; text</p>`, 2000))
	f.Fuzz(checkScanned)
}

// TestSpaceClass: the bytes spaceAt does not decode start no space.
func TestSpaceClass(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.IsSpace(r) {
			continue
		}
		var b [utf8.UTFMax]byte
		utf8.EncodeRune(b[:], r)
		if want := uint8(1 + min(r/utf8.RuneSelf, 1)); spaceClass[b[0]] != want {
			t.Errorf("spaceClass[%#x] = %d, want %d for %U", b[0], spaceClass[b[0]], want, r)
		}
	}
}

func TestWriteEscaped(t *testing.T) {
	for _, s := range append(scanSeeds, "", "a&b'c<d>e\"f\rg", "&&''\r\r") {
		var b bytes.Buffer
		if writeEscaped(&b, s); b.String() != html.EscapeString(s) {
			t.Errorf("writeEscaped(%q) = %q, want %q", s, b.String(), html.EscapeString(s))
		}
	}
}

// TestCollapseParagraphsAllocs: the one copy is the result, for a string
// as for HTMLText's buffer, whatever the length of a word.
func TestCollapseParagraphsAllocs(t *testing.T) {
	s := "a  café\u00a0word\n\n\n" + strings.Repeat("long", 40) + " “quoted” end"
	b := []byte(s)
	if n := testing.AllocsPerRun(100, func() { collapseParagraphs(s) }); n != 1 {
		t.Errorf("collapseParagraphs(string) made %v allocations, want 1", n)
	}
	if n := testing.AllocsPerRun(100, func() { collapseParagraphs(b) }); n != 1 {
		t.Errorf("collapseParagraphs([]byte) made %v allocations, want 1", n)
	}
}

func resolveLinksOK(out *bytes.Buffer, s string) bool {
	_, ok := resolveLinksScan(out, s, scanBase)
	return ok
}

// TestIsBlockTag: the switch is the map, in any case.
func TestIsBlockTag(t *testing.T) {
	names := []string{"", "a", "b", "span", "pre2", "blockquotes", "h7", "Table", "FIGCAPTION", "sEcTiOn"}
	for k := range blockTags {
		names = append(names, k, strings.ToUpper(k), k+"x", k[:len(k)-1])
	}
	for _, n := range names {
		if got, want := isBlockTag(n), blockTags[strings.ToLower(n)]; got != want {
			t.Errorf("isBlockTag(%q) = %v, want %v", n, got, want)
		}
	}
}
