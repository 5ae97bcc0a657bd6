package refresh

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/internal/pgtest"
)

// TestPostgresDownDuringRefresh stops PostgreSQL for a second in the
// middle of a refresh pass: the pass goes on (writes wait and retry on a
// new connection), nothing is lost, and a source's validators are stored
// only with its items, so the next pass gets every item or a 304.
func TestPostgresDownDuringRefresh(t *testing.T) {
	const feeds, perFeed = 40, 15
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag := `"v1` + r.URL.Path + `"`
		if r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		time.Sleep(50 * time.Millisecond) // a pass long enough to stop the server in
		served.Add(1)
		w.Header().Set("ETag", tag)
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>f</title><link>http://example.org/</link>`)
		for i := range perFeed {
			fmt.Fprintf(&b, `<item><title>Story %[1]s %[2]d</title><guid>%[1]s/%[2]d</guid><pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate>
<description>Quay %[2]d of feed %[1]s reopened after repairs; crews %[1]s%[2]d worked through the weekend on berth %[2]d.</description></item>`, r.URL.Path, i)
		}
		b.WriteString(`</channel></rss>`)
		w.Write([]byte(b.String()))
	}))
	defer srv.Close()

	ctx := t.Context()
	var sources []feed.Source
	for i := range feeds {
		sources = append(sources, feed.Source{Name: fmt.Sprintf("f%02d", i), URL: fmt.Sprintf("%s/f%02d.xml", srv.URL, i)})
	}
	h := newHarnessAt(t, pgtest.DSN(t), sources...)
	db, r := h.db, h.r

	down := make(chan struct{})
	go func() {
		defer close(down)
		for served.Load() < feeds/4 {
			time.Sleep(5 * time.Millisecond)
		}
		pgtest.Stop(t)
		time.Sleep(time.Second)
		pgtest.Start(t)
	}()
	due, err := r.Due(ctx, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, res := range r.Pass(ctx, due) {
		if res.Err != nil {
			failed++
			t.Logf("%s: %v", res.Source, res.Err)
		}
	}
	<-down
	t.Logf("first pass: %d of %d sources failed while the server was down", failed, feeds)

	// Whatever failed is fetched again; what was stored answers 304.
	due, err = r.Due(ctx, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Pass(ctx, due) {
		if res.Err != nil {
			t.Errorf("second pass: %s: %v", res.Source, res.Err)
		}
	}
	if n, err := db.CountItems(ctx); err != nil || n != feeds*perFeed {
		t.Errorf("%d items stored, %v; want %d", n, err, feeds*perFeed)
	}
	all, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Items != perFeed {
			t.Errorf("%s holds %d items, want %d", s.Name, s.Items, perFeed)
		}
	}
}
