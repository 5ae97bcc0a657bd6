package publish

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// SearchLimits bound what one client and all clients together can make
// searches cost (docs/API.md, "Limits"). A zero field takes its default.
// The query caps apply to every search; the others only to searches that
// are run, not answered from the renderings kept.
type SearchLimits struct {
	MaxQuery int // bytes of q (UTF-8); default DefaultMaxQuery
	MaxTerms int // words in q, operators and field names not counted; default DefaultMaxTerms

	Running int           // searches run at once; default GOMAXPROCS
	Waiting int           // searches waiting for a slot; beyond them 503; default 8 × Running
	Timeout time.Duration // per search, waiting for a slot included; default 5 s

	// Rate is searches a second per client address (IPv6 by /64), with
	// bursts of Burst (defaults 10 and 20); a negative Rate switches the
	// per-client limit off (bench/publish, whose wrk is one client).
	Rate    float64
	Burst   int
	Clients int // client addresses tracked at once; default 4096
}

// Defaults of SearchLimits.
const (
	DefaultMaxQuery      = 500
	DefaultMaxTerms      = 32
	DefaultSearchTimeout = 5 * time.Second
	DefaultSearchRate    = 10
	DefaultSearchBurst   = 20
	DefaultSearchClients = 4096
)

func (l SearchLimits) withDefaults() SearchLimits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxQuery, DefaultMaxQuery)
	def(&l.MaxTerms, DefaultMaxTerms)
	def(&l.Running, runtime.GOMAXPROCS(0))
	def(&l.Waiting, 8*l.Running)
	def(&l.Burst, DefaultSearchBurst)
	def(&l.Clients, DefaultSearchClients)
	if l.Timeout <= 0 {
		l.Timeout = DefaultSearchTimeout
	}
	if l.Rate == 0 {
		l.Rate = DefaultSearchRate
	}
	return l
}

// checkQuery rejects a query over the caps before it is parsed, so that
// a huge or many-worded one costs a scan of at most MaxQuery bytes. The
// message does not quote the query.
func (l SearchLimits) checkQuery(q string) string {
	if len(q) > l.MaxQuery {
		return "q is " + strconv.Itoa(len(q)) + " bytes long; a search takes at most " + strconv.Itoa(l.MaxQuery)
	}
	if n := countTerms(q); n > l.MaxTerms {
		return "q has " + strconv.Itoa(n) + " words; a search takes at most " + strconv.Itoa(l.MaxTerms)
	}
	return ""
}

// countTerms counts the words of q as the rule language splits them
// (runs of letters, digits and marks), leaving out the operators AND, OR
// and NOT and field names (a word right before ':'). It only bounds
// cost, so it need not agree with the parser on malformed queries.
func countTerms(q string) int {
	n := 0
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		start := i
		for i < len(q) {
			r, size = utf8.DecodeRuneInString(q[i:])
			if !isWordRune(r) {
				break
			}
			i += size
		}
		switch w := q[start:i]; {
		case w == "AND" || w == "OR" || w == "NOT":
		case i < len(q) && q[i] == ':':
		default:
			n++
		}
	}
	return n
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && ('a' <= r|0x20 && r|0x20 <= 'z' || '0' <= r && r <= '9') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.Is(unicode.Co, r))
}

// errBusy: every slot is taken and the queue is full, or the wait ran
// out; errTooSlow: the search itself ran out of time.
var (
	errBusy    = errors.New("too many searches at once; try again shortly")
	errTooSlow = errors.New("search took too long; try a narrower query")
)

// gate runs at most Running searches at once, lets at most Waiting more
// wait for a slot, and turns the rest away at once.
type gate struct {
	slots   chan struct{}
	waiting chan struct{} // a token per waiter: a full channel is a full queue
}

func newGate(running, waiting int) *gate {
	return &gate{slots: make(chan struct{}, running), waiting: make(chan struct{}, waiting)}
}

// enter takes a slot, waiting until ctx ends at most; the caller must
// call leave after a nil error.
func (g *gate) enter(ctx context.Context) error {
	select {
	case g.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case g.waiting <- struct{}{}:
	default:
		return errBusy
	}
	defer func() { <-g.waiting }()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errBusy
	}
}

func (g *gate) leave() { <-g.slots }

// clientRates is a token bucket per client address, for at most max
// addresses: when the table is full, addresses whose bucket has filled
// up again (idle long enough to be as good as new) are dropped, and then,
// if that was not enough, any others.
type clientRates struct {
	rate  rate.Limit
	burst int
	max   int

	mu      sync.Mutex
	clients map[netip.Addr]*rate.Limiter
}

func newClientRates(perSecond float64, burst, max int) *clientRates {
	if perSecond < 0 {
		return nil
	}
	return &clientRates{rate: rate.Limit(perSecond), burst: burst, max: max, clients: map[netip.Addr]*rate.Limiter{}}
}

// wait is how long the client at remoteAddr must wait before its next
// search: zero when it may search now (and the search is counted).
func (c *clientRates) wait(remoteAddr string, now time.Time) time.Duration {
	if c == nil {
		return 0
	}
	addr := clientAddr(remoteAddr)
	c.mu.Lock()
	lim := c.clients[addr]
	if lim == nil {
		if len(c.clients) >= c.max {
			c.evict(now)
		}
		lim = rate.NewLimiter(c.rate, c.burst)
		c.clients[addr] = lim
	}
	c.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused search costs no token
		return d
	}
	return 0
}

// evict makes room for an eighth of the table; called with mu held.
func (c *clientRates) evict(now time.Time) {
	for a, lim := range c.clients {
		if lim.TokensAt(now) >= float64(c.burst) {
			delete(c.clients, a)
		}
	}
	for a := range c.clients {
		if len(c.clients) < c.max-c.max/8 {
			break
		}
		delete(c.clients, a)
	}
}

// clientAddr is the address a client is counted by: its IP, an IPv6
// client by its /64 (one host commonly holds a whole /64).
func clientAddr(remoteAddr string) netip.Addr {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		a = p.Addr()
	}
	return a
}

// retryAfter sets Retry-After to d in whole seconds, at least 1.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}

// maxNameQuote is how much of a name from the client (a topic, a format,
// a field of an API request) an error message repeats.
const maxNameQuote = 64

// short is s cut to at most n bytes on a rune boundary, with "…" when
// cut: what a message or a feed title may quote of client input.
func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
