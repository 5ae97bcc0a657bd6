package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// webSubFeed is an Atom feed naming itself (self) and its hub, with one
// entry per title; each entry's text is its own, so no two merge.
func webSubFeed(self, hub string, titles ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Harbour wire</title><id>urn:harbour-wire</id>
<link rel="self" href="%s"/><link rel="hub" href="%s"/><updated>2026-06-01T10:00:00Z</updated>`, self, hub)
	for i, title := range titles {
		slug := strings.ToLower(strings.ReplaceAll(title, " ", "-"))
		fmt.Fprintf(&b, `<entry><id>urn:wire:%s</id><title>%s</title><link href="https://wire.example.org/%s"/>
<updated>2026-06-0%dT10:00:00Z</updated><content type="text">%s: the harbour office reported it on day %d, with details of %s.</content></entry>`,
			slug, title, slug, i+1, title, i+1, slug)
	}
	b.WriteString("</feed>")
	return b.String()
}

// hubRequest is one subscribe request the test hub received, with the
// outcome of the verification of intent it made before answering.
type hubRequest struct {
	form      url.Values
	callback  string // the callback URL with its host mapped to the daemon
	status    int    // of the verification GET
	body      string // echoed by the daemon: the challenge
	challenge string
	err       error
}

// testHub is a WebSub hub on loopback. Like a hub on the internet it
// calls the subscriber back at hub.callback — whose host, the public
// base_url's, it maps to the daemon's real listen address — and verifies
// the request (here before it answers the subscribe POST, the order that
// makes the subscriber store its pending request first).
type testHub struct {
	url    string
	daemon chan string // the daemon's base URL, once known
	reqs   chan hubRequest
}

func newTestHub(t *testing.T) *testHub {
	h := &testHub{daemon: make(chan string, 1), reqs: make(chan hubRequest, 8)}
	var daemon string
	var once sync.Once
	h.url = newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ParseForm() != nil {
			http.Error(w, "subscribe by form POST", http.StatusBadRequest)
			return
		}
		req := hubRequest{form: r.PostForm}
		once.Do(func() {
			select {
			case daemon = <-h.daemon:
			case <-time.After(10 * time.Second):
			}
		})
		cb, err := url.Parse(r.PostForm.Get("hub.callback"))
		if err != nil || daemon == "" {
			req.err = fmt.Errorf("callback %q, daemon %q: %v", r.PostForm.Get("hub.callback"), daemon, err)
			h.reqs <- req
			http.Error(w, "cannot verify", http.StatusBadRequest)
			return
		}
		d, _ := url.Parse(daemon)
		cb.Scheme, cb.Host = d.Scheme, d.Host
		req.callback = cb.String()
		req.challenge = fmt.Sprintf("challenge-%d", time.Now().UnixNano())
		q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {r.PostForm.Get("hub.topic")},
			"hub.challenge": {req.challenge}, "hub.lease_seconds": {"86400"}}
		resp, err := http.Get(req.callback + "?" + q.Encode())
		if err != nil {
			req.err = err
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			req.status, req.body = resp.StatusCode, string(b)
		}
		h.reqs <- req
		w.WriteHeader(http.StatusAccepted)
	}))
	return h
}

// next waits (bounded) for the hub's next subscribe request.
func (h *testHub) next(t *testing.T) hubRequest {
	t.Helper()
	select {
	case r := <-h.reqs:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no subscribe request reached the hub")
		return hubRequest{}
	}
}

// hubPush POSTs body to a callback as a hub distributes content.
func hubPush(t *testing.T, callback, signature, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, callback, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/atom+xml; charset=utf-8")
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

func hubSignature(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestWebSubEndToEnd runs `topicfeed serve` with a public base_url and a
// feed that advertises a hub: serve subscribes, answers the hub's
// verification, and a signed push shows up in the topic feed without a
// poll, while unsigned and wrongly signed pushes leave nothing.
func TestWebSubEndToEnd(t *testing.T) {
	hub := newTestHub(t)
	var feedGets atomic.Int64
	var feedURL string
	up := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/wire.atom" {
			http.NotFound(w, r)
			return
		}
		feedGets.Add(1)
		w.Header().Set("Content-Type", "application/atom+xml")
		// The polled feed never carries the pushed entries: they can
		// only come through the callback.
		io.WriteString(w, webSubFeed(feedURL, hub.url, "Harbour Crane Delivered"))
	}))
	feedURL = up + "/wire.atom"
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte("tok-ws\n"), 0o600)
	// writeConfig's base_url, http://feeds.example.org, is public. The hub
	// a feed names is asked only at a public address unless allow_private.
	cfg := writeConfig(t, dir, "admin_token_file: token\nrefresh: {allow_private: true}\nsources:\n  - name: wire\n    url: "+feedURL+"\n")
	logs, stop := serveInProcess(t, cfg)
	base := waitAddr(t, logs)
	hub.daemon <- base

	sub := hub.next(t)
	if sub.err != nil {
		t.Fatalf("hub: %v", sub.err)
	}
	f := sub.form
	if f.Get("hub.mode") != "subscribe" || f.Get("hub.topic") != feedURL ||
		!strings.HasPrefix(f.Get("hub.callback"), "http://feeds.example.org/websub/callback/") ||
		len(f.Get("hub.secret")) != 64 || f.Get("hub.lease_seconds") != "864000" {
		t.Fatalf("subscribe request %v: want mode subscribe, the self URL as topic, a callback under base_url, "+
			"a 32-byte hex secret and a 10-day lease", f)
	}
	if sub.status != http.StatusOK || sub.body != sub.challenge {
		t.Fatalf("verification answered %d %q, want 200 echoing %q\n%s", sub.status, sub.body, sub.challenge, logs.String())
	}
	// A verification the daemon did not ask for (another topic) is refused.
	q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {up + "/other.atom"}, "hub.challenge": {"x"}}
	if resp, body := get(t, sub.callback+"?"+q.Encode()); resp.StatusCode != http.StatusNotFound {
		t.Errorf("verification of another topic: %d %q, want 404", resp.StatusCode, body)
	}
	waitFor(t, "the polled entry", func() bool {
		_, body := get(t, base+"/topics/all.json")
		return strings.Contains(body, "Harbour Crane Delivered")
	})
	_, srcs := request(t, "GET", base+"/api/sources", "tok-ws", "")
	if !strings.Contains(srcs, "active at "+hub.url) || strings.Contains(srcs, f.Get("hub.secret")) {
		t.Errorf("/api/sources: want the subscription active, and no secret:\n%s", srcs)
	}
	polls := feedGets.Load()

	secret := f.Get("hub.secret")
	unsigned := webSubFeed(feedURL, hub.url, "Unsigned Dredger Arrives")
	forged := webSubFeed(feedURL, hub.url, "Forged Lighthouse Sale")
	tampered := webSubFeed(feedURL, hub.url, "Tampered Ferry Fares")
	signedElsewhere := webSubFeed(feedURL, hub.url, "Original Ferry Fares")
	for _, p := range []struct{ name, sig, body string }{
		{"unsigned", "", unsigned},
		{"signed with another secret", hubSignature("not the secret", forged), forged},
		{"signature of another body", hubSignature(secret, signedElsewhere), tampered},
		{"unknown method", "md5=" + hubSignature(secret, forged)[len("sha256="):], forged},
	} {
		if code := hubPush(t, sub.callback, p.sig, p.body); code != http.StatusAccepted {
			t.Errorf("%s push: %d, want 202 (acknowledged and dropped)", p.name, code)
		}
	}
	good := webSubFeed(feedURL, hub.url, "Pilot Boat Launched")
	if code := hubPush(t, strings.TrimSuffix(sub.callback, "/")+"x", hubSignature(secret, good), good); code != http.StatusNotFound {
		t.Errorf("push to an unknown callback: %d, want 404", code)
	}
	if code := hubPush(t, sub.callback, hubSignature(secret, good), good); code != http.StatusNoContent {
		t.Fatalf("signed push: %d, want 204\n%s", code, logs.String())
	}
	var all string
	waitFor(t, "the pushed entry in /topics/all.json", func() bool {
		_, all = get(t, base+"/topics/all.json")
		return strings.Contains(all, "Pilot Boat Launched")
	})
	// The bad pushes were answered (and dropped) before the good one was
	// sent, so nothing of theirs can still be on its way.
	var leaked []string
	for _, dropped := range []string{"Unsigned Dredger", "Forged Lighthouse", "Tampered Ferry", "Original Ferry"} {
		if strings.Contains(all, dropped) {
			leaked = append(leaked, dropped)
		}
	}
	if leaked != nil {
		t.Errorf("entries of pushes without a valid signature are in the topic feed: %q\n%s", leaked, all)
	}
	if n := feedGets.Load(); n != polls {
		t.Errorf("the feed was fetched %d times after the push (%d before): the entry must come by push alone", n-polls, polls)
	}
	_, srcs = request(t, "GET", base+"/api/sources", "tok-ws", "")
	if !strings.Contains(srcs, "last push") {
		t.Errorf("/api/sources does not show the push:\n%s", srcs)
	}
	stop()
}

// TestWebSubNotPublic: with a base_url a hub could not reach, serve polls
// a feed that advertises a hub without asking the hub anything, and the
// callback path answers 404.
func TestWebSubNotPublic(t *testing.T) {
	var hubCalls atomic.Int64
	hubURL := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hubCalls.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	var feedURL string
	up := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		io.WriteString(w, webSubFeed(feedURL, hubURL, "Harbour Crane Delivered"))
	}))
	feedURL = up + "/wire.atom"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "topicfeed.yaml")
	os.WriteFile(cfg, []byte("database: tf.db\nlisten: 127.0.0.1:0\nbase_url: http://news.example\n"+
		"retention: {max_age: 36500d}\nsources:\n  - name: wire\n    url: "+feedURL+"\n"), 0o644)
	logs, stop := serveInProcess(t, cfg)
	base := waitAddr(t, logs)
	// The fetch metric is counted after the whole of the source's
	// refresh, the hub lookup included.
	waitFor(t, "the first poll counted", func() bool {
		_, body := get(t, base+"/metrics")
		return strings.Contains(body, `topicfeed_fetches_total{status="200"} 1`)
	})
	if n := hubCalls.Load(); n != 0 {
		t.Errorf("the hub got %d requests from a daemon whose base_url is not public", n)
	}
	resp, err := http.Post(base+"/websub/callback/anything", "application/atom+xml", bytes.NewReader([]byte("<feed/>")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("callback with a private base_url: %d, want 404", resp.StatusCode)
	}
	stop()
}
