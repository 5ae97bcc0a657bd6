package fetch

import (
	"net/url"
	"testing"
)

// resolveReference is resolve as it was, parsing the base at every call.
func resolveReference(base, link string) string {
	if link == "" || base == "" {
		return link
	}
	u, err := url.Parse(base)
	if err != nil {
		return link
	}
	r, err := u.Parse(link)
	if err != nil {
		return link
	}
	return r.String()
}

// TestBaseURLResolve: one baseURL resolving links against changing bases
// (the base of a local file's feed is its own link) gives what parsing
// each base anew gave.
func TestBaseURLResolve(t *testing.T) {
	bases := []string{"https://site.example/news/feed", "", "https://site.example/news/feed", "http://%zz/", "/relative/", "https://other.example/a/b?q#f", "mailto:x@y.example"}
	links := []string{"", "/abs", "rel/x?a=1&b=2", "https://third.example/p", "#frag", "../up", " spaced ", "http://[::1", "%zz", "?q=1"}
	var b baseURL
	for round := range 2 {
		for _, base := range bases {
			for _, link := range links {
				if got, want := b.resolve(base, link), resolveReference(base, link); got != want {
					t.Errorf("round %d: resolve(%q, %q) = %q, want %q", round, base, link, got, want)
				}
			}
		}
	}
}
