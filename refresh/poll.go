package refresh

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// Bounds of an adapted poll interval when the Refresher is given none;
// config.Default carries the same figures.
const (
	defaultMinInterval = 5 * time.Minute
	defaultMaxInterval = 24 * time.Hour
)

// rateWindow is how many of a document's newest distinct item dates the
// publishing rate is read from: recent enough to follow a change of pace,
// enough gaps that the median shrugs off one burst.
const rateWindow = 21

// minRateDates is the fewest distinct dates a rate is read from: two gaps.
const minRateDates = 3

// quietFactor: a source silent for more than this many of its usual gaps
// has slowed down; it is then polled at 1/quietFactor of its silence, so
// polls thin out as the silence grows and return to pace with its next item.
const quietFactor = 4

// rate is how often a source publishes, read from the dates of the items
// it sent.
type rate struct {
	gap    time.Duration // median gap between recent distinct item dates; 0 when unknown
	quiet  time.Duration // time since the newest item, when it exceeds quietFactor gaps
	newest time.Time     // the newest item date counted; zero with gap
}

// quietAt is r with quiet set for now: how long the source has been
// silent, when that exceeds quietFactor of its gaps.
func (r rate) quietAt(now time.Time) rate {
	r.quiet = 0
	if since := now.Sub(r.newest); r.gap > 0 && !r.newest.IsZero() && since > quietFactor*r.gap {
		r.quiet = since
	}
	return r
}

// publishRate reads the median gap between the newest distinct published
// dates of items. Undated items say nothing; items published at the same
// second count once, so a batch posted together is one publication.
func publishRate(items []feed.Item, now time.Time) rate {
	dates := make([]int64, 0, len(items))
	for i := range items {
		if p := items[i].Published; !p.IsZero() && !p.After(now.Add(time.Hour)) {
			dates = append(dates, p.Unix())
		}
	}
	slices.Sort(dates)
	dates = slices.Compact(dates)
	if len(dates) < minRateDates {
		return rate{}
	}
	dates = dates[max(0, len(dates)-rateWindow):]
	gaps := make([]int64, len(dates)-1)
	for i := range gaps {
		gaps[i] = dates[i+1] - dates[i]
	}
	slices.Sort(gaps)
	mid := len(gaps) / 2
	med := gaps[mid]
	if len(gaps)%2 == 0 {
		med = (gaps[mid-1] + gaps[mid]) / 2
	}
	r := rate{gap: time.Duration(med) * time.Second, newest: time.Unix(dates[len(dates)-1], 0).UTC()}
	return r.quietAt(now)
}

// pollPolicy is how a Refresher chooses a source's poll interval.
type pollPolicy struct {
	fixed    time.Duration // the source's own `interval:`; 0 adapts
	fallback time.Duration // refresh.interval: when the rate is unknown
	min, max time.Duration // refresh.min_interval, max_interval
}

// choose picks the interval of a source's next poll. A fixed interval is
// kept; otherwise it follows the source's publishing rate (the fallback
// when unknown), bounded by min and max. A server hint (Cache-Control,
// Expires, <ttl>, sy:updatePeriod) can only lengthen it, to max at most:
// it asks for fewer polls, never more. The Poll carries r's newest date
// and gap, for the polls after a 304.
func (p pollPolicy) choose(r rate, hint fetch.PollHint) store.Poll {
	poll := p.choose1(r, hint)
	poll.Newest, poll.Gap = r.newest, r.gap
	return poll
}

func (p pollPolicy) choose1(r rate, hint fetch.PollHint) store.Poll {
	var d time.Duration
	var reason string
	published := ""
	if r.gap > 0 {
		published = "publishes ~every " + fetch.FormatInterval(r.gap)
		if r.quiet > 0 {
			published = "quiet for " + fetch.FormatInterval(r.quiet) + ", published ~every " + fetch.FormatInterval(r.gap)
		}
	}
	switch {
	case p.fixed > 0:
		d, reason = p.fixed, join("interval set for the source", published)
	case r.gap == 0:
		d, reason = p.clamp(p.fallback), "rate unknown (fewer than 3 dated items); refresh.interval"
	default:
		want := r.gap
		if r.quiet > 0 {
			want = r.quiet / quietFactor
		}
		d, reason = p.clamp(want), published
		switch {
		case want < p.min:
			reason += "; min_interval"
		case want > p.max:
			reason += "; max_interval"
		}
	}
	if h := min(hint.Every, max(p.max, p.fixed)); h > d {
		why := hint.Reason
		if hint.Every > h {
			why += " capped at max_interval"
		}
		if published != "" {
			why += "; " + published
		}
		return store.Poll{Interval: h, Reason: why}
	}
	return store.Poll{Interval: d, Reason: reason}
}

func (p pollPolicy) clamp(d time.Duration) time.Duration {
	return min(max(d, p.min), p.max)
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

// policy is the poll policy of the named source.
func (r *Refresher) policy(name string) pollPolicy {
	p := pollPolicy{fixed: r.Intervals[name], fallback: r.Default,
		min: r.MinInterval, max: r.MaxInterval}
	if p.min <= 0 {
		p.min = defaultMinInterval
	}
	if p.max <= 0 {
		p.max = max(defaultMaxInterval, p.min)
	}
	if p.fallback <= 0 {
		p.fallback = p.min
	}
	return p
}

// notModifiedPoll is the poll after a 304: nothing new to read a rate
// from, so the stored interval stands (bounded anew, in case the config
// changed), unless the answer's cache headers ask for a longer one, or
// the source has gone quiet since: the newest item date and gap stored by
// the last 200 (s.PollNewest, s.PollGap, read with the rest of s) apply
// the quiet rule, so a source whose server answers 304s slows down as
// one without conditional GET does. The *store.Poll is nil when the
// stored one stands as it is; otherwise it keeps the stored date and gap.
func (r *Refresher) notModifiedPoll(s store.SourceInfo, hint fetch.PollHint, now time.Time) (time.Duration, *store.Poll) {
	p := r.policy(s.Name)
	keep := func(np store.Poll) (time.Duration, *store.Poll) {
		np.Newest, np.Gap = s.PollNewest, s.PollGap
		return np.Interval, &np
	}
	if s.PollInterval <= 0 || p.fixed > 0 {
		np := p.choose(rate{}, hint)
		if np.Interval == s.PollInterval {
			return np.Interval, nil // the stored reason may name the rate too
		}
		return keep(np)
	}
	cur := p.clamp(s.PollInterval)
	if q := (rate{gap: s.PollGap, newest: s.PollNewest}).quietAt(now); q.quiet > 0 {
		if np := p.choose(q, hint); np.Interval >= cur {
			return keep(np) // the reason says for how long it has been quiet
		}
	}
	if h := min(hint.Every, p.max); h > cur {
		return keep(store.Poll{Interval: h, Reason: hint.Reason})
	}
	return cur, nil
}

// jitter spreads polls over ±10% of d so a thousand sources configured
// together do not fire together.
func jitter(d time.Duration) time.Duration {
	return d - d/10 + time.Duration(rand.Int64N(int64(d/5)+1))
}
