package feed

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestOPMLRoundTrip(t *testing.T) {
	in := []Outline{
		{Title: "Dawn", Text: "Dawn", Type: "rss", XMLURL: "https://www.dawn.com/feeds/home", HTMLURL: "https://www.dawn.com/"},
		{Text: "Science", Children: []Outline{
			{Title: "Launches & landings", Type: "rss", XMLURL: "https://example.org/launches.atom?a=1&b=2"},
			{Text: "Deeper", Children: []Outline{{Text: "Wires <raw>", Type: "rss", XMLURL: "https://example.org/wires.rss"}}},
		}},
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, "topicfeed sources", in); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<opml version="2.0">`) {
		t.Errorf("not OPML 2.0:\n%s", buf.String())
	}
	got, err := ReadOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// Writing fills an empty text from the title, as OPML requires text.
	in[1].Children[0].Text = in[1].Children[0].Title
	if !reflect.DeepEqual(got, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
	}
}

func TestReadOPML(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []Outline
		wantErr string
	}{
		{
			name: "opml 1.0 lower-case attributes",
			doc:  `<?xml version="1.0"?><opml version="1.0"><head/><body><outline text="A" xmlurl=" http://a.example/feed " htmlurl="http://a.example/"/></body></opml>`,
			want: []Outline{{Text: "A", XMLURL: "http://a.example/feed", HTMLURL: "http://a.example/"}},
		},
		{
			name: "latin-1 declared",
			doc:  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml version=\"2.0\"><body><outline text=\"Caf\xe9\" type=\"rss\" xmlUrl=\"http://c.example/\"/></body></opml>",
			want: []Outline{{Text: "Café", Type: "rss", XMLURL: "http://c.example/"}},
		},
		{
			name: "empty body",
			doc:  `<opml version="2.0"><head><title>x</title></head><body></body></opml>`,
			want: []Outline{},
		},
		{name: "rss is not opml", doc: `<rss version="2.0"><channel/></rss>`, wantErr: "not an OPML document"},
		{name: "truncated", doc: `<opml version="2.0"><body><outline text="a"`, wantErr: "read opml"},
		{
			name:    "too deep",
			doc:     "<opml><body>" + strings.Repeat("<outline text='x'>", 40) + strings.Repeat("</outline>", 40) + "</body></opml>",
			wantErr: "nested deeper",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadOPML(strings.NewReader(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := ReadOPML(strings.NewReader(`<rss/>`)); !errors.Is(err, ErrNotOPML) {
		t.Errorf("rss root: err %v, want ErrNotOPML", err)
	}
}
