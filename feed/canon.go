package feed

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// trackingParams are query keys (compared lower-cased) that identify a
// campaign or click rather than the resource; "utm_*" is matched by prefix.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true, "gbraid": true, "wbraid": true,
	"msclkid": true, "mc_cid": true, "mc_eid": true, "ref": true, "ref_src": true, "ref_url": true,
	"cmpid": true, "igshid": true, "_ga": true, "_gl": true, "yclid": true, "spm": true,
	"twclid": true, "ttclid": true, "li_fat_id": true, "mkt_tok": true, "_hsenc": true, "_hsmi": true,
	"oly_anon_id": true, "oly_enc_id": true, "vero_id": true, "rb_clickid": true, "s_cid": true,
}

func isTrackingParam(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || trackingParams[k]
}

// CanonicalURL returns the form of an http(s) URL used as an item identity:
// scheme and host lower-cased (an IDN host stays in Unicode), default port,
// userinfo, fragment and tracking parameters removed, the remaining query
// parameters sorted by key (values of a repeated key keep their order),
// percent-encoding normalised and an empty path written as "/".
func CanonicalURL(raw string) (string, error) {
	fail := func(reason string) (string, error) {
		return "", fmt.Errorf("canonical url %q: %s", raw, reason)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fail(err.Error())
	}
	switch {
	case u.Scheme == "":
		return fail("not an absolute URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fail("scheme " + strconv.Quote(u.Scheme) + " is not http or https")
	case u.Opaque != "":
		return fail("missing \"//\" after the scheme")
	}
	host, err := canonicalHost(u)
	if err != nil {
		return fail(err.Error())
	}
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteString("://")
	b.WriteString(host)
	path := normalizeEscapes(u.EscapedPath(), false)
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	if q := canonicalQuery(u.RawQuery); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	return b.String(), nil
}

// CanonicalURLKeepFragment is CanonicalURL keeping the fragment, for
// links that only their fragment tells apart (each post of a one-page
// blog, "https://blog.example/2026/11/#post-3"). The fragment's escapes
// are normalised as a query's are; an empty fragment is dropped.
func CanonicalURLKeepFragment(raw string) (string, error) {
	c, err := CanonicalURL(raw)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", err
	}
	if frag := normalizeEscapes(u.EscapedFragment(), true); frag != "" {
		c += "#" + frag
	}
	return c, nil
}

// canonicalHost lower-cases the host and drops a default or empty port.
// Userinfo is dropped on purpose: it is not part of the resource's identity
// and a password must never end up in a published feed.
func canonicalHost(u *url.URL) (string, error) {
	name := u.Hostname()
	if name == "" {
		return "", errors.New("missing host")
	}
	if !utf8.ValidString(name) {
		return "", errors.New("host is not valid UTF-8")
	}
	name = strings.ToLower(name)
	if !strings.Contains(name, ":") {
		for i := 0; i < len(name); i++ {
			if c := name[i]; c < utf8.RuneSelf && !isUnreserved(c) && !strings.ContainsRune("!$&'()*+,;=", rune(c)) {
				return "", fmt.Errorf("invalid character %q in host", c)
			}
		}
	} else { // IPv6 literal; a zone only makes sense on the local machine
		ip := net.ParseIP(name)
		if ip == nil {
			return "", fmt.Errorf("invalid IPv6 address %q", name)
		}
		name = "[" + ip.String() + "]"
	}
	port := u.Port()
	if port == "" {
		return name, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n > 65535 {
		return "", fmt.Errorf("invalid port %q", port)
	}
	if (u.Scheme == "http" && n == 80) || (u.Scheme == "https" && n == 443) {
		return name, nil
	}
	return name + ":" + strconv.Itoa(n), nil
}

// canonicalQuery drops empty and tracking parameters and sorts the rest by
// key. It works on the raw "k=v" parts so that escaped "&" and "=" and the
// order of a repeated key's values survive unchanged.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type param struct{ key, part string }
	var params []param
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		part = normalizeEscapes(part, true)
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil && isTrackingParam(k) {
			continue
		}
		params = append(params, param{key, part})
	}
	slices.SortStableFunc(params, func(a, b param) int { return strings.Compare(a.key, b.key) })
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.part
	}
	return strings.Join(parts, "&")
}

// normalizeEscapes rewrites an escaped path or query part so that equal
// URLs are equal strings: %XX of unreserved characters decoded, other
// escapes in upper-case hex, and characters that must be escaped (space,
// non-ASCII, a stray "%") escaped.
func normalizeEscapes(s string, query bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			d := unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
			if isUnreserved(d) {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteByte(hex[d>>4])
				b.WriteByte(hex[d&15])
			}
			continue
		}
		if isUnreserved(c) || strings.IndexByte("!$&'()*+,;=:@/", c) >= 0 || (query && c == '?') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
