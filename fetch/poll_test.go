package fetch

import (
	"net/http"
	"testing"
	"time"
)

func TestCacheHint(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		header map[string]string
		want   time.Duration
		reason string
	}{
		{"none", nil, 0, ""},
		{"max-age", map[string]string{"Cache-Control": "public, max-age=7200"}, 2 * time.Hour, "Cache-Control max-age 2h"},
		{"quoted max-age", map[string]string{"Cache-Control": `max-age="600"`}, 10 * time.Minute, "Cache-Control max-age 10m"},
		{"max-age beats Expires", map[string]string{"Cache-Control": "max-age=60", "Expires": "Tue, 03 Mar 2026 12:00:00 GMT"}, time.Minute, "Cache-Control max-age 1m"},
		{"no-cache", map[string]string{"Cache-Control": "no-cache, max-age=7200"}, 0, ""},
		{"max-age 0", map[string]string{"Cache-Control": "max-age=0"}, 0, ""},
		{"bad max-age", map[string]string{"Cache-Control": "max-age=soon"}, 0, ""},
		{"huge max-age", map[string]string{"Cache-Control": "max-age=99999999999999"}, maxHint, "Cache-Control max-age 365d"},
		{"Expires against now", map[string]string{"Expires": "Mon, 02 Mar 2026 18:00:00 GMT"}, 6 * time.Hour, "Expires in 6h"},
		{"Expires against Date", map[string]string{"Expires": "Mon, 02 Mar 2026 18:00:00 GMT", "Date": "Mon, 02 Mar 2026 17:00:00 GMT"}, time.Hour, "Expires in 1h"},
		{"Expires past", map[string]string{"Expires": "Mon, 02 Mar 2026 11:00:00 GMT"}, 0, ""},
		{"Expires 0", map[string]string{"Expires": "0"}, 0, ""},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.header {
			h.Set(k, v)
		}
		got := cacheHint(h, now)
		if got.Every != c.want || got.Reason != c.reason {
			t.Errorf("%s: got %v %q, want %v %q", c.name, got.Every, got.Reason, c.want, c.reason)
		}
	}
}

func TestFeedPollHint(t *testing.T) {
	const sy = `xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"`
	rss := func(channel string) []byte {
		return []byte(`<?xml version="1.0"?><rss version="2.0" ` + sy + `><channel><title>t</title>` + channel +
			`<item><title>a</title><link>http://example.org/a</link></item></channel></rss>`)
	}
	cases := []struct {
		name   string
		doc    []byte
		want   time.Duration
		reason string
	}{
		{"none", rss(""), 0, ""},
		{"ttl", rss("<ttl>90</ttl>"), 90 * time.Minute, "RSS ttl 1h30m"},
		{"bad ttl", rss("<ttl>an hour</ttl>"), 0, ""},
		{"sy daily", rss("<sy:updatePeriod>daily</sy:updatePeriod>"), 24 * time.Hour, "sy:updatePeriod daily"},
		{"sy frequency", rss("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>"),
			15 * time.Minute, "sy:updatePeriod hourly, sy:updateFrequency 4"},
		{"sy bad frequency", rss("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>0</sy:updateFrequency>"), 0, ""},
		{"sy unknown period", rss("<sy:updatePeriod>fortnightly</sy:updatePeriod>"), 0, ""},
		{"longer wins", rss("<ttl>60</ttl><sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"),
			12 * time.Hour, "sy:updatePeriod daily, sy:updateFrequency 2"},
		{"rdf", []byte(`<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" ` + sy + `>
			<channel rdf:about="http://example.org/"><title>t</title><link>http://example.org/</link><sy:updatePeriod>weekly</sy:updatePeriod></channel>
			<item rdf:about="http://example.org/a"><title>a</title><link>http://example.org/a</link></item></rdf:RDF>`),
			7 * 24 * time.Hour, "sy:updatePeriod weekly"},
	}
	for _, c := range cases {
		p, err := ParseFeedPolled(c.name, c.doc, "http://example.org/feed", "")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p.Hint.Every != c.want || p.Hint.Reason != c.reason || len(p.Items) != 1 {
			t.Errorf("%s: hint %v %q (%d items), want %v %q", c.name, p.Hint.Every, p.Hint.Reason, len(p.Items), c.want, c.reason)
		}
	}
}

func TestFormatInterval(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 90 * time.Second: "1m30s", 12*time.Minute + 20*time.Second: "12m", 5 * time.Minute: "5m", 5*time.Hour + 40*time.Minute + 20*time.Second: "5h40m",
		24 * time.Hour: "24h", 71 * time.Hour: "71h", 9*24*time.Hour + 5*time.Hour: "9d",
	} {
		if got := FormatInterval(d); got != want {
			t.Errorf("FormatInterval(%v) = %q, want %q", d, got, want)
		}
	}
}
