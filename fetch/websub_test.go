package fetch

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestFeedHub(t *testing.T) {
	cases := []struct {
		name, doc, hub, self string
	}{
		{"atom", `<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://hub.example/"/>
			<link rel="self" href="https://a.example/feed"/><entry><link rel="hub" href="https://late.example/"/></entry></feed>`,
			"https://hub.example/", "https://a.example/feed"},
		{"rss atom:link", `<?xml version="1.0" encoding="ISO-8859-1"?><rss xmlns:atom="http://www.w3.org/2005/Atom"><channel>
			<atom:link rel='self' href='https://b.example/rss'/><atom:link rel='hub' href='https://pubsubhubbub.appspot.com/'/>
			<title>&eacute;</title><item><title>x</title></item></channel></rss>`,
			"https://pubsubhubbub.appspot.com/", "https://b.example/rss"},
		{"json", `{"version":"https://jsonfeed.org/version/1.1","feed_url":"https://c.example/f.json",
			"hubs":[{"type":"WebSub","url":"https://hub.example/j"}],"items":[]}`, "https://hub.example/j", "https://c.example/f.json"},
		{"hub without self", `<feed><link rel="hub" href="https://hub.example/"/></feed>`, "", ""},
		{"relative hub", `<feed><link rel="hub" href="/hub"/><link rel="self" href="https://a.example/f"/></feed>`, "", ""},
		{"hub after entries", `<feed><link rel="self" href="https://a.example/f"/><entry/><link rel="hub" href="https://h.example/"/></feed>`, "", ""},
		{"no hub", `<rss><channel><link>https://github.com/x</link></channel></rss>`, "", ""},
	}
	for _, c := range cases {
		hub, self := FeedHub([]byte(c.doc))
		if hub != c.hub || self != c.self {
			t.Errorf("%s: got %q %q, want %q %q", c.name, hub, self, c.hub, c.self)
		}
	}
}

func FuzzFeedHub(f *testing.F) {
	f.Add([]byte(`<feed><link rel="hub" href="https://h.example/"/><link rel="self" href="https://s.example/"/></feed>`))
	f.Add([]byte(`{"feed_url":"https://s.example/","hubs":[{"type":"websub","url":"https://h.example/"}]}`))
	f.Add([]byte(`<rss><channel><atom:link rel="hub" href="javascript:x"/></channel></rss>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		hub, self := FeedHub(doc)
		if (hub == "") != (self == "") {
			t.Fatalf("one of hub %q and self %q", hub, self)
		}
		for _, s := range []string{hub, self} {
			if s == "" {
				continue
			}
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("not an absolute http(s) URL: %q", s)
			}
		}
	})
}

func TestPostNamesStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.FormValue("hub.mode") != "subscribe" {
			t.Errorf("%s %v", r.Method, r.Form)
		}
		http.Error(w, "topic not allowed", http.StatusForbidden)
	}))
	defer srv.Close()
	err := NewClient(Options{AllowPrivate: true}).Post(t.Context(), srv.URL+"/hub", url.Values{"hub.mode": {"subscribe"}})
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "topic not allowed") {
		t.Errorf("err = %v", err)
	}
	err = NewClient(Options{}).Post(t.Context(), srv.URL+"/hub", nil)
	if err == nil {
		t.Error("an untrusted client posted to a loopback hub")
	}
}
