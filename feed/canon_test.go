package feed

import (
	"strconv"
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "already canonical", in: "https://example.com/a/b?x=1", want: "https://example.com/a/b?x=1"},
		{name: "scheme and host case", in: "HTTPS://WWW.Example.COM/Path", want: "https://www.example.com/Path"},
		{name: "path case kept", in: "http://example.com/CamelCase/ID", want: "http://example.com/CamelCase/ID"},
		{name: "empty path", in: "http://example.com", want: "http://example.com/"},
		{name: "http default port", in: "http://example.com:80/a", want: "http://example.com/a"},
		{name: "https default port", in: "https://example.com:443/a", want: "https://example.com/a"},
		{name: "http port 443 kept", in: "http://example.com:443/a", want: "http://example.com:443/a"},
		{name: "other port kept", in: "https://example.com:8443/a", want: "https://example.com:8443/a"},
		{name: "port leading zeros", in: "http://example.com:0080/", want: "http://example.com/"},
		{name: "empty port", in: "http://example.com:/a", want: "http://example.com/a"},
		{name: "fragment", in: "https://example.com/a#comments", want: "https://example.com/a"},
		{name: "empty fragment", in: "https://example.com/a#", want: "https://example.com/a"},
		{name: "trailing question mark", in: "https://example.com/a?", want: "https://example.com/a"},
		{name: "utm params", in: "https://example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x&utm_term=y&utm_content=z&utm_id=1", want: "https://example.com/a"},
		{name: "utm any suffix and case", in: "https://example.com/a?UTM_Whatever=1&id=2", want: "https://example.com/a?id=2"},
		{name: "fbclid", in: "https://example.com/a?fbclid=IwAR0&id=2", want: "https://example.com/a?id=2"},
		{name: "gclid", in: "https://example.com/a?gclid=abc", want: "https://example.com/a"},
		{name: "dclid", in: "https://example.com/a?dclid=abc", want: "https://example.com/a"},
		{name: "msclkid", in: "https://example.com/a?msclkid=abc", want: "https://example.com/a"},
		{name: "mailchimp", in: "https://example.com/a?mc_cid=1&mc_eid=2&p=3", want: "https://example.com/a?p=3"},
		{name: "ref and ref_src", in: "https://example.com/a?ref=hn&ref_src=twsrc&page=2", want: "https://example.com/a?page=2"},
		{name: "cmpid igshid", in: "https://example.com/a?cmpid=x&igshid=y", want: "https://example.com/a"},
		{name: "_ga yclid spm", in: "https://example.com/a?_ga=1.2&yclid=3&spm=a.b", want: "https://example.com/a"},
		{name: "encoded tracking key", in: "https://example.com/a?utm%5Fsource=x&k=v", want: "https://example.com/a?k=v"},
		{name: "tracking-like key kept", in: "https://example.com/a?reference=1&utm=2", want: "https://example.com/a?reference=1&utm=2"},
		{name: "sorted", in: "https://example.com/a?z=1&a=2&m=3", want: "https://example.com/a?a=2&m=3&z=1"},
		{name: "repeated key keeps value order", in: "https://example.com/a?b=2&a=9&b=1&a=3", want: "https://example.com/a?a=9&a=3&b=2&b=1"},
		{name: "key without value", in: "https://example.com/a?print&id=7", want: "https://example.com/a?id=7&print"},
		{name: "empty params dropped", in: "https://example.com/a?&&id=7&", want: "https://example.com/a?id=7"},
		{name: "escaped ampersand in value kept", in: "https://example.com/a?q=a%26b&c=d", want: "https://example.com/a?c=d&q=a%26b"},
		{name: "lower-case escapes upper-cased", in: "https://example.com/a%2fb?q=%c3%a9", want: "https://example.com/a%2Fb?q=%C3%A9"},
		{name: "unreserved escapes decoded", in: "https://example.com/%7Euser/%41%2D%5F%2E?q=%7e", want: "https://example.com/~user/A-_.?q=~"},
		{name: "space and unicode path escaped", in: "https://example.com/caf\u00e9 menu", want: "https://example.com/caf%C3%A9%20menu"},
		{name: "stray percent in query", in: "https://example.com/a?q=100%", want: "https://example.com/a?q=100%25"},
		{name: "plus kept", in: "https://example.com/a?q=a+b", want: "https://example.com/a?q=a+b"},
		{name: "IPv6 host", in: "http://[2001:DB8:0:0::1]:80/x", want: "http://[2001:db8::1]/x"},
		{name: "IPv6 host other port", in: "https://[::1]:8080/", want: "https://[::1]:8080/"},
		{name: "IPv6 zone", in: "http://[fe80::1%25eth0]/", wantErr: true},
		{name: "IPv4 host", in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080/"},
		{name: "IDN host kept in Unicode", in: "https://B\u00dcCHER.example/x", want: "https://b\u00fccher.example/x"},
		{name: "punycode host", in: "https://XN--BCHER-KVA.example/", want: "https://xn--bcher-kva.example/"},
		{name: "userinfo dropped", in: "https://user:secret@example.com/a", want: "https://example.com/a"},
		{name: "surrounding space", in: "  https://example.com/a \n", want: "https://example.com/a"},
		{name: "devset 06", in: "https://WWW.HarbourPost.example:443/world/china-brazil-soybean-deal?utm_source=rss&utm_medium=feed#top", want: "https://www.harbourpost.example/world/china-brazil-soybean-deal"},
		{name: "relative", in: "/world/story", wantErr: true},
		{name: "scheme-relative", in: "//example.com/a", wantErr: true},
		{name: "ftp scheme", in: "ftp://example.com/a", wantErr: true},
		{name: "mailto", in: "mailto:someone@example.com", wantErr: true},
		{name: "opaque http", in: "http:example.com", wantErr: true},
		{name: "no host", in: "http:///path", wantErr: true},
		{name: "bad port", in: "http://example.com:99999/", wantErr: true},
		{name: "bad escape", in: "http://example.com/%zz", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "control character", in: "http://example.com/\x7f", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalURL(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("CanonicalURL(%q) = %q, want error", tt.in, got)
				}
				if !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
					t.Errorf("error %q does not name the input %q", err, tt.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("CanonicalURL(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("CanonicalURL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again, err := CanonicalURL(got); err != nil || again != got {
				t.Errorf("not idempotent: CanonicalURL(%q) = %q, %v", got, again, err)
			}
		})
	}
}
