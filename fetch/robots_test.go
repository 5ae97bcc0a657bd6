package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRobots(t *testing.T) {
	const txt = `# comment
User-agent: *
Disallow: /private/
Allow: /private/open
Disallow: /*.pdf$

User-agent: otherbot
User-agent: TopicFeed
Disallow: /mine/
Allow: /mine/ok$
`
	cases := []struct {
		agent, path string
		want        bool
	}{
		{"topicfeed", "/mine/x", false},
		{"topicfeed", "/mine/ok", true},
		{"topicfeed", "/mine/ok/more", false},
		{"topicfeed", "/private/x", true}, // its own group replaces *'s
		{"somebot", "/private/x", false},
		{"somebot", "/private/open/page", true},
		{"somebot", "/report.pdf", false},
		{"somebot", "/report.pdf?x=1", true},
		{"somebot", "/", true},
		{"somebot", "/robots.txt", true},
	}
	for _, c := range cases {
		if got := ParseRobots([]byte(txt), c.agent).Allowed(c.path); got != c.want {
			t.Errorf("%s %s: allowed %v, want %v", c.agent, c.path, got, c.want)
		}
	}
	if !ParseRobots([]byte("User-agent: *\nDisallow:\n"), "topicfeed").Allowed("/x") {
		t.Error(`"Disallow:" with no path must allow everything`)
	}
	if ParseRobots([]byte("User-agent: *\nDisallow: /\n"), "topicfeed").Allowed("/x") {
		t.Error(`"Disallow: /" must disallow everything`)
	}
}

// TestParseRobotsGroups: a group names topicfeed by its whole product
// token (any case, a version after it ignored), not by a part of it, and
// is topicfeed's even when its only rule is an empty Disallow; a byte
// order mark does not hide the first line.
func TestParseRobotsGroups(t *testing.T) {
	cases := []struct {
		name, txt string
		want      bool // /x allowed for topicfeed
	}{
		{"own group allows all", "User-agent: topicfeed\nDisallow:\n\nUser-agent: *\nDisallow: /\n", true},
		{"own group allows all, star first", "User-agent: *\nDisallow: /\n\nUser-agent: TopicFeed\nDisallow:\n", true},
		{"own group with a version", "User-agent: topicfeed/1.0\nDisallow:\n\nUser-agent: *\nDisallow: /\n", true},
		{"a part of the token", "User-agent: t\nDisallow:\n\nUser-agent: *\nDisallow: /\n", false},
		{"a part of the token, alone", "User-agent: feed\nDisallow: /\n", true},
		{"a longer token", "User-agent: topicfeedbot\nDisallow: /\n", true},
		{"byte order mark", "\uFEFFUser-agent: topicfeed\nDisallow: /\n", false},
	}
	for _, c := range cases {
		if got := ParseRobots([]byte(c.txt), robotsAgent).Allowed("/x"); got != c.want {
			t.Errorf("%s: /x allowed %v, want %v", c.name, got, c.want)
		}
	}
}

func FuzzParseRobots(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /a*b$\nAllow: /a\n"), "/a/b")
	f.Add([]byte("User-agent: topicfeed\nDisallow: /\n"), "/")
	f.Add([]byte("\x00\xff:::\nAllow"), "")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		r := ParseRobots(body, robotsAgent)
		if !r.Allowed("/robots.txt") {
			t.Fatal("robots.txt itself disallowed")
		}
		// Invariant: with no rule for the agent or *, everything is allowed.
		if !strings.Contains(strings.ToLower(string(body)), "disallow") && !r.Allowed(path) {
			t.Fatalf("no Disallow line, yet %q is disallowed", path)
		}
	})
}

