package fetch

import (
	"cmp"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

const (
	defaultTimeout = 20 * time.Second
	defaultMaxBody = 10 << 20
	defaultPerHost = 2
	maxRedirects   = 5
)

// acceptHeader prefers feeds, takes generic XML and JSON, and accepts HTML
// pages, which autodiscovery resolves to their feed.
const acceptHeader = "application/rss+xml, application/atom+xml, application/feed+json, " +
	"application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, " +
	"text/html;q=0.5, */*;q=0.1"

var (
	errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)
	errNoFeedLink       = errors.New("HTML page with no feed link")
)

// Options configure a Client. Zero fields take their defaults.
type Options struct {
	UserAgent string        // default "topicfeed/<version> (+https://github.com/topicfeed/topicfeed)"
	Timeout   time.Duration // whole request, redirects and body, from when a host slot is held; default 20s
	MaxBody   int64         // cap on the decoded body, enforced while reading; default 10 MiB
	PerHost   int           // concurrent requests per host name; default 2

	// AllowPrivate lets the client connect to loopback, private, link-local
	// (cloud metadata), CGNAT and unspecified addresses. When false those are
	// refused on the resolved IP at dial time, covering every redirect and
	// DNS answer. With a custom Transport only literal IPs in URLs can be
	// checked.
	AllowPrivate bool

	// Hosts holds the per-host slots. Clients given the same Hosts share
	// them, so a trusted and an untrusted client fetching from one site
	// together still send it PerHost requests at most; nil gives the
	// client slots of its own, PerHost each.
	Hosts *Hosts

	// Transport replaces the client's own transport (for tests).
	Transport http.RoundTripper
}

// Hosts is a set of per-host request slots, safe for concurrent use.
type Hosts struct {
	perHost int
	mu      sync.Mutex
	sems    map[string]chan struct{}
}

// NewHosts returns slots for perHost concurrent requests per host name
// (the default 2 when perHost <= 0).
func NewHosts(perHost int) *Hosts {
	return &Hosts{perHost: cmp.Or(max(perHost, 0), defaultPerHost), sems: map[string]chan struct{}{}}
}

func (h *Hosts) sem(host string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	sem, ok := h.sems[host]
	if !ok {
		sem = make(chan struct{}, h.perHost)
		h.sems[host] = sem
	}
	return sem
}

// Client fetches feeds over HTTP. It is safe for concurrent use; the caller's
// worker pool bounds global concurrency, the Client bounds it per host.
type Client struct {
	hc   *http.Client
	opts Options

	now    func() time.Time // clock for Retry-After dates
	onWait func()           // called when a request waits for a host slot (tests)
	robots robotsCache      // per site, for Page (robots.go)
}

// NewClient returns a Client for o.
func NewClient(o Options) *Client {
	o.UserAgent = cmp.Or(o.UserAgent, "topicfeed/"+version()+" (+https://github.com/topicfeed/topicfeed)")
	o.Timeout = cmp.Or(max(o.Timeout, 0), defaultTimeout)
	o.MaxBody = cmp.Or(max(o.MaxBody, 0), defaultMaxBody)
	o.PerHost = cmp.Or(max(o.PerHost, 0), defaultPerHost)
	if o.Hosts == nil {
		o.Hosts = NewHosts(o.PerHost)
	}
	rt := o.Transport
	if rt == nil {
		rt = newTransport(o.AllowPrivate)
	}
	return &Client{
		hc: &http.Client{
			Transport: rt,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // Fetch follows redirects itself
			},
		},
		opts: o,
		now:  time.Now,
	}
}

