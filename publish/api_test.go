package publish_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/store"
)

// admin adapts the real store to publish.AdminStore the way serve.go does.
type admin struct{ *store.DB }

func (a admin) SourceStatuses(ctx context.Context) ([]publish.SourceStatus, error) {
	srcs, err := a.DB.Sources(ctx)
	var out []publish.SourceStatus
	for _, s := range srcs {
		out = append(out, publish.SourceStatus{Name: s.Name, URL: s.URL, Path: s.Path, Origin: s.Origin, Items: s.Items,
			LastFetch: s.Fetched, Status: s.Status, Error: s.Error, Failures: s.Failures, Disabled: s.Disabled})
	}
	return out, err
}

func (a admin) AddSource(ctx context.Context, s feed.Source) error {
	err := a.DB.AddSource(ctx, s, store.OriginAPI)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("%w: %w", publish.ErrExists, err)
	}
	return err
}

func (a admin) Curations(ctx context.Context, topic string) ([]publish.Curation, error) {
	cs, err := a.DB.Curations(ctx, topic)
	var out []publish.Curation
	for _, c := range cs {
		out = append(out, publish.Curation{Topic: c.Topic, Item: c.ItemID, Action: c.Action, At: c.At})
	}
	return out, err
}

func (a admin) Sightings(ctx context.Context, id int64) ([]publish.Sighting, error) {
	ss, err := a.DB.Sightings(ctx, id)
	var out []publish.Sighting
	for _, s := range ss {
		out = append(out, publish.Sighting{Source: s.Source, GUID: s.GUID, URL: s.URL, Reason: s.Reason, Seen: s.Seen})
	}
	return out, err
}

const token = "s3cret-token"

// refresher records the refresh passes the API asks for.
type refresher struct {
	mu    sync.Mutex
	asked [][]string
	err   error
}

func (r *refresher) refresh(_ context.Context, names []string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, names)
	if len(names) == 0 {
		names = []string{"dawn", "wires"}
	}
	return names, r.err
}

func apiHandler(t *testing.T) (http.Handler, *fixture, *refresher) {
	f := newFixture(t)
	rf := &refresher{}
	return f.publisher(publish.Options{Admin: admin{f.db}, AdminToken: token, Refresh: rf.refresh}).Handler(), f, rf
}

// call sends an API request with the token and decodes the JSON answer.
func call(t *testing.T, h http.Handler, method, path, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var out map[string]any
	if w.Body.Len() > 0 {
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: not JSON: %v\n%s", method, path, err, w.Body)
		}
	}
	return w.Code, out
}

func TestAPIAuth(t *testing.T) {
	h, _, _ := apiHandler(t)
	tests := []struct {
		name, auth string
		want       int
	}{
		{"no header", "", 401},
		{"wrong token", "Bearer nope", 401},
		{"token prefix", "Bearer s3cret", 401},
		{"basic scheme", "Basic " + token, 401},
		{"right token", "Bearer " + token, 200},
		{"scheme any case", "bearer " + token, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(h, "GET", "/api/topics", "Authorization", tc.auth)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == 401 && (w.Header().Get("WWW-Authenticate") == "" || !strings.Contains(w.Body.String(), `"error"`)) {
				t.Errorf("401 without WWW-Authenticate or JSON error: %v %s", w.Header(), w.Body)
			}
		})
	}
	if w := do(h, "GET", "/api/nothing-here"); w.Code != 401 {
		t.Errorf("unknown path without token = %d, want 401", w.Code)
	}
	if code, out := call(t, h, "GET", "/api/nothing-here", ""); code != 404 || out["error"] == nil {
		t.Errorf("unknown path with token = %d %v, want 404 with error", code, out)
	}
}

func TestAPISources(t *testing.T) {
	h, _, _ := apiHandler(t)
	tests := []struct {
		name, method, path, body string
		want                     int
		wantErr                  string
	}{
		{"add", "POST", "/api/sources", `{"name":"orbit","url":"https://orbit.example.net/feed.xml"}`, 201, ""},
		{"add again", "POST", "/api/sources", `{"name":"orbit","url":"https://orbit.example.net/other.xml"}`, 409, "already exists"},
		{"bad name", "POST", "/api/sources", `{"name":"Orbit News","url":"https://orbit.example.net/"}`, 400, "name"},
		{"relative url", "POST", "/api/sources", `{"name":"rel","url":"/feed.xml"}`, 400, "absolute"},
		{"ftp url", "POST", "/api/sources", `{"name":"ftp","url":"ftp://example.net/feed"}`, 400, "http(s)"},
		{"unknown field", "POST", "/api/sources", `{"name":"x","url":"https://x.example/","interval":"5m"}`, 400, "unknown field"},
		{"not json", "POST", "/api/sources", `name=x`, 400, "request body"},
		{"remove config source", "DELETE", "/api/sources/dawn", "", 409, "config file"},
		{"remove unknown", "DELETE", "/api/sources/nope", "", 404, "not found"},
		{"remove api source", "DELETE", "/api/sources/orbit", "", 204, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := call(t, h, tc.method, tc.path, tc.body)
			if code != tc.want {
				t.Fatalf("status %d, want %d (%v)", code, tc.want, out)
			}
			if msg, _ := out["error"].(string); !strings.Contains(msg, tc.wantErr) || (tc.wantErr == "") != (msg == "") {
				t.Errorf("error %q, want %q", msg, tc.wantErr)
			}
		})
	}
	_, out := call(t, h, "GET", "/api/sources", "")
	var names []string
	for _, s := range out["sources"].([]any) {
		names = append(names, s.(map[string]any)["name"].(string))
	}
	if got := strings.Join(names, ","); got != "dawn,wires" {
		t.Errorf("sources after add and remove = %s, want dawn,wires", got)
	}
}

