package refresh

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

// testHub is a small WebSub hub: it records subscribe requests and
// verifies each at once by calling the callback with a challenge.
type testHub struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []url.Values
	fail bool // answer 500 to subscribe requests
	// verified is the challenge check of each request: true when the
	// callback echoed it.
	verified []bool
}

func newTestHub(t *testing.T) *testHub {
	h := &testHub{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		h.mu.Lock()
		h.reqs = append(h.reqs, r.PostForm)
		fail := h.fail
		h.mu.Unlock()
		if fail {
			http.Error(w, "hub is down", http.StatusInternalServerError)
			return
		}
		ok := verify(r.PostForm, testLease)
		h.mu.Lock()
		h.verified = append(h.verified, ok)
		h.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// testLease is the lease, in seconds, testHub grants: a day.
const testLease = "86400"

// verify does the hub's verification of intent and reports whether the
// subscriber echoed the challenge.
func verify(form url.Values, lease string) bool {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {form.Get("hub.topic")},
		"hub.challenge": {"chal-" + form.Get("hub.topic")}, "hub.lease_seconds": {lease}}
	resp, err := http.Get(form.Get("hub.callback") + "?" + q.Encode())
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == 200 && string(b) == q.Get("hub.challenge")
}

func (h *testHub) last() url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reqs) == 0 {
		return nil
	}
	return h.reqs[len(h.reqs)-1]
}

func (h *testHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reqs)
}

