package feed

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// The reference implementations below are the plain ones the fast paths
// replaced (resolving one tag's links is shared: what changed is which
// tokens are rebuilt). Stored text is hashed to tell edits from re-fetches, so what
// an entry becomes must not change with them.

func collapseParagraphsReference(s string) string {
	var paras []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}

func resolveLinksReference(fragment, base string) string {
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
			resolveAttrs(&tok, b)
		}
		out.WriteString(tok.String())
	}
}

var htmlSeeds = []string{
	"",
	"plain words",
	"<p>One  two\tthree</p>\n\n<p>Four</p>",
	"a\n\n\nb\n\n\n\nc \n \n d",
	"x\u00a0y\u2003z\u0085w",
	"<P><A HREF='/up'>Up</A> <IMG SRC=pic.png> <a href=\" rel/x?a=1&amp;b=2 \">r</a></P>",
	`<a title="href" class=src>no link</a><script>var src="/x"</script><style>p{}</style>`,
	"<div>Caf\xe9 \xff bytes</div><br/>tail",
	"<pre>line one\n\nline two</pre><p>&amp; &lt;tag&gt; &nbsp;</p>",
	`<img src="data:image/png;base64,iVBORw0KGgo="><a href="javascript:alert(1)">j</a><a href="https://other.example/abs">abs</a>`,
	"<p>unclosed <b>bold <i>both</p> after",
	"<!-- <a href=/c> --> <![CDATA[ <a href=/d> ]]> text",
}

func TestCollapseParagraphs(t *testing.T) {
	for _, s := range htmlSeeds {
		if got, want := collapseParagraphs(s), collapseParagraphsReference(s); got != want {
			t.Errorf("collapseParagraphs(%q) = %q, want %q", s, got, want)
		}
	}
	if got := collapseParagraphs(" a  b \n\n\n c\n\n"); got != "a b\n\nc" {
		t.Errorf("got %q", got)
	}
}

// TestResolveLinks: relative links and images become absolute, in any
// case of tag or attribute; what has no link passes through.
func TestResolveLinks(t *testing.T) {
	base := "https://site.example/news/feed"
	got := Sanitize(`<P><A HREF='/up'>Up</A> <IMG SRC=pic.png alt=p> <a href=" rel/x?a=1&amp;b=2 ">r</a></P>`, base)
	for _, want := range []string{`href="https://site.example/up"`, `src="https://site.example/news/pic.png"`,
		`href="https://site.example/news/rel/x?a=1&amp;b=2"`} {
		if !strings.Contains(got, want) {
			t.Errorf("Sanitize = %s\nwant it to contain %s", got, want)
		}
	}
	plain := "<p>No links <b>here</b>.</p>"
	if got := resolveLinks(plain, base); got != plain {
		t.Errorf("resolveLinks(%q) = %q, want it unchanged", plain, got)
	}
}

// FuzzSanitizeText: whatever HTML a feed sends, the text stored for it is
// what the reference implementations make of it.
func FuzzSanitizeText(f *testing.F) {
	for _, s := range htmlSeeds {
		f.Add(s)
	}
	const base = "https://site.example/news/feed"
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := collapseParagraphs(s), collapseParagraphsReference(s); got != want {
			t.Fatalf("collapseParagraphs(%q) = %q, want %q", s, got, want)
		}
		ref := strings.TrimSpace(policy().Sanitize(resolveLinksReference(s, base)))
		got := Sanitize(s, base)
		if strings.TrimSpace(s) == "" {
			return
		}
		if HTMLText(got) != HTMLText(ref) {
			t.Fatalf("text of Sanitize(%q)\n= %q\nwant %q\n(html %q, reference %q)", s, HTMLText(got), HTMLText(ref), got, ref)
		}
	})
}

// TestSanitizePooledBuffers checks Sanitize, which writes through reused
// buffers, against the policy applied to resolveLinks's string, call after
// call, hostile input among them: nothing of one call reaches the next.
func TestSanitizePooledBuffers(t *testing.T) {
	const base = "https://site.example/blog/"
	frags := []string{
		`<p onclick="x()">one <a href="/a">link</a><script>alert(1)</script></p>`,
		`<img src="javascript:alert(1)"><a href="javascript:alert(2)">x</a>`,
		"plain text, no markup",
		`<iframe src="https://evil.example/"></iframe><p>after</p>`,
		`<a href="rel">r</a>` + strings.Repeat("<b>long</b> ", 2000),
		"   ",
		`<style>p{}</style><p style="color:red">styled</p>`,
		`<p>short</p>`,
	}
	for round := range 3 {
		for _, f := range frags {
			want := ""
			if strings.TrimSpace(f) != "" {
				want = strings.TrimSpace(policy().Sanitize(resolveLinks(f, base)))
			}
			if got := Sanitize(f, base); got != want {
				t.Fatalf("round %d: Sanitize(%.60q) = %.80q, want %.80q", round, f, got, want)
			}
			if got := Sanitize(f, base); strings.Contains(got, "<script") || strings.Contains(got, "javascript:") || strings.Contains(got, "onclick") {
				t.Fatalf("Sanitize(%.60q) kept something hostile: %.80q", f, got)
			}
		}
	}
}
