package refresh

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
)

var pollNow = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// dated returns n items, the newest published `newest` before pollNow and
// each earlier one `gap` before the next.
func dated(n int, newest, gap time.Duration) []feed.Item {
	items := make([]feed.Item, n)
	for i := range items {
		items[i].Published = pollNow.Add(-newest - time.Duration(i)*gap)
	}
	return items
}

func TestPublishRate(t *testing.T) {
	burst := dated(10, time.Hour, 6*time.Hour)
	for i := range 4 { // four items posted a minute apart after a quiet spell
		burst = append(burst, feed.Item{Published: pollNow.Add(-time.Hour + time.Duration(i+1)*time.Minute)})
	}
	batch := dated(6, 2*time.Hour, 24*time.Hour)
	batch = append(batch, batch...) // each day's items posted at the same second
	cases := []struct {
		name  string
		items []feed.Item
		gap   time.Duration
		quiet bool
	}{
		{"daily", dated(10, 3*time.Hour, 24*time.Hour), 24 * time.Hour, false},
		{"busy wire", dated(50, time.Minute, 90*time.Second), 90 * time.Second, false},
		{"one burst does not dominate", burst, 6 * time.Hour, false},
		{"a batch is one publication", batch, 24 * time.Hour, false},
		{"undated", make([]feed.Item, 10), 0, false},
		{"two dates", dated(2, time.Hour, time.Hour), 0, false},
		{"gone quiet", dated(10, 30*24*time.Hour, time.Hour), time.Hour, true},
		{"future dates ignored", append(dated(5, 0, 12*time.Hour), feed.Item{Published: pollNow.Add(48 * time.Hour)}), 12 * time.Hour, false},
	}
	for _, c := range cases {
		r := publishRate(c.items, pollNow)
		if r.gap != c.gap || (r.quiet > 0) != c.quiet {
			t.Errorf("%s: gap %v quiet %v, want gap %v quiet %v", c.name, r.gap, r.quiet, c.gap, c.quiet)
		}
	}
}

func TestChoosePoll(t *testing.T) {
	adapt := pollPolicy{fallback: 30 * time.Minute, min: 5 * time.Minute, max: 24 * time.Hour}
	fixed := adapt
	fixed.fixed = 15 * time.Minute
	rateOf := func(items []feed.Item) rate { return publishRate(items, pollNow) }
	cases := []struct {
		name   string
		p      pollPolicy
		r      rate
		hint   fetch.PollHint
		want   time.Duration
		reason string
	}{
		{"daily source polled daily, not every 30m", adapt, rateOf(dated(10, 3*time.Hour, 24*time.Hour)), fetch.PollHint{},
			24 * time.Hour, "publishes ~every 24h"},
		{"six-hourly", adapt, rateOf(dated(10, time.Hour, 5*time.Hour+40*time.Minute)), fetch.PollHint{},
			5*time.Hour + 40*time.Minute, "publishes ~every 5h40m"},
		{"busy wire at min_interval", adapt, rateOf(dated(50, time.Minute, 90*time.Second)), fetch.PollHint{},
			5 * time.Minute, "publishes ~every 1m30s; min_interval"},
		{"sparse blog at max_interval", adapt, rateOf(dated(10, time.Hour, 9*24*time.Hour)), fetch.PollHint{},
			24 * time.Hour, "publishes ~every 9d; max_interval"},
		{"quiet source slows down", adapt, rateOf(dated(10, 2*24*time.Hour, time.Hour)), fetch.PollHint{},
			12 * time.Hour, "quiet for 48h, published ~every 1h"},
		{"unknown rate", adapt, rate{}, fetch.PollHint{}, 30 * time.Minute, "rate unknown (fewer than 3 dated items); refresh.interval"},
		{"hint lengthens", adapt, rateOf(dated(50, time.Minute, 10*time.Minute)),
			fetch.PollHint{Every: 2 * time.Hour, Reason: "Cache-Control max-age 2h"},
			2 * time.Hour, "Cache-Control max-age 2h; publishes ~every 10m"},
		{"hint never shortens", adapt, rateOf(dated(10, 3*time.Hour, 24*time.Hour)),
			fetch.PollHint{Every: time.Hour, Reason: "RSS ttl 1h"}, 24 * time.Hour, "publishes ~every 24h"},
		{"hint capped at max_interval", adapt, rateOf(dated(10, time.Hour, time.Hour)),
			fetch.PollHint{Every: 7 * 24 * time.Hour, Reason: "sy:updatePeriod weekly"},
			24 * time.Hour, "sy:updatePeriod weekly capped at max_interval; publishes ~every 1h"},
		{"fixed interval kept", fixed, rateOf(dated(10, 3*time.Hour, 24*time.Hour)), fetch.PollHint{},
			15 * time.Minute, "interval set for the source; publishes ~every 24h"},
		{"fixed interval below min_interval kept", pollPolicy{fixed: time.Minute, fallback: time.Hour, min: 5 * time.Minute, max: time.Hour},
			rate{}, fetch.PollHint{}, time.Minute, "interval set for the source"},
		{"fixed interval lengthened by a hint", fixed, rate{}, fetch.PollHint{Every: time.Hour, Reason: "RSS ttl 1h"},
			time.Hour, "RSS ttl 1h"},
	}
	for _, c := range cases {
		got := c.p.choose(c.r, c.hint)
		if got.Interval != c.want || got.Reason != c.reason {
			t.Errorf("%s: got %v %q, want %v %q", c.name, got.Interval, got.Reason, c.want, c.reason)
		}
	}
}