// callbackServer serves the refresher's callback as serve does, through
// the same calls publish's handler makes.
func callbackServer(t *testing.T, r *Refresher) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /websub/callback/{token}", func(w http.ResponseWriter, req *http.Request) {
		c, err := r.VerifyWebSub(req.Context(), req.PathValue("token"), req.URL.Query())
		if err != nil {
			http.NotFound(w, req)
			return
		}
		io.WriteString(w, c)
	})
	mux.HandleFunc("POST /websub/callback/{token}", func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		_, err := r.PushWebSub(req.Context(), req.PathValue("token"), body, req.Header.Get("Content-Type"), req.Header.Get("X-Hub-Signature"))
		switch {
		case err == nil:
			w.WriteHeader(http.StatusNoContent)
		case errors.Is(err, feed.ErrRefused):
			w.WriteHeader(http.StatusAccepted)
		case errors.Is(err, feed.ErrNotFound):
			http.NotFound(w, req)
		default:
			http.Error(w, err.Error(), 500)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func hubFeed(self, hub string, entries ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Pushy</title>
		<link rel="self" href="%s"/><link rel="hub" href="%s"/><id>urn:pushy</id><updated>2026-03-02T10:00:00Z</updated>`, self, hub)
	for _, e := range entries {
		fmt.Fprintf(&b, `<entry><id>urn:%s</id><title>%s</title><link href="https://pushy.example/%s"/>
			<updated>2026-03-02T10:00:00Z</updated><content>%s is a story about the harbour and its new crane.</content></entry>`, e, e, e, e)
	}
	b.WriteString(`</feed>`)
	return b.String()
}

func sign(newHash func() hash.Hash, method, secret string, body []byte) string {
	m := hmac.New(newHash, []byte(secret))
	m.Write(body)
	return method + "=" + hex.EncodeToString(m.Sum(nil))
}

func push(t *testing.T, callback, signature string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, callback, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/atom+xml")
	if signature != "" {
		req.Header.Set("X-Hub-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestWebSubSubscribePushRenew(t *testing.T) {
	hub := newTestHub(t)
	var feedURL string
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		io.WriteString(w, hubFeed(feedURL, hub.srv.URL, "one"))
	}))
	defer feedSrv.Close()
	feedURL = feedSrv.URL + "/feed"
	h := newHarness(t, feed.Source{Name: "pushy", URL: feedURL})
	h.allowPrivate() // the hub is on loopback
	cb := callbackServer(t, h.r)
	h.r.WebSub = &WebSub{Callback: cb.URL + CallbackPath}

	if res := h.pass(t, true)["pushy"]; res.Err != nil || res.New != 1 {
		t.Fatalf("poll: %+v", res)
	}
	form := hub.last()
	if form == nil {
		t.Fatal("no subscribe request reached the hub")
	}
	if form.Get("hub.mode") != "subscribe" || form.Get("hub.topic") != feedURL ||
		!strings.HasPrefix(form.Get("hub.callback"), cb.URL+CallbackPath) || len(form.Get("hub.secret")) != 64 {
		t.Fatalf("subscribe request %v", form)
	}
	if !hub.verified[0] {
		t.Fatal("the callback did not echo the hub's challenge")
	}
	sub, err := h.db.Subscription(t.Context(), "pushy")
	if err != nil || sub.State != store.SubActive || !sub.LeaseEnd.Equal(h.now.Add(24*time.Hour)) {
		t.Fatalf("subscription %+v, %v; want active until now+24h", sub, err)
	}
	// A second poll asks nothing more of the hub.
	h.pass(t, true)
	if n := hub.count(); n != 1 {
		t.Errorf("hub got %d requests after a second poll, want 1", n)
	}

	secret, callback := form.Get("hub.secret"), form.Get("hub.callback")
	body := []byte(hubFeed(feedURL, hub.srv.URL, "two", "one"))
	if code := push(t, callback, "", body); code != http.StatusAccepted {
		t.Errorf("unsigned push: %d, want 202", code)
	}
	if code := push(t, callback, sign(sha256.New, "sha256", "another secret", body), body); code != http.StatusAccepted {
		t.Errorf("wrongly signed push: %d, want 202", code)
	}
	if code := push(t, callback, "sha256=zz", body); code != http.StatusAccepted {
		t.Errorf("garbled signature: %d, want 202", code)
	}
	if n := h.items(t); n != 1 {
		t.Fatalf("%d items after bad pushes, want 1", n)
	}
	if code := push(t, callback, sign(sha1.New, "sha1", secret, body), body); code != http.StatusNoContent {
		t.Errorf("signed push: %d, want 204", code)
	}
	if n := h.items(t); n != 2 {
		t.Fatalf("%d items after a signed push, want 2 (stored at once)", n)
	}
	if code := push(t, cb.URL+CallbackPath+"nosuchtoken", sign(sha256.New, "sha256", secret, body), body); code != http.StatusNotFound {
		t.Errorf("push to an unknown callback: %d, want 404", code)
	}
	if src := h.source(t, "pushy"); !strings.Contains(src.WebSub, "active") || !strings.Contains(src.WebSub, "last push") {
		t.Errorf("sources shows WebSub %q", src.WebSub)
	}

	// No renewal before four fifths of the lease; then one, with the
	// same callback and secret, which the hub verifies again.
	h.now = h.now.Add(19 * time.Hour)
	if err := h.r.RenewWebSub(t.Context()); err != nil || hub.count() != 1 {
		t.Fatalf("renewed early: %d requests, %v", hub.count(), err)
	}
	h.now = h.now.Add(13 * time.Minute)
	if err := h.r.RenewWebSub(t.Context()); err != nil || hub.count() != 2 {
		t.Fatalf("renewal: %d requests, %v", hub.count(), err)
	}
	renew := hub.last()
	if renew.Get("hub.callback") != callback || renew.Get("hub.secret") != secret || !hub.verified[1] {
		t.Errorf("renewal %v, verified %v", renew, hub.verified)
	}
	sub, _ = h.db.Subscription(t.Context(), "pushy")
	if sub.State != store.SubActive || !sub.LeaseEnd.Equal(h.now.Add(24*time.Hour)) {
		t.Errorf("after renewal %+v", sub)
	}

	// A verification the subscriber did not ask for is refused.
	q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {feedURL}, "hub.challenge": {"x"}}
	resp, err := http.Get(callback + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unrequested verification: %d, want 404", resp.StatusCode)
	}
}

func TestWebSubHubDownKeepsPolling(t *testing.T) {
	hub := newTestHub(t)
	hub.fail = true
	var feedURL string
	entries := []string{"one"}
	var mu sync.Mutex
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		io.WriteString(w, hubFeed(feedURL, hub.srv.URL, entries...))
	}))
	defer feedSrv.Close()
	feedURL = feedSrv.URL + "/feed"
	h := newHarness(t, feed.Source{Name: "pushy", URL: feedURL})
	h.allowPrivate() // the hub is on loopback
	cb := callbackServer(t, h.r)
	h.r.WebSub = &WebSub{Callback: cb.URL + CallbackPath}

	if res := h.pass(t, true)["pushy"]; res.Err != nil || res.New != 1 {
		t.Fatalf("poll: %+v", res)
	}
	sub, err := h.db.Subscription(t.Context(), "pushy")
	if err != nil || sub.State != store.SubFailed || !strings.Contains(sub.Error, "500") {
		t.Fatalf("subscription %+v, %v; want failed with the hub's 500", sub, err)
	}
	if src := h.source(t, "pushy"); !strings.Contains(src.WebSub, "failed") {
		t.Errorf("sources shows WebSub %q", src.WebSub)
	}
	// Polling goes on as if there were no hub.
	mu.Lock()
	entries = append(entries, "two")
	mu.Unlock()
	h.now = h.now.Add(time.Hour)
	if res := h.pass(t, true)["pushy"]; res.Err != nil || res.New != 1 {
		t.Fatalf("poll while the hub is down: %+v", res)
	}
	// The retry waits for its back-off, then asks again.
	before := hub.count()
	if err := h.r.RenewWebSub(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.now = h.now.Add(2 * time.Hour)
	if err := h.r.RenewWebSub(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := hub.count() - before; got < 1 {
		t.Errorf("no retry after the back-off")
	}
}

// TestWebSubRefusesPrivateHub: a hub is the feed's word, not the
// operator's: without allow_private one on a loopback address is not
// asked, and the subscription fails saying why; polling goes on.
func TestWebSubRefusesPrivateHub(t *testing.T) {
	hub := newTestHub(t)
	var feedURL string
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, hubFeed(feedURL, hub.srv.URL, "one"))
	}))
	defer feedSrv.Close()
	feedURL = feedSrv.URL + "/feed"
	h := newHarness(t, feed.Source{Name: "pushy", URL: feedURL})
	h.r.WebSub = &WebSub{Callback: "https://feeds.example.org" + CallbackPath}
	if res := h.pass(t, true)["pushy"]; res.Err != nil || res.New != 1 {
		t.Fatalf("poll: %+v", res)
	}
	if n := hub.count(); n != 0 {
		t.Errorf("the loopback hub got %d requests, want none", n)
	}
	sub, err := h.db.Subscription(t.Context(), "pushy")
	if err != nil || sub.State != store.SubFailed || !strings.Contains(sub.Error, "private") {
		t.Errorf("subscription %+v, %v; want failed as private", sub, err)
	}
}

// TestWebSubLeaseBounds: a hub's huge hub.lease_seconds is capped at a
// year (not overflowed into a lease that ended in the past, renewed every
// minute), and a tiny one is renewed an hour on, not at once.
func TestWebSubLeaseBounds(t *testing.T) {
	h := newHarness(t, feed.Source{Name: "pushy", URL: "https://pushy.example/feed"})
	h.r.WebSub = &WebSub{Callback: "https://feeds.example.org" + CallbackPath}
	for _, c := range []struct {
		lease           string
		leaseEnd, renew time.Duration
	}{
		{"10000000000", maxLease, maxLease - maxLease/5},
		{"9223372036854775807", maxLease, maxLease - maxLease/5},
		{"1", time.Second, time.Hour},
		{"600", 10 * time.Minute, time.Hour},
		{"86400", 24 * time.Hour, 24*time.Hour - 24*time.Hour/5},
	} {
		sub := store.Subscription{Source: "pushy", Token: "tok", Secret: "s", Hub: "https://hub.example/",
			Topic: "https://pushy.example/feed", State: store.SubPending, Requested: h.now, RenewAt: h.now.Add(time.Hour)}
		if err := h.db.SaveSubscription(t.Context(), sub); err != nil {
			t.Fatal(err)
		}
		q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {sub.Topic}, "hub.challenge": {"c"}, "hub.lease_seconds": {c.lease}}
		if got, err := h.r.VerifyWebSub(t.Context(), "tok", q); err != nil || got != "c" {
			t.Fatalf("lease %s: verification %q, %v", c.lease, got, err)
		}
		got, err := h.db.Subscription(t.Context(), "pushy")
		if err != nil {
			t.Fatal(err)
		}
		if !got.LeaseEnd.Equal(h.now.Add(c.leaseEnd)) || !got.RenewAt.Equal(h.now.Add(c.renew)) {
			t.Errorf("lease %s: lease end %v, renew at %v; want %v and %v", c.lease,
				got.LeaseEnd, got.RenewAt, h.now.Add(c.leaseEnd), h.now.Add(c.renew))
		}
		if due, err := h.db.SubscriptionsDue(t.Context(), h.now.Add(59*time.Minute)); err != nil || len(due) != 0 {
			t.Errorf("lease %s: due within the hour: %+v, %v", c.lease, due, err)
		}
	}
}

func TestPublicURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://news.example.org":  true,
		"http://203.0.113.9:8080/":  true,
		"http://localhost:8080":     false,
		"http://127.0.0.1:8080":     false,
		"http://10.0.0.5":           false,
		"http://[::1]:8080":         false,
		"http://myserver:8080":      false,
		"http://box.local":          false,
		"http://app.internal":       false,
		"ftp://news.example.org":    false,
		"not a url":                 false,
		"https://feeds.example.com": true,
	} {
		if got := PublicURL(u); got != want {
			t.Errorf("PublicURL(%q) = %v, want %v", u, got, want)
		}
	}
}
