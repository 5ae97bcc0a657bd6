package publish

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// recordingReceiver answers as the refresher does for one subscription
// "tok" of topic "https://a.example/feed" and records pushes.
type recordingReceiver struct {
	pushes []string
}

func (r *recordingReceiver) VerifyWebSub(_ context.Context, token string, q url.Values) (string, error) {
	if token != "tok" || q.Get("hub.topic") != "https://a.example/feed" {
		return "", feed.ErrNotFound
	}
	return q.Get("hub.challenge"), nil
}

func (r *recordingReceiver) ReceiveWebSub(_ context.Context, token string, body []byte, _, sig string) error {
	switch {
	case token != "tok":
		return feed.ErrNotFound
	case sig != "sha256=good":
		return fmt.Errorf("bad signature: %w", feed.ErrRefused)
	case string(body) == "fail":
		return fmt.Errorf("database is locked")
	}
	r.pushes = append(r.pushes, string(body))
	return nil
}

func TestWebSubCallback(t *testing.T) {
	rec := &recordingReceiver{}
	p := NewPublisher(nil, nil, Options{BaseURL: "https://feeds.example.org"})
	p.WebSub = NewWebSubCallback(rec, 16, nil)
	h := p.Handler()
	cases := []struct {
		name, method, path, sig, body string
		want                          int
		wantBody                      string
	}{
		{"verify", "GET", "/websub/callback/tok?hub.mode=subscribe&hub.topic=https%3A%2F%2Fa.example%2Ffeed&hub.challenge=c123", "", "", 200, "c123"},
		{"verify other topic", "GET", "/websub/callback/tok?hub.mode=subscribe&hub.topic=https%3A%2F%2Fb.example%2F&hub.challenge=c", "", "", 404, ""},
		{"verify unknown", "GET", "/websub/callback/nope?hub.challenge=c", "", "", 404, ""},
		{"signed push", "POST", "/websub/callback/tok", "sha256=good", "<feed/>", 204, ""},
		{"unsigned push", "POST", "/websub/callback/tok", "", "<feed/>", 202, ""},
		{"push too large", "POST", "/websub/callback/tok", "sha256=good", strings.Repeat("x", 17), 413, ""},
		{"push unknown", "POST", "/websub/callback/nope", "sha256=good", "<feed/>", 404, ""},
		{"store fails", "POST", "/websub/callback/tok", "sha256=good", "fail", 500, ""},
		{"wrong method", "PUT", "/websub/callback/tok", "", "", 405, ""},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		if c.sig != "" {
			req.Header.Set("X-Hub-Signature", c.sig)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.want || (c.wantBody != "" && w.Body.String() != c.wantBody) {
			t.Errorf("%s: %d %q, want %d %q", c.name, w.Code, w.Body.String(), c.want, c.wantBody)
		}
	}
	if len(rec.pushes) != 1 || rec.pushes[0] != "<feed/>" {
		t.Errorf("pushes stored: %q, want the signed one alone", rec.pushes)
	}
}

func TestWebSubCallbackOff(t *testing.T) {
	p := NewPublisher(nil, nil, Options{BaseURL: "http://localhost:8080"})
	w := httptest.NewRecorder()
	p.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/websub/callback/tok?hub.challenge=x", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("no callback set: %d, want 404", w.Code)
	}
}
