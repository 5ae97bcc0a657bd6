package publish_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
)

// benchPublisher is a publisher as served (metrics on, access log
// formatted and dropped) over a store of 60 items in "all".
func benchPublisher(b *testing.B) *publish.Publisher {
	f := newFixture(b)
	var items []feed.Item
	for i := range 60 {
		items = append(items, story(fmt.Sprintf("b%d", i), fmt.Sprintf("Bench story %d", i),
			fmt.Sprintf("Story %d: %s", i, benchText(i)), time.Duration(i)*time.Minute))
	}
	f.ingest(b, "bench", items...)
	return f.publisher(publish.Options{Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics: publish.NewMetrics(prometheus.NewRegistry())})
}

func benchText(i int) string {
	s := ""
	for j := range 60 {
		s += fmt.Sprintf("word%d-%d ", i, j)
	}
	return s
}

// BenchmarkServeFeed is the in-process cost of one feed request, without
// the network: what the publisher adds on top of writing bytes.
func BenchmarkServeFeed(b *testing.B) {
	pub := benchPublisher(b)
	h := pub.Handler()
	etag := do(h, "GET", "/topics/all.rss").Header().Get("ETag")
	cases := []struct {
		name string
		hdr  []string
		pre  func()
	}{
		{"cached plain", nil, nil},
		{"cached gzip", []string{"Accept-Encoding", "gzip"}, nil},
		{"304", []string{"If-None-Match", etag}, nil},
		{"uncached", nil, pub.Invalidate},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/topics/all.rss", nil)
			for i := 0; i+1 < len(c.hdr); i += 2 {
				req.Header.Set(c.hdr[i], c.hdr[i+1])
			}
			var bytes int
			for b.Loop() {
				if c.pre != nil {
					c.pre()
				}
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				bytes = w.n
			}
			b.ReportMetric(float64(bytes), "bytes/op")
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing but the size.
type discardWriter struct {
	h http.Header
	n int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// BenchmarkAccessLog is a 304 on every CPU at once with the access log
// off, written line by line to a pipe (as before LogWriter), through a
// LogWriter to the same pipe from one shared slog handler, and as serve
// writes it (NewAccessLogger: a handler per request in flight, then the
// LogWriter). A goroutine drains the pipe, as journald would.
func BenchmarkAccessLog(b *testing.B) {
	f := newFixture(b)
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	go io.Copy(io.Discard, r)
	lw := publish.NewLogWriter(w, nil)
	defer lw.Close()
	jsonLog := slog.New(slog.NewJSONHandler(w, nil))
	for _, c := range []struct {
		name string
		o    publish.Options
	}{
		{"off", publish.Options{}},
		{"line by line", publish.Options{Log: jsonLog}},
		{"LogWriter, one handler", publish.Options{Log: jsonLog, AccessLog: slog.New(slog.NewJSONHandler(lw, nil))}},
		{"LogWriter", publish.Options{Log: jsonLog, AccessLog: publish.NewAccessLogger(jsonLog, lw)}},
	} {
		c.o.Metrics = publish.NewMetrics(prometheus.NewRegistry())
		h := f.publisher(c.o).Handler()
		etag := do(h, "GET", "/topics/all.rss").Header().Get("ETag")
		b.Run(c.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/topics/all.rss", nil)
				req.Header.Set("If-None-Match", etag)
				for pb.Next() {
					h.ServeHTTP(&discardWriter{h: http.Header{}}, req)
				}
			})
		})
	}
}
