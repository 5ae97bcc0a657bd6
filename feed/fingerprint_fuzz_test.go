package feed

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"https://WWW.HarbourPost.example:443/world/china-brazil-soybean-deal?utm_source=rss&utm_medium=feed#top",
		"http://example.com", "http://[2001:db8::1]:80/x?b=2&a=1&b=1", "https://user:pw@example.com:8443/%7e/a%2fb?q=%c3%a9&fbclid=1",
		"https://b\u00fccher.example/caf\u00e9?x=1+2&ref=x", "http://[fe80::1%25eth0]/", "http://[::%25]", "http://%25", "/relative", "ftp://example.com/",
		"http://example.com/a?q=100%&&", "HTTP://EXAMPLE.COM:0080/?UTM_x=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CanonicalURL(in)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(in)) {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		again, err := CanonicalURL(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, got, again, err)
		}
		u, err := url.Parse(got)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.User != nil {
			t.Fatalf("%q -> %q: not an absolute http(s) URL (%v)", in, got, err)
		}
		for part := range strings.SplitSeq(u.RawQuery, "&") {
			key, _, _ := strings.Cut(part, "=")
			if k, err := url.QueryUnescape(key); err == nil && isTrackingParam(k) {
				t.Fatalf("%q -> %q: tracking parameter %q left", in, got, k)
			}
		}
	})
}
