package publish

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestNotModifiedAgreesWithServeContent checks writeFeed's 304 shortcut
// against http.ServeContent, which answers every request the shortcut
// lets through: for each set of validators both must decide alike.
func TestNotModifiedAgreesWithServeContent(t *testing.T) {
	const etag = `"abc123"`
	mod := time.Date(2026, 3, 2, 10, 0, 30, 500, time.UTC)
	at := func(d time.Duration) string { return mod.Add(d).Format(http.TimeFormat) }
	cases := []struct {
		method string
		hdr    map[string]string
	}{
		{"GET", nil},
		{"GET", map[string]string{"If-None-Match": etag}},
		{"HEAD", map[string]string{"If-None-Match": etag}},
		{"GET", map[string]string{"If-None-Match": `W/"abc123"`}},
		{"GET", map[string]string{"If-None-Match": `"zzz", "abc123"`}},
		{"GET", map[string]string{"If-None-Match": `"zzz",W/"abc123" `}},
		{"GET", map[string]string{"If-None-Match": `*`}},
		{"GET", map[string]string{"If-None-Match": `"abc"`}},
		{"GET", map[string]string{"If-None-Match": `abc123`}},
		{"GET", map[string]string{"If-None-Match": `"zzz"`, "If-Modified-Since": at(time.Hour)}},
		{"GET", map[string]string{"If-Modified-Since": at(0)}},
		{"GET", map[string]string{"If-Modified-Since": at(time.Hour)}},
		{"GET", map[string]string{"If-Modified-Since": at(-time.Second)}},
		{"GET", map[string]string{"If-Modified-Since": "yesterday"}},
		{"GET", map[string]string{"If-Match": `"zzz"`, "If-None-Match": etag}},
		{"GET", map[string]string{"If-Unmodified-Since": at(-time.Hour), "If-Modified-Since": at(time.Hour)}},
		{"POST", map[string]string{"If-None-Match": etag}},
	}
	// A search that found nothing has no modification time: dates then
	// decide nothing.
	for _, m := range []time.Time{mod, {}} {
		for _, c := range cases {
			r := httptest.NewRequest(c.method, "/topics/x.rss", nil)
			for k, v := range c.hdr {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			w.Header().Set("ETag", etag)
			http.ServeContent(w, r, "", m, bytes.NewReader([]byte("<rss/>")))
			if got, want := notModified(r, etag, m), w.Code == http.StatusNotModified; got != want {
				t.Errorf("%s %v, modified %v: shortcut says 304 %v, ServeContent answers %d", c.method, c.hdr, m, got, w.Code)
			}
		}
	}
}
