package fetch

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

	"github.com/topicfeed/topicfeed/feed"
)

// Parsed is a document read for a refresh: its items and what it asks of
// polling.
type Parsed struct {
	Items []feed.Item
	Empty int      // entries left out: no title, text or link (a feed), no title or link (a scrape)
	Hint  PollHint // what the document asks of its readers' polling
}

// PollHint is a publisher asking to be polled at most once per Every;
// Reason says where it asked ("RSS ttl 1h"). The zero value asks nothing.
type PollHint struct {
	Every  time.Duration
	Reason string
}

// Longer is whichever of h and o asks for fewer polls.
func (h PollHint) Longer(o PollHint) PollHint {
	if o.Every > h.Every {
		return o
	}
	return h
}

// maxHint bounds what a document or header can ask for; the refresher
// bounds it again by refresh.max_interval.
const maxHint = 365 * 24 * time.Hour

// customTTL is the gofeed.Feed.Custom key of an RSS channel's <ttl>.
const customTTL = "ttl"

// syPeriods are sy:updatePeriod's values (RSS 1.0 syndication module).
var syPeriods = map[string]time.Duration{
	"hourly":  time.Hour,
	"daily":   24 * time.Hour,
	"weekly":  7 * 24 * time.Hour,
	"monthly": 30 * 24 * time.Hour,
	"yearly":  365 * 24 * time.Hour,
}

// feedPollHint reads a feed's RSS <ttl> (minutes) and sy:updatePeriod /
// sy:updateFrequency (times per period), keeping whichever asks for less.
// Values that do not parse ask nothing.
func feedPollHint(f *gofeed.Feed) PollHint {
	var h PollHint
	if v := f.Custom[customTTL]; v != "" {
		if m, err := strconv.Atoi(v); err == nil && m > 0 {
			d := min(time.Duration(m)*time.Minute, maxHint)
			h = PollHint{Every: d, Reason: "RSS ttl " + FormatInterval(d)}
		}
	}
	sy := f.Extensions["sy"]
	if sy == nil {
		return h
	}
	period := syValue(sy, "updatePeriod")
	every, ok := syPeriods[strings.ToLower(period)]
	if !ok {
		return h
	}
	freq := 1
	if v := syValue(sy, "updateFrequency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return h
		}
		freq = n
	}
	reason := "sy:updatePeriod " + strings.ToLower(period)
	if freq > 1 {
		reason += fmt.Sprintf(", sy:updateFrequency %d", freq)
	}
	return h.Longer(PollHint{Every: max(every/time.Duration(freq), time.Minute), Reason: reason})
}

func syValue(sy map[string][]ext.Extension, name string) string {
	if v := sy[name]; len(v) > 0 {
		return strings.TrimSpace(v[0].Value)
	}
	return ""
}

// cacheHint reads how long a response stays fresh: Cache-Control max-age,
// else Expires less the response's Date (the server's clock), else less
// now. no-store, no-cache, a past Expires or a bad value ask nothing.
func cacheHint(h http.Header, now time.Time) PollHint {
	if cc := h.Get("Cache-Control"); cc != "" {
		for _, dir := range strings.Split(cc, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return PollHint{}
			case "max-age":
				secs, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err != nil || secs <= 0 {
					return PollHint{}
				}
				d := time.Duration(min(secs, int64(maxHint/time.Second))) * time.Second
				return PollHint{Every: d, Reason: "Cache-Control max-age " + FormatInterval(d)}
			}
		}
	}
	exp, err := http.ParseTime(h.Get("Expires"))
	if err != nil {
		return PollHint{}
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	d := min(exp.Sub(now), maxHint)
	if d < time.Second {
		return PollHint{}
	}
	return PollHint{Every: d, Reason: "Expires in " + FormatInterval(d)}
}

// FormatInterval writes a poll interval the way people say it: "45s",
// "1m30s", "5m", "5h40m", "3d", rounded to what matters at its size.
func FormatInterval(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < 10*time.Minute && d.Round(time.Second)%time.Minute != 0:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 72*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		switch {
		case h == 0:
			return fmt.Sprintf("%dm", m)
		case m == 0:
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	return fmt.Sprintf("%dd", int((d+12*time.Hour)/(24*time.Hour)))
}