func TestPageHonoursRobots(t *testing.T) {
	var robots, pages atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			robots.Add(1)
			fmt.Fprint(w, "User-agent: *\nDisallow: /no/\n")
		default:
			pages.Add(1)
			if got := r.Header.Get("Accept"); !strings.HasPrefix(got, "text/html") {
				t.Errorf("Accept %q, want HTML first", got)
			}
			fmt.Fprint(w, "<html><body><p>hi</p></body></html>")
		}
	}))
	defer srv.Close()
	c := NewClient(Options{AllowPrivate: true})
	if _, err := c.Page(t.Context(), Request{URL: srv.URL + "/yes/1"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Page(t.Context(), Request{URL: srv.URL + "/no/1"})
	if err == nil || !strings.Contains(err.Error(), "robots.txt") || !strings.Contains(err.Error(), "/no/1") {
		t.Fatalf("disallowed page: %v", err)
	}
	if _, err := c.Page(t.Context(), Request{URL: srv.URL + "/yes/2"}); err != nil {
		t.Fatal(err)
	}
	if robots.Load() != 1 || pages.Load() != 2 {
		t.Errorf("robots.txt fetched %d times, pages %d; want 1 and 2", robots.Load(), pages.Load())
	}
}

// TestRobotsSharedFetchOutlivesCaller: the robots.txt fetch two callers
// share does not end with the caller that started it. The first is
// cancelled while the server holds robots.txt back; it stops waiting at
// once, and the second still gets the rules once the server answers. The
// clock stands still, so a result cached from the cancelled fetch would
// be served to the second caller.
func TestRobotsSharedFetchOutlivesCaller(t *testing.T) {
	asked := make(chan struct{}, 1)
	release := make(chan struct{})
	var robots atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			robots.Add(1)
			asked <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			fmt.Fprint(w, "User-agent: *\nDisallow: /no/\n")
			return
		}
		fmt.Fprint(w, "<html><body><p>hi</p></body></html>")
	}))
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	c := NewClient(Options{AllowPrivate: true})
	at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return at }

	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() {
		_, err := c.Page(ctx, Request{URL: srv.URL + "/yes/1"})
		first <- err
	}()
	<-asked // the shared fetch is under way, held by the server
	second := make(chan error, 2)
	go func() {
		_, err := c.Page(t.Context(), Request{URL: srv.URL + "/yes/2"})
		second <- err
		_, err = c.Page(t.Context(), Request{URL: srv.URL + "/no/2"})
		second <- err
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Fatalf("second caller: %v, want the page", err)
	}
	if err := <-second; !errors.Is(err, ErrRobots) {
		t.Fatalf("second caller, disallowed page: %v, want the rules applied", err)
	}
	if n := robots.Load(); n != 1 {
		t.Errorf("robots.txt fetched %d times, want once", n)
	}
}

func TestPageRobotsMissingAllows(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "<html></html>")
	}))
	defer srv.Close()
	if _, err := NewClient(Options{AllowPrivate: true}).Page(t.Context(), Request{URL: srv.URL + "/a"}); err != nil {
		t.Fatalf("no robots.txt (404) must allow: %v", err)
	}
}

func TestExtractPage(t *testing.T) {
	if _, _, err := ExtractPage("https://x.example/a.pdf", []byte("%PDF"), "application/pdf"); err == nil ||
		!strings.Contains(err.Error(), "not an HTML page") || !strings.Contains(err.Error(), "x.example/a.pdf") {
		t.Errorf("PDF: %v", err)
	}
	if _, _, err := ExtractPage("https://x.example/e", []byte("<html><body><nav>Home</nav></body></html>"), "text/html"); err == nil {
		t.Error("a page with no story extracted something")
	}
	content, text, err := ExtractPage("https://x.example/s", []byte(`<html><body><article><h1>Dam opens</h1>
		<p>The new dam opened on Monday after four years of work by crews from three towns.</p></article></body></html>`), "")
	if err != nil || !strings.Contains(text, "four years") || !strings.HasPrefix(content, "<p>") {
		t.Errorf("story: %q %q %v", content, text, err)
	}
}
