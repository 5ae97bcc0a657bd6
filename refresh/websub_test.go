package refresh

import (
	"bytes"
	"context"
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
	"sync/atomic"
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
	q := url.Values{"hub.mode": {form.Get("hub.mode")}, "hub.topic": {form.Get("hub.topic")},
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
	cb := withCallback(t, h)

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
	withCallback(t, h)

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

// TestWebSubDisabledSource: a source disabled by a 410 takes no more
// pushes (answered 404, as an unknown callback, so the hub stops), and its
// subscription, once due, is given up: the hub is asked to unsubscribe,
// its verification deletes the subscription, and later renewal passes ask
// nothing of the hub. One the hub will not unsubscribe is deleted anyway,
// and a removed source's callback is unknown too.
func TestWebSubDisabledSource(t *testing.T) {
	hub := newTestHub(t)
	var feedURL string
	var gone atomic.Bool
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gone.Load() {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", "application/atom+xml")
		io.WriteString(w, hubFeed(feedURL, hub.srv.URL, "one"))
	}))
	defer feedSrv.Close()
	feedURL = feedSrv.URL + "/feed"
	h := newHarness(t, feed.Source{Name: "pushy", URL: feedURL}, feed.Source{Name: "stale", URL: "https://stale.example/feed"},
		feed.Source{Name: "removed", URL: "https://removed.example/feed"})
	cb := withCallback(t, h)
	if res := h.pass(t, true)["pushy"]; res.Err != nil || res.New != 1 {
		t.Fatalf("poll: %+v", res)
	}
	form := hub.last()
	if sub, err := h.db.Subscription(t.Context(), "pushy"); form == nil || err != nil || sub.State != store.SubActive {
		t.Fatalf("subscription %+v, %v; hub got %v", sub, err, form)
	}
	secret, callback := form.Get("hub.secret"), form.Get("hub.callback")

	gone.Store(true)
	h.now = h.now.Add(time.Hour)
	if res := h.pass(t, true)["pushy"]; res.Status != http.StatusGone || !h.source(t, "pushy").Disabled {
		t.Fatalf("410: %+v, disabled %v", res, h.source(t, "pushy").Disabled)
	}
	body := []byte(hubFeed(feedURL, hub.srv.URL, "two", "one"))
	if code := push(t, callback, sign(sha256.New, "sha256", secret, body), body); code != http.StatusNotFound {
		t.Errorf("push for a disabled source: %d, want 404", code)
	}
	if n := h.items(t); n != 1 {
		t.Errorf("%d items after a push for a disabled source, want 1", n)
	}

	// Not due yet: nothing. Due: the hub is asked to unsubscribe, and its
	// verification of that deletes the subscription.
	if err := h.r.RenewWebSub(t.Context()); err != nil || hub.count() != 1 {
		t.Fatalf("before the renewal time: %d hub requests, %v", hub.count(), err)
	}
	h.now = h.now.Add(20 * time.Hour)
	if err := h.r.RenewWebSub(t.Context()); err != nil || hub.count() != 2 {
		t.Fatalf("renewal of a disabled source: %d hub requests, %v; want an unsubscribe", hub.count(), err)
	}
	if un := hub.last(); un.Get("hub.mode") != "unsubscribe" || un.Get("hub.topic") != feedURL || un.Get("hub.callback") != callback {
		t.Errorf("unsubscribe request %v", un)
	}
	if !hub.verified[len(hub.verified)-1] {
		t.Error("the callback did not confirm the unsubscription")
	}
	if sub, err := h.db.Subscription(t.Context(), "pushy"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after unsubscribing: %+v, %v; want no subscription", sub, err)
	}
	for range 3 {
		h.now = h.now.Add(time.Minute)
		if err := h.r.RenewWebSub(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := hub.count(); n != 2 {
		t.Errorf("hub got %d requests in later renewal passes, want none more", n)
	}
	if due, err := h.db.SubscriptionsDue(t.Context(), h.now.Add(365*24*time.Hour)); err != nil || len(due) != 0 {
		t.Errorf("still due: %+v, %v", due, err)
	}

	// A hub that refuses to unsubscribe does not keep the subscription.
	hub.mu.Lock()
	hub.fail = true
	hub.mu.Unlock()
	if err := h.db.SaveFetchState(t.Context(), "stale", &store.FetchState{Status: http.StatusGone, Disabled: true, Fetched: h.now}); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"stale": "stale-token", "removed": "removed-token"} {
		if err := h.db.SaveSubscription(t.Context(), store.Subscription{Source: name, Token: tok, Secret: "s", Hub: hub.srv.URL,
			Topic: "https://" + name + ".example/feed", State: store.SubActive, LeaseEnd: h.now.Add(time.Hour), RenewAt: h.now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.db.RemoveSource(t.Context(), "removed"); err != nil {
		t.Fatal(err)
	}
	if code := push(t, cb.URL+CallbackPath+"removed-token", sign(sha256.New, "sha256", "s", body), body); code != http.StatusNotFound {
		t.Errorf("push for a removed source: %d, want 404", code)
	}
	if err := h.r.RenewWebSub(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sub, err := h.db.Subscription(t.Context(), "stale"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after the hub refused to unsubscribe: %+v, %v; want no subscription", sub, err)
	}
	if n := h.items(t); n != 1 {
		t.Errorf("%d items, want 1", n)
	}
}

// TestWebSubPushPagesLater: a push to a full_content source is answered
// once its items are stored; their pages are fetched afterwards, in the
// background. The page server holds the pushed item's page back until the
// push has been answered; then the item gets its article. A second push
// while that pass runs waits for it, and its item is fetched by the pass
// that follows.
func TestWebSubPushPagesLater(t *testing.T) {
	hub := newTestHub(t)
	asked, release := make(chan struct{}, 1), make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	var held atomic.Bool // /a/four is held until its request is cancelled
	held.Store(true)
	var mu sync.Mutex
	hits := map[string]int{}
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
			return
		case "/a/two":
			asked <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		case "/a/four":
			if held.Load() {
				asked <- struct{}{}
				<-r.Context().Done()
				return
			}
		}
		name := strings.TrimPrefix(r.URL.Path, "/a/")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<html><body><article><h1>%s</h1><p>%s</p></article></body></html>", name, story("Page of "+name+"."))
	}))
	defer pages.Close()
	var feedURL string
	body := func(entries ...string) []byte {
		return []byte(strings.ReplaceAll(hubFeed(feedURL, hub.srv.URL, entries...), "https://pushy.example/", pages.URL+"/a/"))
	}
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Write(body("one"))
	}))
	defer feedSrv.Close()
	feedURL = feedSrv.URL + "/feed"
	h := newHarness(t, feed.Source{Name: "pushy", URL: feedURL, FullContent: true})
	withCallback(t, h) // the pages are on loopback too
	if res := h.pass(t, true)["pushy"]; res.Err != nil || res.New != 1 {
		t.Fatalf("poll: %+v", res)
	}
	form := hub.last()
	if form == nil {
		t.Fatal("no subscribe request reached the hub")
	}
	secret, callback := form.Get("hub.secret"), form.Get("hub.callback")
	article := func(title string) bool {
		it := h.itemsByTitle(t)[title]
		return it != nil && strings.Contains(it.Text, "Page of "+title+".")
	}
	if !article("one") {
		t.Fatal("the polled item did not get its article")
	}

	end := h.r.live(t.Context()) // as RunWebSub does
	// Bounded only so that a push held by its pages fails rather than hangs.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	pushed := func(b []byte) int {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, callback, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/atom+xml")
		req.Header.Set("X-Hub-Signature", sign(sha256.New, "sha256", secret, b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("push not answered while its page is held back: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := pushed(body("two", "one")); code != http.StatusNoContent {
		t.Fatalf("push: %d, want 204", code)
	}
	<-asked // the page pass runs, held by the page server
	if it := h.itemsByTitle(t)["two"]; it == nil || article("two") {
		t.Fatalf("pushed item: %q; want it stored with the feed's text", short(it))
	}
	if code := pushed(body("three", "two", "one")); code != http.StatusNoContent {
		t.Fatalf("second push: %d, want 204", code)
	}
	once.Do(func() { close(release) })
	end() // waits for the page passes
	for _, title := range []string{"two", "three"} {
		if !article(title) {
			t.Errorf("%s: text %q, want its page's article", title, short(h.itemsByTitle(t)[title]))
		}
	}
	mu.Lock()
	for _, p := range []string{"/a/one", "/a/two", "/a/three"} {
		if hits[p] != 1 {
			t.Errorf("%s fetched %d times, want once", p, hits[p])
		}
	}
	mu.Unlock()

	// A shutdown stops a pass under way, which stores nothing; the next
	// refresh's catch-up fetches the page.
	life, stop := context.WithCancel(t.Context())
	end = h.r.live(life)
	if code := pushed(body("four", "three", "two", "one")); code != http.StatusNoContent {
		t.Fatalf("push: %d, want 204", code)
	}
	<-asked
	stop()
	end()
	if h.itemsByTitle(t)["four"] == nil || article("four") {
		t.Fatalf("four after a shutdown: %q; want the feed's text", short(h.itemsByTitle(t)["four"]))
	}
	held.Store(false)
	if res := h.pass(t, true)["pushy"]; res.Err != nil {
		t.Fatalf("poll: %+v", res)
	}
	if !article("four") {
		t.Errorf("four after the next refresh: %q; want its page's article", short(h.itemsByTitle(t)["four"]))
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

// withCallback makes h a subscriber whose callbacks reach cb, a loopback
// server, as does the test hub (so private addresses are allowed).
func withCallback(t *testing.T, h *harness) *httptest.Server {
	t.Helper()
	h.allowPrivate()
	cb := callbackServer(t, h.r)
	h.r.WebSub = &WebSub{Callback: cb.URL + CallbackPath}
	return cb
}
