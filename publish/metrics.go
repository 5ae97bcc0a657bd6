package publish

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/topicfeed/topicfeed/feed"
)

// Metrics are topicfeed's Prometheus metrics. They live on a registry the
// caller owns (no global state), which also backs the /metrics handler.
type Metrics struct {
	gatherer prometheus.Gatherer
	fetches  *prometheus.CounterVec
	ingested *prometheus.CounterVec
	merged   prometheus.Counter
	requests *prometheus.CounterVec
	refresh  prometheus.Histogram
	// byRoute caches requests' children: looking one up by label values
	// hashes them and was a tenth of a 304's cost.
	byRoute sync.Map // routeCode -> prometheus.Counter
}

type routeCode struct {
	route string
	code  int
}

// request returns the counter of requests to route answered with code.
func (m *Metrics) request(route string, code int) prometheus.Counter {
	k := routeCode{route, code}
	if c, ok := m.byRoute.Load(k); ok {
		return c.(prometheus.Counter)
	}
	c, _ := m.byRoute.LoadOrStore(k, m.requests.WithLabelValues(route, strconv.Itoa(code)))
	return c.(prometheus.Counter)
}

// NewMetrics registers topicfeed's metrics on reg.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		gatherer: reg,
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "topicfeed_fetches_total",
			Help: "Source fetches by outcome: HTTP status, \"error\" before an answer, or \"folder\"."}, []string{"status"}),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "topicfeed_items_ingested_total",
			Help: "Items ingested, by what became of each: new, edit, merged, unchanged, expired, empty or rejected."}, []string{"kind"}),
		merged: prometheus.NewCounter(prometheus.CounterOpts{Name: "topicfeed_duplicates_merged_total",
			Help: "Items merged into an earlier copy of the same story."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "topicfeed_http_requests_total",
			Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"}),
		refresh: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "topicfeed_refresh_duration_seconds",
			Help:    "Time to refresh one source: fetch, parse and store.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 20, 60}}),
	}
	reg.MustRegister(m.fetches, m.ingested, m.merged, m.requests, m.refresh)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{})
}

// Fetched records one source refresh: its outcome label and duration.
func (m *Metrics) Fetched(status string, d time.Duration) {
	m.fetches.WithLabelValues(status).Inc()
	m.refresh.Observe(d.Seconds())
}

// Ingested records what storing a batch did.
func (m *Metrics) Ingested(c feed.IngestCounts) {
	for _, k := range []struct {
		kind string
		n    int
	}{{"new", c.New}, {"edit", c.Edit}, {"merged", c.Merged}, {"unchanged", c.Unchanged},
		{"expired", c.Expired}, {"empty", c.Empty}, {"rejected", c.Rejected}} {
		m.ingested.WithLabelValues(k.kind).Add(float64(k.n))
	}
	m.merged.Add(float64(c.Merged))
}

// observe wraps the router with an access log line and a request count
// per route. The route is the matched pattern (the router sets
// r.Pattern), so the label set stays small whatever paths clients try.
func (p *Publisher) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &recorder{ResponseWriter: w}
		next.ServeHTTP(rw, r)
		if rw.status == 0 {
			rw.status = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if p.opt.Metrics != nil {
			p.opt.Metrics.request(route, rw.status).Inc()
		}
		p.opt.AccessLog.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rw.status), slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", rw.bytes))
	})
}

// recorder notes the status and body size a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom is how http.ServeContent sends a body. A cached feed is in
// memory, so it goes out in one Write (one syscall) rather than being
// copied through 32 KB buffers; anything else takes the server's path.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	var n int64
	var err error
	lr, _ := src.(*io.LimitedReader)
	if br, ok := lrReader(lr); ok && int64(br.Len()) <= lr.N {
		n, err = br.WriteTo(r.ResponseWriter)
		lr.N -= n
	} else if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{r.ResponseWriter}, src)
	}
	r.bytes += n
	return n, err
}

func lrReader(lr *io.LimitedReader) (*bytes.Reader, bool) {
	if lr == nil {
		return nil, false
	}
	br, ok := lr.R.(*bytes.Reader)
	return br, ok
}

// Unwrap lets http.ResponseController reach the server's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