func TestAPICuration(t *testing.T) {
	h, f, _ := apiHandler(t)
	ctx := context.Background()
	pilot, _ := f.db.ItemForGUID(ctx, "wires", "w1")
	heat, _ := f.db.ItemForGUID(ctx, "dawn", "d2")
	firstTitle := func() string {
		body := do(h, "GET", "/topics/harbour.rss").Body.String()
		_, rest, _ := strings.Cut(body, "<item>")
		_, rest, _ = strings.Cut(rest, "<title>")
		title, _, _ := strings.Cut(rest, "</title>")
		return title
	}
	firstTitle() // cache the feed: pin and hide must invalidate it
	steps := []struct {
		name, method, path, body string
		want                     int
		first                    string
	}{
		{"pin an unmatched item", "POST", "/api/topics/harbour/pin", fmt.Sprintf(`{"item":%d}`, heat), 200, "Heatwave Grips the Valley"},
		{"hide it instead", "POST", "/api/topics/harbour/hide", fmt.Sprintf(`{"item":%d}`, heat), 200, "Harbour Terminal Approved"},
		{"pin the older match", "POST", "/api/topics/harbour/pin", fmt.Sprintf(`{"item":%d}`, pilot), 200, "Port Pilot Boat Launched"},
		{"clear the pin", "DELETE", fmt.Sprintf("/api/topics/harbour/curation/%d", pilot), "", 204, "Harbour Terminal Approved"},
		{"unknown topic", "POST", "/api/topics/nope/pin", `{"item":1}`, 404, ""},
		{"unknown item", "POST", "/api/topics/harbour/hide", `{"item":99999}`, 404, ""},
		{"no item", "POST", "/api/topics/harbour/hide", `{}`, 400, ""},
		{"bad item in path", "DELETE", "/api/topics/harbour/curation/x", "", 400, ""},
	}
	for _, st := range steps {
		code, out := call(t, h, st.method, st.path, st.body)
		if code != st.want {
			t.Fatalf("%s: status %d, want %d (%v)", st.name, code, st.want, out)
		}
		if st.first != "" {
			if got := firstTitle(); got != st.first {
				t.Errorf("%s: first item %q, want %q", st.name, got, st.first)
			}
		}
	}
	_, out := call(t, h, "GET", "/api/topics/harbour/curation", "")
	cur := out["curation"].([]any)
	if len(cur) != 1 || cur[0].(map[string]any)["action"] != "hide" || int64(cur[0].(map[string]any)["item"].(float64)) != heat {
		t.Errorf("curation = %v, want the one hide", cur)
	}
}

func TestAPITopicsItemsRefresh(t *testing.T) {
	h, f, rf := apiHandler(t)
	// Too short to merge on its text alone: the same link makes it a copy.
	w9 := story("w9", "Harbour Terminal Approved", "The harbour authority approved a second container terminal after three years of hearings.", 0)
	w9.URL = "https://news.example.org/d1"
	f.ingest(t, "wires", w9)
	_, out := call(t, h, "GET", "/api/topics", "")
	topics := out["topics"].([]any)
	first := topics[0].(map[string]any)
	if len(topics) != 2 || first["name"] != "harbour" || first["items"].(float64) != 2 ||
		first["feeds"].(map[string]any)["atom"] != base+"/topics/harbour.atom" {
		t.Errorf("topics = %v", topics)
	}
	id, _ := f.db.ItemForGUID(context.Background(), "wires", "w9")
	code, out := call(t, h, "GET", fmt.Sprintf("/api/items/%d", id), "")
	sights, _ := out["sightings"].([]any)
	if code != 200 || len(sights) != 2 || !strings.HasPrefix(sights[1].(map[string]any)["reason"].(string), "url") {
		t.Errorf("explain merged item: %d %v", code, out)
	}
	if code, _ := call(t, h, "GET", "/api/items/424242", ""); code != 404 {
		t.Errorf("unknown item = %d, want 404", code)
	}
	tests := []struct {
		name, body string
		err        error
		want       int
		queued     string
	}{
		{"all", "", nil, 202, "dawn wires"},
		{"some", `{"sources":["wires"]}`, nil, 202, "wires"},
		{"busy", `{}`, fmt.Errorf("queued: %w", publish.ErrBusy), 409, ""},
		{"unknown", `{"sources":["nope"]}`, fmt.Errorf("source nope: %w", feed.ErrNotFound), 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rf.err = tc.err
			code, out := call(t, h, "POST", "/api/refresh", tc.body)
			if code != tc.want {
				t.Fatalf("status %d, want %d (%v)", code, tc.want, out)
			}
			if tc.want == 202 && fmt.Sprint(out["queued"]) != "["+tc.queued+"]" {
				t.Errorf("queued %v, want [%s]", out["queued"], tc.queued)
			}
		})
	}
}
