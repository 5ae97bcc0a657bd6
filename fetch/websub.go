package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// FeedHub finds the WebSub hub a feed document advertises and the topic
// URL it names itself by: <link rel="hub"> and <link rel="self"> (Atom,
// or atom:link in RSS) before the first entry, or a JSON Feed's "hubs"
// and "feed_url". Both are "" unless the feed names both.
func FeedHub(doc []byte) (hub, self string) {
	if !bytes.Contains(doc, []byte(`"hub`)) && !bytes.Contains(doc, []byte(`'hub'`)) {
		return "", "" // most feeds: no parse at all (rel="hub", or JSON's "hubs")
	}
	if firstByte(doc) == '{' {
		var f struct {
			FeedURL string `json:"feed_url"`
			Hubs    []struct {
				Type string `json:"type"`
				URL  string `json:"url"`
			} `json:"hubs"`
		}
		if json.Unmarshal(doc, &f) != nil {
			return "", ""
		}
		for _, h := range f.Hubs {
			if strings.EqualFold(h.Type, "websub") || strings.EqualFold(h.Type, "pubsubhubbub") {
				hub = h.URL
				break
			}
		}
		return absHub(hub, f.FeedURL)
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // hrefs are ASCII
	// The feed's head is a few dozen tokens; the bound stops a hostile one.
	for range 10000 {
		tok, err := d.Token()
		if err != nil {
			break
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch strings.ToLower(el.Name.Local) {
		case "item", "entry":
			return absHub(hub, self)
		case "link":
			var rel, href string
			for _, a := range el.Attr {
				switch strings.ToLower(a.Name.Local) {
				case "rel":
					rel = strings.ToLower(strings.TrimSpace(a.Value))
				case "href":
					href = strings.TrimSpace(a.Value)
				}
			}
			switch {
			case rel == "hub" && hub == "":
				hub = href
			case rel == "self" && self == "":
				self = href
			}
		}
	}
	return absHub(hub, self)
}

// absHub keeps hub and self only when both are absolute http(s) URLs.
func absHub(hub, self string) (string, string) {
	for _, s := range []string{hub, self} {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", ""
		}
	}
	return hub, self
}

// Post sends a form to u (a WebSub hub) under the client's limits: host
// slots, timeout, the address guard and User-Agent; redirects are not
// followed. Any answer but 2xx is an error naming the status and the
// start of the body.
func (c *Client) Post(ctx context.Context, u string, form url.Values) error {
	pu, err := parseHTTPURL(nil, u)
	if err != nil {
		return fmt.Errorf("POST %s: %w", redact(u), err)
	}
	if !c.opts.AllowPrivate {
		if err := checkLiteralHost(pu); err != nil {
			return fmt.Errorf("POST %s: %w", pu.Redacted(), err)
		}
	}
	release, err := c.acquire(ctx, strings.ToLower(pu.Hostname()))
	if err != nil {
		return fmt.Errorf("POST %s: %w", pu.Redacted(), err)
	}
	defer release()
	hctx, cancel := context.WithDeadlineCause(ctx, time.Now().Add(c.opts.Timeout), &timeoutError{c.opts.Timeout})
	defer cancel()
	req, err := http.NewRequestWithContext(hctx, http.MethodPost, pu.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("POST %s: %w", pu.Redacted(), err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", pu.Redacted(), c.classify(hctx, pu, err).Err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	reason := resp.Status
	if m := strings.Join(strings.Fields(strings.ToValidUTF8(string(msg), "")), " "); m != "" {
		reason += ": " + m
	}
	return fmt.Errorf("POST %s: %s", pu.Redacted(), reason)
}
