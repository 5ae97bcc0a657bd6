package fetch

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/unicode/utf32"
)

func utf16Bytes(s string, big bool) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if big {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

// TestToUTF8 covers each way a document states or betrays its encoding.
func TestToUTF8(t *testing.T) {
	utf32BEBytes, _ := utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM).NewEncoder().Bytes([]byte(`<?xml version="1.0" encoding="UTF-32"?><a>Ünïcode</a>`))
	tests := []struct {
		name, label string
		in          []byte
		html        bool
		want        string // "" with err
		err         bool
	}{
		{name: "utf-8 with utf-8 declaration", in: []byte(`<?xml version="1.0" encoding="UTF-8"?><a>é</a>`), want: `<?xml version="1.0" encoding="UTF-8"?><a>é</a>`},
		{name: "utf-8 BOM, Latin-1 declared", in: []byte("\xef\xbb\xbf<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>"), want: `<?xml version='1.0' encoding='utf-8'?><a>é</a>`},
		{name: "utf-8 BOM, broken byte", in: []byte("\xef\xbb\xbf<a>\xe9</a>"), want: "<a>\uFFFD</a>"},
		{name: "utf-16LE BOM", in: append([]byte{0xFF, 0xFE}, utf16Bytes(`<?xml version="1.0" encoding="UTF-16"?><a>Łódź</a>`, false)...), want: `<?xml version="1.0" encoding="utf-8"?><a>Łódź</a>`},
		{name: "utf-16BE BOM, astral", in: append([]byte{0xFE, 0xFF}, utf16Bytes(`<a>🚋</a>`, true)...), want: `<a>🚋</a>`},
		{name: "utf-16LE without BOM", in: utf16Bytes(`<?xml version="1.0" encoding="utf-16"?><a>ß</a>`, false), want: `<?xml version="1.0" encoding="utf-8"?><a>ß</a>`},
		{name: "utf-16BE JSON without BOM", in: utf16Bytes(`{"a":"ß"}`, true), want: `{"a":"ß"}`},
		{name: "utf-32BE BOM", in: append([]byte{0, 0, 0xFE, 0xFF}, utf32BEBytes...), want: `<?xml version="1.0" encoding="utf-8"?><a>Ünïcode</a>`},
		{name: "declared Latin-1", in: []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Caf\xe9</a>"), want: `<?xml version="1.0" encoding="utf-8"?><a>Café</a>`},
		{name: "declared Latin-1, really UTF-8", in: []byte(`<?xml version="1.0" encoding="iso-8859-1"?><a>Café</a>`), want: `<?xml version="1.0" encoding="utf-8"?><a>Café</a>`},
		{name: "declared UTF-16, really ASCII", in: []byte(`<?xml version="1.0" encoding="UTF-16"?><a>x</a>`), want: `<?xml version="1.0" encoding="utf-8"?><a>x</a>`},
		{name: "HTTP charset wins over guessing", label: "iso-8859-7", in: []byte("<a>\xe1\xe2\xe3</a>"), want: "<a>αβγ</a>"},
		{name: "HTTP charset wins over the declaration", label: "windows-1251", in: []byte("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>\xcf\xee\xf0\xf2</a>"), want: `<?xml version="1.0" encoding="utf-8"?><a>Порт</a>`},
		{name: "unusable HTTP charset falls to the declaration", label: "utf-8", in: []byte("<?xml version=\"1.0\" encoding=\"iso-8859-2\"?><a>\xa3\xf3d\xbc</a>"), want: `<?xml version="1.0" encoding="utf-8"?><a>Łódź</a>`},
		{name: "unknown label, undeclared Latin-1", label: "x-nonsense", in: []byte("Caf\xe9 cr\xe8me"), want: "Café crème"},
		{name: "mostly UTF-8, one broken byte", in: []byte("Café crème brûlée \xff"), want: "Café crème brûlée \uFFFD"},
		{name: "HTML meta charset", html: true, in: []byte(`<meta charset="iso-8859-2"><p>` + "\xa3\xf3d\xbc"), want: `<meta charset="iso-8859-2"><p>Łódź`},
		{name: "binary", in: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), err: true},
		{name: "NULs in UTF-16 that decode to NULs", in: []byte{0xFF, 0xFE, 'a', 0, 0, 0, 'b', 0}, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toUTF8(tt.in, tt.label, tt.html)
			if tt.err {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestToUTF8FastPath: valid UTF-8 that declares UTF-8 or nothing is not
// copied.
func TestToUTF8FastPath(t *testing.T) {
	for _, doc := range []string{rssWith("<item><title>é</title></item>"), `{"version":"https://jsonfeed.org/version/1"}`} {
		in := []byte(doc)
		out, err := toUTF8(in, "", false)
		if err != nil || &out[0] != &in[0] || len(out) != len(in) {
			t.Errorf("%.30q copied or changed", doc)
		}
	}
}

// TestParseFileDetection: what a document is comes from parsing its
// start, with the extension deciding only what is not a feed.
func TestParseFileDetection(t *testing.T) {
	const article = "The tram depot opened its doors" // an article's text starts so
	body := "\n\nThe tram depot opened its doors on Sunday and hundreds of visitors rode the restored cars along the harbour line.\n"
	tests := []struct {
		name, doc string
		err       string // the start of the error after "NAME: "; "" when accepted
		title     string // the first item's
		text      string // or the start of its text, for an article
		isFeed    bool
	}{
		{name: "plain.json", doc: `{"title":"x","items":[{"title":"y"}]}`, err: "not a feed: JSON without a jsonfeed.org version"},
		{name: "-", doc: `{"version":2,"items":[]}`, err: "not a feed: JSON without a jsonfeed.org version"},
		{name: "array.json", doc: `[{"title":"x"}]`, err: "not a feed: JSON without a jsonfeed.org version"},
		{name: "broken.json", doc: `{"version":"https://jsonfeed.org/version/1", "items": [}`, err: "not a feed: invalid JSON: invalid character '}' looking for beginning of value"},
		{name: "mistyped.json", doc: `{"version":"https://jsonfeed.org/version/1","items":{}}`, err: "not a feed: json: cannot unmarshal object into Go struct field"},
		{name: "feed.txt", doc: `{"version":"http://jsonfeed.org/version/1","items":[{"id":"1","title":"From a .txt","url":"https://x.example/1"}]}`, title: "From a .txt", isFeed: true},
		{name: "notes.txt", doc: `{"title":"Tram depot open day"}` + body, text: article},
		{name: "-", doc: "{Draft} Tram depot open day" + body, text: article},
		{name: "utf16.txt", doc: string(append([]byte{0xFF, 0xFE}, utf16Bytes("Tram Depot Open Day"+body, false)...)), title: "Tram Depot Open Day"},
		{name: "page.xml", doc: "<!DOCTYPE html><html><body><h1>Tram depot open day</h1><p>" + body + "</p></body></html>", title: "Tram depot open day"},
		{name: "frag.htm", doc: "<h1>Tram depot open day</h1><p>" + body + "</p>", title: "Tram depot open day"},
		{name: "rdf.xml", doc: `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://x.example/"><title>t</title><link>https://x.example/</link></channel>` +
			`<item rdf:about="https://x.example/1"><title>RDF item</title><link>https://x.example/1</link></item></rdf:RDF>`, title: "RDF item", isFeed: true},
		{name: "late.rss", doc: "<!-- " + strings.Repeat("a long licence header ", 200) + " -->\n<rss version=\"2.0\"><channel><title>t</title><item><title>After the comment</title><link>https://x.example/1</link></item></channel></rss>", title: "After the comment", isFeed: true},
		{name: "opml.xml", doc: `<?xml version="1.0"?><opml version="2.0"><body/></opml>`, err: "not a feed: XML root <opml> is not RSS, Atom or RDF"},
		{name: "-", doc: `<config><x>1</x></config>`, err: "not a feed: XML root <config> is not RSS, Atom or RDF"},
		{name: "notes.txt", doc: `<config>Tram depot open day</config>` + body, text: article},
		{name: "broken.xml", doc: `<?xml version="1.0"?><!-- x --><<rss>`, err: "not a feed: XML syntax error on line 1: expected element name after <"},
		{name: "-", doc: "<3 trams" + body, text: article},
		{name: "close.xml", doc: `<?xml version="1.0"?></rss>`, err: "not a feed: XML syntax error: end tag </rss> before any element"},
		{name: "bin.xml", doc: "<rss>\x00\x00\x00\x00", err: "not a text file (binary data)"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.doc[:min(len(tt.doc), 20)], func(t *testing.T) {
			items, isFeed, _, err := parseFile(tt.name, []byte(tt.doc), time.Time{})
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.name+": "+tt.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want %q; items %+v", err, tt.name+": "+tt.err, items)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.text != "" {
				if isFeed || len(items) != 1 || !strings.HasPrefix(items[0].Text, tt.text) {
					t.Errorf("isFeed %v, items %+v; want an article with text %q…", isFeed, items, tt.text)
				}
				return
			}
			if len(items) == 0 || items[0].Title != tt.title || isFeed != tt.isFeed {
				t.Errorf("isFeed %v, items %+v; want feed %v, title %q", isFeed, items, tt.isFeed, tt.title)
			}
		})
	}
}

// TestTitleMarkup: which titles are read as HTML.
func TestTitleMarkup(t *testing.T) {
	for s, want := range map[string]bool{
		"Vec<T> and Option<T>":       false,
		"Option<B> or Result<I, E>":  false,
		"a <i and b>":                false,
		"x <b/> y":                   false,
		"Hi <b>there</b>":            true,
		"Hi <B>there</B>":            true,
		`See <a href="/x">this</a>`:  true,
		"Line<br>break":              true,
		"<em>Note:</em> x":           true,
		"<span class=x>y</span>":     true,
		"<strong>unclosed":           false,
		"5 < 6 and 7 > 3":            false,
		"<code>Vec&lt;T&gt;</code>":  true,
		"<customtag>x</customtag>":   false,
		"Vec<Value> and more":        false,
		"trailing <":                 false,
		"<a":                         false,
		"<i am a title, honestly>":   false,
		"<img src=x.png>":            true,
		"The <img> tag":              false,
		"the <title> element":        false,
		"Hi <script>x()</script>":    true,
		"a <wbr>b":                   true,
		"Q&A <sup>2</sup> and more.": true,
	} {
		if got := hasHTMLMarkup(s); got != want {
			t.Errorf("hasHTMLMarkup(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{"AT&amp;T": true, "&#233;": true, "Q&A": false, "a & b; c": false, "&": false, "x&y;": true} {
		if got := hasEntity(s); got != want {
			t.Errorf("hasEntity(%q) = %v, want %v", s, got, want)
		}
	}
	for in, want := range map[string]string{" a  b\n c ": "a b c", "plain": "plain", "no\u00a0break": "no break"} {
		if got := oneLineText(in); got != want {
			t.Errorf("oneLineText(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAtomTitleTypes: types are read per entry, and a count that does not
// match gofeed's makes every type unknown rather than misattributed.
func TestAtomTitleTypes(t *testing.T) {
	doc := []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">feed</title>` +
		`<entry><title type="html">a</title></entry><entry><source><title type="html">s</title></source><title>b</title></entry>` +
		`<entry><title type="xhtml"><div>c</div></title></entry><entry/></feed>`)
	got := atomTitleTypes(doc, 4)
	want := []int8{titleHTML, titleText, titleHTML, titleText}
	if !bytes.Equal(i8(got), i8(want)) {
		t.Errorf("types = %v, want %v", got, want)
	}
	if got := atomTitleTypes(doc, 5); !bytes.Equal(i8(got), make([]byte, 5)) {
		t.Errorf("mismatched count: types = %v, want all unknown", got)
	}
}

func i8(s []int8) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(v)
	}
	return b
}

// TestTitleMarkupLinear: a title of a million unclosed tags is judged in
// linear time (a quadratic scan would not finish).
func TestTitleMarkupLinear(t *testing.T) {
	for _, s := range []string{strings.Repeat("<b>", 300_000), strings.Repeat("<a x ", 200_000) + ">", strings.Repeat("<span>x", 150_000)} {
		start := time.Now()
		if hasHTMLMarkup(s) {
			t.Errorf("%.20q… is markup", s)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%.20q… took %v", s, d)
		}
	}
}
