package fetch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind says what a caller should do about a failed fetch.
type Kind int

const (
	// KindTransient: timeouts, connection errors, 408 and 5xx. Back off and retry.
	KindTransient Kind = iota + 1
	// KindRateLimited: 429, or 503 with Retry-After. Wait Error.RetryAfter
	// (when non-zero) before the next attempt.
	KindRateLimited
	// KindGone: 410 Gone. Disable the source.
	KindGone
	// KindPermanent: other 4xx, too many redirects, body too large, blocked
	// address, an HTML page with no feed link. Report it; retrying as is will
	// not help.
	KindPermanent
)

func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindRateLimited:
		return "rate limited"
	case KindGone:
		return "gone"
	case KindPermanent:
		return "permanent"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is the error returned by Client.Fetch. Its message is one line naming
// the URL and the reason, such as "GET https://example.com/feed: 404 Not Found".
type Error struct {
	Kind       Kind
	URL        string        // the URL that failed
	Status     int           // HTTP status, when the server answered
	RetryAfter time.Duration // from Retry-After, for KindRateLimited
	Err        error         // the underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("GET ")
	b.WriteString(e.URL)
	b.WriteString(": ")
	if e.Status != 0 {
		b.WriteString(strconv.Itoa(e.Status))
		if text := http.StatusText(e.Status); text != "" {
			b.WriteString(" " + text)
		}
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (retry after %v)", e.RetryAfter)
		}
		if e.Err != nil {
			b.WriteString(": ")
		}
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsKind reports whether err is, or wraps, an *Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

// timeoutError is the cause of a request that ran past Options.Timeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string   { return fmt.Sprintf("timed out after %v", e.d) }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Unwrap() error   { return context.DeadlineExceeded }
func (e *timeoutError) Is(t error) bool { return t == context.DeadlineExceeded }

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110, section 10.2.3). A date in the past means zero.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// maxRetryAfter bounds what a server can ask for, so a typo or a hostile
// server cannot park a source for years.
const maxRetryAfter = 7 * 24 * time.Hour

// Backoff returns how long to wait after the given number of consecutive
// failures: base doubled per failure beyond the first, capped at ceiling, with
// "equal jitter" (a random point in the upper half of that window), so
// failures=1 waits between base/2 and base. failures < 1 returns 0. A nil rnd
// uses the package-level source of math/rand/v2.
func Backoff(failures int, base, ceiling time.Duration, rnd *rand.Rand) time.Duration {
	if failures < 1 || base <= 0 || ceiling <= 0 {
		return 0
	}
	window := ceiling
	if shift := failures - 1; shift < 62 && base <= ceiling>>shift {
		window = base << shift
	}
	half := window / 2
	var jitter int64
	if rnd != nil {
		jitter = rnd.Int64N(int64(window-half) + 1)
	} else {
		jitter = rand.Int64N(int64(window-half) + 1)
	}
	return half + time.Duration(jitter)
}
