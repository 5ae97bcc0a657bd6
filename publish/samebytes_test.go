package publish_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/internal/pgtest"
	"github.com/topicfeed/topicfeed/publish"
)

// TestBackendsSameBytes builds the same store on SQLite and on PostgreSQL
// (the same ingests, curation, split and merge in the same order) and
// serves every feed, search feed, item page and API answer from both: the
// bodies and their ETags and Last-Modified must be byte for byte the same,
// so a move between backends (copydb) changes nothing readers see.
func TestBackendsSameBytes(t *testing.T) {
	if onPostgres {
		t.Skip("compares both backends itself; ran on the SQLite run")
	}
	sqlite := sameBytesResponses(t, filepath.Join(t.TempDir(), "tf.db"))
	pg := sameBytesResponses(t, pgtest.DSN(t))
	if len(sqlite) != len(pg) {
		t.Fatalf("%d responses on SQLite, %d on PostgreSQL", len(sqlite), len(pg))
	}
	for i, s := range sqlite {
		if p := pg[i]; s != p {
			t.Errorf("SQLite and PostgreSQL differ:\n--- sqlite\n%s\n--- postgres\n%s", s, p)
		}
	}
}

// sameBytesResponses builds the store at path and returns each request and
// its response (status, validators, body) as text.
func sameBytesResponses(t *testing.T, path string) []string {
	t.Helper()
	ctx := context.Background()
	f := openFixture(t, path, func() time.Time { return t0.Add(time.Hour) })
	media := story("m1", "Harbour Ferry Gets Électrique Engines ⚓", "The harbour ferry fleet switches to electric engines next spring, the operator said.", -30*time.Minute)
	media.Published = media.Published.Add(1500 * time.Millisecond) // sub-second dates survive
	media.Author, media.Categories = "Ana Ruiz, Ben Ode", []string{"Transport", "énergie"}
	media.Authors = []feed.Person{{Name: "Ana Ruiz", Email: "ana@example.org"}, {Name: "Ben Ode"}}
	media.Enclosures = []feed.Enclosure{{URL: "https://news.example.org/m1.mp3", Type: "audio/mpeg", Length: 1234}}
	media.Image, media.Comments = "https://news.example.org/m1.jpg", "https://news.example.org/m1#comments"
	media.Site = feed.Site{Name: "Dawn", URL: "https://dawn.example.org/"}
	// Two stories published at the same instant: ties order by id.
	twinA := story("t1", "Port Cranes Arrive", "Four ship-to-shore cranes arrived at the port from the builder's yard overnight.", -12*time.Hour)
	twinB := story("t2", "Port Dredging Starts", "Dredgers began deepening the port's approach channel to fifteen metres this week.", -12*time.Hour)
	f.ingest(t, "dawn", media, twinA, twinB)
	// The same story from another source joins d1; an unchanged re-ingest
	// (which may use up sequence numbers on PostgreSQL) comes before a new item.
	dup := story("w2", "Harbour Terminal Approved", "The harbour authority approved a second container terminal after three years of hearings.", time.Hour)
	dup.URL = "https://news.example.org/d1" // the same link: one story
	f.ingest(t, "wires", dup)
	f.ingest(t, "dawn", story("d1", "Harbour Terminal Approved", "The harbour authority approved a second container terminal after three years of hearings.", 0))
	f.ingest(t, "wires", story("w3", "Harbour Fees Rise", "Harbour fees for cruise ships rise by a tenth from July, the authority announced.", -6*time.Hour))

	h := f.publisher(publish.Options{Admin: admin{f.db}, AdminToken: token}).Handler()
	api := func(method, target, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		return w
	}
	id := func(source, guid string) int64 {
		id, err := f.db.ItemForGUID(ctx, source, guid)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	api("POST", "/api/topics/harbour/pin", fmt.Sprintf(`{"item": %d}`, id("wires", "w1")))
	api("POST", "/api/topics/harbour/hide", fmt.Sprintf(`{"item": %d}`, id("dawn", "t1")))
	d1 := id("dawn", "d1")
	api("POST", fmt.Sprintf("/api/items/%d/split", d1), `{"copy": "wires"}`)
	api("POST", fmt.Sprintf("/api/items/%d/merge", id("dawn", "t2")), fmt.Sprintf(`{"item": %d}`, id("wires", "w3")))

	search := f.publisher(publish.Options{})
	search.Search = publish.NewSearchHandler(f.db, base, nil, publish.SearchLimits{})
	sh := search.Handler()
	var out []string
	record := func(h http.Handler, target string, auth bool) {
		req := httptest.NewRequest("GET", target, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		out = append(out, fmt.Sprintf("GET %s: %d ETag %s Last-Modified %s\n%s", target, w.Code,
			w.Header().Get("ETag"), w.Header().Get("Last-Modified"), w.Body))
	}
	for _, topic := range []string{"harbour", feed.AllTopic} {
		for _, ext := range []string{"rss", "atom", "json"} {
			record(h, "/topics/"+topic+"."+ext, false)
		}
		record(h, "/api/topics/"+topic+"/curation", true)
	}
	for _, q := range []string{"harbour", "port AND NOT cranes", `"container terminal"`, "électrique OR valley", "source:wires OR author:ruiz OR category:transport"} {
		for _, ext := range []string{"rss", "atom", "json"} {
			record(sh, "/search."+ext+"?q="+url.QueryEscape(q), false)
		}
	}
	items, err := f.db.Recent(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		record(h, fmt.Sprintf("/items/%d", it.ID), false)
		record(h, fmt.Sprintf("/api/items/%d", it.ID), true)
		record(h, fmt.Sprintf("/api/items/%d/copies", it.ID), true)
	}
	record(h, "/", false)
	record(h, "/api/topics", true)
	return out
}