// dailyRSS is a feed of n items published a day apart, the newest at newest.
func dailyRSS(n int, newest time.Time, channel string) []byte {
	return spacedRSS(n, 24*time.Hour, newest, channel)
}

// spacedRSS is a feed of n items published gap apart, the newest at newest.
func spacedRSS(n int, gap time.Duration, newest time.Time, channel string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://example.org/</link>` + channel)
	for i := range n {
		g := fmt.Sprintf("d%d", i)
		fmt.Fprintf(&b, `<item><guid>%s</guid><title>Story %s</title><link>http://example.org/%s</link><description>%s</description><pubDate>%s</pubDate></item>`,
			g, g, g, itemText(g), newest.Add(-time.Duration(i)*gap).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// TestRefreshAdaptsInterval: a daily source's next poll is a day away and
// stored with its reason; a 304 keeps it; a Cache-Control max-age longer
// than the rate lengthens it.
func TestRefreshAdaptsInterval(t *testing.T) {
	up := newUpstream(t)
	up.handle("/daily.xml", feedHandler(`"d1"`, dailyRSS(8, time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC), "")))
	cached := feedHandler(`"c1"`, rssBody("c1"))
	up.handle("/cached.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=10800")
		cached(w, r)
	})
	h := newHarness(t, feed.Source{Name: "daily", URL: up.URL + "/daily.xml"}, feed.Source{Name: "cached", URL: up.URL + "/cached.xml"})
	start := h.now
	h.pass(t, false)

	s := h.source(t, "daily")
	if s.PollInterval != 24*time.Hour || s.PollReason != "publishes ~every 24h" {
		t.Errorf("daily: poll %v %q, want 24h, publishes ~every 24h", s.PollInterval, s.PollReason)
	}
	if lo, hi := start.Add(24*time.Hour*9/10), start.Add(24*time.Hour*11/10); s.NextFetch.Before(lo) || s.NextFetch.After(hi) {
		t.Errorf("daily: next fetch %v, want within %v..%v, not %v from now", s.NextFetch, lo, hi, testInterval)
	}
	c := h.source(t, "cached")
	if c.PollInterval != 3*time.Hour || !strings.HasPrefix(c.PollReason, "Cache-Control max-age 3h") {
		t.Errorf("cached: poll %v %q, want 3h from Cache-Control max-age", c.PollInterval, c.PollReason)
	}

	h.now = start.Add(27 * time.Hour) // past the 24h ±10% spread
	res := h.pass(t, false)
	if !res["daily"].NotModified {
		t.Fatalf("second pass: %+v, want a 304", res["daily"])
	}
	s = h.source(t, "daily")
	if s.PollInterval != 24*time.Hour || s.PollReason != "publishes ~every 24h" || s.NextFetch.Before(h.now.Add(21*time.Hour)) {
		t.Errorf("after a 304: poll %v %q next %v, want the stored 24h kept", s.PollInterval, s.PollReason, s.NextFetch)
	}
}

// TestRefreshQuietBehind304: a source that published hourly and then
// answers nothing but 304s slows down as its silence grows, as a source
// without conditional GET does: after 60 days it is polled at
// max_interval, saying for how long it has been quiet.
func TestRefreshQuietBehind304(t *testing.T) {
	up := newUpstream(t)
	h := newHarness(t, feed.Source{Name: "hourly", URL: up.URL + "/hourly.xml"})
	start := h.now
	up.handle("/hourly.xml", feedHandler(`"h1"`, spacedRSS(21, time.Hour, start.Add(-30*time.Minute), "")))
	if res := h.pass(t, false)["hourly"]; res.Err != nil || res.NotModified || res.New != 21 {
		t.Fatalf("first poll: %+v", res)
	}
	if s := h.source(t, "hourly"); s.PollInterval != time.Hour {
		t.Fatalf("first poll: every %v (%s), want 1h", s.PollInterval, s.PollReason)
	}
	end := start.Add(60 * 24 * time.Hour)
	polls := 0
	for s := h.source(t, "hourly"); !s.NextFetch.After(end); s = h.source(t, "hourly") {
		if polls++; polls > 200 {
			t.Fatalf("%d polls by %v: still every %v (%s)", polls, h.now.Sub(start), s.PollInterval, s.PollReason)
		}
		h.now = s.NextFetch
		if res := h.pass(t, false)["hourly"]; res.Err != nil || !res.NotModified {
			t.Fatalf("poll %d at %v: %+v, want a 304", polls, h.now.Sub(start), res)
		}
	}
	s := h.source(t, "hourly")
	if s.PollInterval != 24*time.Hour || !strings.HasPrefix(s.PollReason, "quiet for ") ||
		!strings.HasSuffix(s.PollReason, "published ~every 1h; max_interval") {
		t.Errorf("after 60 days of 304s: every %v (%s), want 24h, quiet for …; max_interval", s.PollInterval, s.PollReason)
	}
	if next := s.NextFetch.Sub(h.now); next < 24*time.Hour*9/10 {
		t.Errorf("next poll in %v, want about 24h", next)
	}
	t.Logf("%d polls in 60 days; last reason %q", polls, s.PollReason)
}

// BenchmarkChoosePoll is what choosing costs per fetched feed of 50 items:
// to set beside a feed's parse (~1 ms) on the plain polling path.
func BenchmarkChoosePoll(b *testing.B) {
	items := dated(50, time.Hour, 17*time.Minute)
	p := pollPolicy{fallback: 30 * time.Minute, min: 5 * time.Minute, max: 24 * time.Hour}
	for b.Loop() {
		p.choose(publishRate(items, pollNow), fetch.PollHint{})
	}
}