// newTransport dials directly (no proxy from the environment, so the guard
// sees the real destination) and leaves gzip to Fetch, which decodes it
// under the body cap.
func newTransport(allowPrivate bool) *http.Transport {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = guardControl
	}
	return &http.Transport{
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 1 << 20,
		DisableCompression:     true,
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Request is one fetch: the URL and the validators stored from last time.
type Request struct {
	URL, ETag, LastModified string
	Accept                  string // "" asks for a feed; Page asks for HTML
}

// Response is a successful fetch.
type Response struct {
	URL          string // the URL finally fetched, after redirects and autodiscovery
	PermanentURL string // set when every redirect was 301/308, or autodiscovery found the feed: store it for next time
	NotModified  bool   // 304: Body is nil, nothing to parse
	ETag         string // validators to store with the items of this response
	LastModified string
	Body         []byte // decoded, at most Options.MaxBody bytes
	ContentType  string
	// Cache is how long the server says the answer stays fresh
	// (Cache-Control max-age, else Expires); zero when it does not say.
	Cache PollHint
}

// Charset is the charset parameter of the response's Content-Type, "" if
// there is none; pass it to ParseFeedCharset.
func (r *Response) Charset() string {
	_, params, err := mime.ParseMediaType(r.ContentType)
	if err != nil {
		return ""
	}
	return params["charset"]
}

// Fetch gets r.URL with a conditional GET, following up to 5 redirects. When
// the answer is an HTML page rather than a feed, Fetch fetches the first feed
// the page links to and sets PermanentURL to it. Errors are *Error.
func (c *Client) Fetch(ctx context.Context, r Request) (*Response, error) {
	res, err := c.get(ctx, r)
	if err != nil || res.NotModified || !looksLikeHTML(res.ContentType, res.Body) {
		return res, err
	}
	links, err := Discover(res.Body, res.URL)
	if err != nil {
		return nil, &Error{Kind: KindPermanent, URL: redact(res.URL), Err: err}
	}
	if len(links) == 0 {
		return nil, &Error{Kind: KindPermanent, URL: redact(res.URL), Err: errNoFeedLink}
	}
	// The validators were for the page, not the feed: fetch it unconditionally.
	feed, err := c.get(ctx, Request{URL: links[0]})
	if err != nil {
		return nil, err
	}
	if looksLikeHTML(feed.ContentType, feed.Body) {
		return nil, &Error{Kind: KindPermanent, URL: redact(feed.URL),
			Err: fmt.Errorf("feed linked from %s is an HTML page", redact(res.URL))}
	}
	feed.PermanentURL = cmp.Or(feed.PermanentURL, links[0])
	return feed, nil
}

// redirect is a 3xx answer to follow.
type redirect struct {
	to     *url.URL
	status int
}

// get fetches r.URL, following redirects, under one deadline that starts once
// the first host slot is held.
func (c *Client) get(ctx context.Context, r Request) (*Response, error) {
	u, err := parseHTTPURL(nil, r.URL)
	if err != nil {
		return nil, &Error{Kind: KindPermanent, URL: redact(r.URL), Err: err}
	}
	var deadline time.Time
	permanent := true
	for redirects := 0; ; redirects++ {
		release, err := c.acquire(ctx, strings.ToLower(u.Hostname()))
		if err != nil {
			return nil, &Error{Kind: KindTransient, URL: u.Redacted(), Err: err}
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(c.opts.Timeout)
		}
		hctx, cancel := context.WithDeadlineCause(ctx, deadline, &timeoutError{c.opts.Timeout})
		res, next, err := c.hop(hctx, u, r)
		cancel()
		release()
		switch {
		case err != nil:
			return nil, err
		case next == nil:
			if redirects > 0 && permanent {
				res.PermanentURL = res.URL
			}
			return res, nil
		case redirects == maxRedirects:
			return nil, &Error{Kind: KindPermanent, URL: redact(r.URL), Err: errTooManyRedirects}
		}
		permanent = permanent && (next.status == http.StatusMovedPermanently ||
			next.status == http.StatusPermanentRedirect)
		u = next.to
	}
}

// acquire takes a slot of host's semaphore, waiting no longer than ctx.
func (c *Client) acquire(ctx context.Context, host string) (release func(), err error) {
	sem := c.opts.Hosts.sem(host)
	select {
	case sem <- struct{}{}:
	default:
		if c.onWait != nil {
			c.onWait()
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	return func() { <-sem }, nil
}

// hop sends one GET to u and returns either the response or the redirect to
// follow.
func (c *Client) hop(ctx context.Context, u *url.URL, r Request) (*Response, *redirect, error) {
	if !c.opts.AllowPrivate {
		if err := checkLiteralHost(u); err != nil {
			return nil, nil, &Error{Kind: KindPermanent, URL: u.Redacted(), Err: err}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, &Error{Kind: KindPermanent, URL: u.Redacted(), Err: err}
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", cmp.Or(r.Accept, acceptHeader))
	req.Header.Set("Accept-Encoding", "gzip")
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, c.classify(ctx, u, err)
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 300 && code < 400 && code != http.StatusNotModified && resp.Header.Get("Location") != "":
		next, err := redirectTarget(u, resp)
		return nil, next, err
	case code == http.StatusNotModified:
		return &Response{
			URL:          u.String(),
			NotModified:  true,
			ETag:         cmp.Or(resp.Header.Get("ETag"), r.ETag),
			LastModified: cmp.Or(resp.Header.Get("Last-Modified"), r.LastModified),
			ContentType:  resp.Header.Get("Content-Type"),
			Cache:        cacheHint(resp.Header, c.now()),
		}, nil, nil
	case code >= 200 && code < 300:
		body, err := c.readBody(ctx, u, resp)
		if err != nil {
			return nil, nil, err
		}
		return &Response{
			URL:          u.String(),
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
			Body:         body,
			ContentType:  resp.Header.Get("Content-Type"),
			Cache:        cacheHint(resp.Header, c.now()),
		}, nil, nil
	}
	return nil, nil, c.statusError(u, resp)
}

func redirectTarget(u *url.URL, resp *http.Response) (*redirect, error) {
	loc := resp.Header.Get("Location")
	to, err := parseHTTPURL(u, loc)
	if err != nil {
		return nil, &Error{Kind: KindPermanent, URL: u.Redacted(), Status: resp.StatusCode,
			Err: fmt.Errorf("bad redirect to %q: %w", loc, err)}
	}
	return &redirect{to: to, status: resp.StatusCode}, nil
}

// parseHTTPURL parses an absolute http or https URL, or one relative to base
// when base is not nil, and drops the fragment, which is never sent.
func parseHTTPURL(base *url.URL, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("unsupported URL scheme %q", u.Scheme)
	case u.Host == "":
		return nil, errors.New("URL has no host")
	}
	u.Fragment = ""
	return u, nil
}

// redact hides a password in a URL named in an error.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// readBody reads the decoded body, stopping one byte past the cap: a body of
// any size, or a gzip bomb, never takes more than MaxBody+1 bytes of memory.
func (c *Client) readBody(ctx context.Context, u *url.URL, resp *http.Response) ([]byte, error) {
	limit := c.opts.MaxBody
	tooLarge := &Error{Kind: KindPermanent, URL: u.Redacted(),
		Err: fmt.Errorf("body exceeds refresh.max_body (%s)", formatSize(limit))}
	var rd io.Reader = resp.Body
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if resp.ContentLength > limit {
			return nil, tooLarge
		}
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(resp.Body)
		if errors.Is(err, io.EOF) {
			return []byte{}, nil
		}
		if err != nil {
			return nil, c.classify(ctx, u, err)
		}
		defer zr.Close()
		rd = zr
	default:
		return nil, &Error{Kind: KindPermanent, URL: u.Redacted(),
			Err: fmt.Errorf("unsupported content encoding %q", enc)}
	}
	var body []byte
	var err error
	if rd == resp.Body && resp.ContentLength >= 0 {
		body, err = readAll(io.LimitReader(rd, limit+1), resp.ContentLength+1)
	} else {
		body, err = io.ReadAll(io.LimitReader(rd, limit+1))
	}
	if err != nil {
		return nil, c.classify(ctx, u, err)
	}
	if int64(len(body)) > limit {
		return nil, tooLarge
	}
	return body, nil
}

// readAll is io.ReadAll starting from a buffer of sizeHint bytes, so a body
// of known length (at most the cap, checked before) is read in one buffer.
func readAll(r io.Reader, sizeHint int64) ([]byte, error) {
	b := make([]byte, 0, sizeHint)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// classify turns a transport or body error into an *Error.
func (c *Client) classify(ctx context.Context, u *url.URL, err error) *Error {
	e := &Error{Kind: KindTransient, URL: u.Redacted(), Err: err}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		e.Err = ue.Err // the URL is named once, by e
	}
	var blocked *blockedError
	var cert *tls.CertificateVerificationError
	switch {
	case errors.As(err, &blocked):
		e.Kind, e.Err = KindPermanent, blocked
	case ctx.Err() != nil:
		e.Err = context.Cause(ctx) // our timeout, or the caller's cancellation
	case errors.As(err, &cert):
		e.Kind = KindPermanent
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum):
		e.Kind, e.Err = KindPermanent, fmt.Errorf("bad gzip body: %w", err)
	}
	return e
}

// statusError classifies a final answer that is neither 2xx nor 304.
func (c *Client) statusError(u *url.URL, resp *http.Response) *Error {
	e := &Error{Kind: KindPermanent, URL: u.Redacted(), Status: resp.StatusCode}
	retryAfter, hasRetry := parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	switch code := resp.StatusCode; {
	case code == http.StatusGone:
		e.Kind = KindGone
	case code == http.StatusTooManyRequests,
		code == http.StatusServiceUnavailable && hasRetry:
		e.Kind, e.RetryAfter = KindRateLimited, retryAfter
	case code == http.StatusRequestTimeout, code >= 500:
		e.Kind = KindTransient
	case code >= 300 && code < 400:
		e.Err = errors.New("redirect without Location")
	}
	return e
}

// formatSize writes a byte count the way limits are configured: "10 MiB".
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
