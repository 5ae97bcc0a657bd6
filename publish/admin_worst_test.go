package publish_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConsoleWorstInput: the console's endpoints under the worst a client
// can send them: a 100 KB rule, query or form, and a burst of wrong
// tokens. Each gets a short answer that does not repeat the input, and
// nothing is saved.
func TestConsoleWorstInput(t *testing.T) {
	c := newConsole(t)
	c.signIn()
	before := c.feedTitles("harbour")
	junk := strings.Repeat("harbour ", 100<<10/8)
	// The playground's form shows a rule back, up to the 2,000 bytes a
	// rule may hold; nothing shows more of the input than that.
	repeats := func(body string) bool { return strings.Contains(body, strings.Repeat("harbour ", 2000/8+1)) }

	for _, path := range []string{
		"/admin/playground?topic=harbour&rule=" + url.QueryEscape(junk),
		"/admin/playground/results?topic=harbour&rule=" + url.QueryEscape(junk),
		"/admin/playground?topic=harbour&rule=harbour&exclude=" + url.QueryEscape(junk),
		"/admin/playground?topic=" + url.QueryEscape(junk),
		"/admin/items/" + strings.Repeat("9", 100<<10),
		"/admin?x=" + url.QueryEscape(junk),
		"/admin/" + strings.Repeat("h", 100<<10),
	} {
		code, body := c.get(path)
		if code >= 500 || len(body) > 64<<10 || repeats(body) || strings.Contains(body, strings.Repeat("9", 300)) ||
			strings.Contains(body, strings.Repeat("h", 300)) {
			t.Errorf("GET %.60s…: %d, %d bytes (repeats the input: %v)", path, code, len(body), repeats(body))
		}
	}

	// A rule over the cap is refused with a message, and not saved.
	code, body, _ := c.post("/admin/rule", url.Values{"csrf": {c.csrf}, "topic": {"harbour"}, "match": {junk}})
	if code < 400 || code >= 500 || repeats(body) {
		t.Errorf("saving a 100 KB rule: %d, %d bytes", code, len(body))
	}
	// A form body past the cap is cut off before it is read whole.
	big := url.Values{"csrf": {c.csrf}, "topic": {"harbour"}, "match": {"harbour"}, "pad": {strings.Repeat("p", 1<<20)}}
	if code, body, _ := c.post("/admin/rule", big); code < 400 || code >= 500 || len(body) > 64<<10 {
		t.Errorf("a 1 MB form: %d, %d bytes", code, len(body))
	}
	if got := c.feedTitles("harbour"); got != before {
		t.Errorf("a refused save changed the feed: %q, was %q", got, before)
	}

	// Wrong tokens, huge or not, sign nobody in, and a burst is slowed
	// down (429) before it can guess on.
	anon := newConsole(t)
	limited := false
	for i := range 20 {
		token := "wrong"
		if i == 0 {
			token = junk
		}
		code, body, _ := anon.post("/admin/login", url.Values{"token": {token}, "next": {"/admin"}})
		if code == http.StatusSeeOther || repeats(body) {
			t.Fatalf("wrong token %d: %d, %d bytes", i, code, len(body))
		}
		limited = limited || code == http.StatusTooManyRequests
	}
	if !limited {
		t.Error("20 wrong tokens in a row were never slowed down")
	}
	if code, _ := anon.get("/admin/playground"); code == http.StatusOK {
		t.Error("the playground answered a client that never signed in")
	}
}
