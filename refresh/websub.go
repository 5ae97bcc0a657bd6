package refresh

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"mime"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// WebSub subscribes to the hubs that polled feeds advertise, so that new
// entries arrive when they are published. Polling goes on as before, at
// the source's own interval: a hub that falls silent, refuses or goes
// away loses nothing, and the push only brings items sooner.
type WebSub struct {
	// Callback is the callback URLs' prefix, BASE_URL/websub/callback/;
	// a subscription's token follows it.
	Callback string
	// Lease is the lease asked of hubs (hub.lease_seconds); the hub has
	// the last word. Default 10 days.
	Lease time.Duration
}

// Times of the subscription life cycle.
const (
	defaultLease = 10 * 24 * time.Hour
	// verifyWait is how long a hub may take to verify a request before
	// it is sent again.
	verifyWait = time.Hour
	// deniedWait is how long a denied subscription waits to ask again.
	deniedWait = 24 * time.Hour
	// retryBase and retryMax bound the back-off after failed requests.
	retryBase, retryMax = time.Hour, 24 * time.Hour
	// maxLease caps the lease a hub grants, and minRenew is the soonest a
	// renewal is sent after a verification, however short the lease.
	maxLease = 365 * 24 * time.Hour
	minRenew = time.Hour
)

// CallbackPath is where the callback is served; the token follows it.
const CallbackPath = "/websub/callback/"

// NewWebSub returns a subscriber calling back at baseURL, or nil when
// baseURL is not public: a hub on the internet could not reach
// localhost, a private address or a single-label host name.
func NewWebSub(baseURL string) *WebSub {
	if !PublicURL(baseURL) {
		return nil
	}
	return &WebSub{Callback: strings.TrimRight(baseURL, "/") + CallbackPath}
}

// PublicURL reports whether u is an absolute http(s) URL a host on the
// internet could reach: not localhost, a loopback, private, link-local or
// unspecified address, nor a name without a dot or under a local-only
// suffix (.local, .internal, .lan, .home.arpa, .localhost).
func PublicURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(p.Hostname(), "."))
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast()
	}
	if !strings.Contains(host, ".") {
		return false
	}
	for _, suffix := range []string{".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test", ".invalid", ".example"} {
		if strings.HasSuffix(host, suffix) {
			return false
		}
	}
	return true
}

func (w *WebSub) lease() time.Duration {
	if w.Lease > 0 {
		return w.Lease
	}
	return defaultLease
}

// notice acts on the hub a freshly polled feed of s names (fetch.FeedHub,
// which costs feeds without one a byte search). A feed that names a hub
// and itself, and has no subscription there yet, is subscribed to; one
// already subscribed is left to RenewWebSub.
func (r *Refresher) notice(ctx context.Context, s store.SourceInfo, hub, self string) {
	sub, err := r.Ingester.DB.Subscription(ctx, s.Name)
	switch {
	case err == nil && sub.Hub == hub && sub.Topic == self:
		return
	case err != nil && !errors.Is(err, store.ErrNotFound):
		r.logger().ErrorContext(ctx, "websub", "source", s.Name, "err", err)
		return
	}
	token, secret := randomHex(16), randomHex(32)
	r.subscribe(ctx, store.Subscription{Source: s.Name, Token: token, Secret: secret, Hub: hub, Topic: self})
}

// subscribe asks sub's hub for a subscription (new, renewed or retried):
// it stores the request as pending first, since a hub may verify it
// before it answers, then records a refusal as failed, to be retried
// with back-off. The hub is the feed's word, not the operator's: it is
// asked with linkClient, which refuses private addresses.
func (r *Refresher) subscribe(ctx context.Context, sub store.Subscription) {
	now := r.now()
	pending := sub
	pending.State, pending.Requested, pending.RenewAt = store.SubPending, now, now.Add(verifyWait)
	if err := r.write(ctx, func() error { return r.Ingester.DB.SaveSubscription(ctx, pending) }); err != nil {
		r.logger().ErrorContext(ctx, "websub", "source", sub.Source, "err", err)
		return
	}
	form := url.Values{
		"hub.mode":          {"subscribe"},
		"hub.topic":         {sub.Topic},
		"hub.callback":      {r.WebSub.Callback + sub.Token},
		"hub.secret":        {sub.Secret},
		"hub.lease_seconds": {strconv.Itoa(int(r.WebSub.lease().Seconds()))},
	}
	client, err := r.linkClient()
	if err == nil {
		err = client.Post(ctx, sub.Hub, form)
	}
	switch {
	case err == nil:
		r.logger().InfoContext(ctx, "websub subscribe requested", "source", sub.Source, "hub", sub.Hub)
		return
	case ctx.Err() != nil:
		return // shutting down; the pending request is sent again later
	}
	r.logger().WarnContext(ctx, "websub subscribe failed; polling goes on", "source", sub.Source, "err", err)
	failed := pending
	failed.State, failed.Error, failed.Failures = store.SubFailed, err.Error(), sub.Failures+1
	failed.RenewAt = now.Add(fetch.Backoff(failed.Failures, retryBase, retryMax, nil))
	if err := r.write(ctx, func() error { return r.Ingester.DB.SaveSubscription(ctx, failed) }); err != nil {
		r.logger().ErrorContext(ctx, "websub", "source", sub.Source, "err", err)
	}
}

// RenewWebSub sends again every subscription due by now: a lease near
// its end (renewed at four fifths of it), a failed or denied request
// whose wait is over, a request the hub never verified. The same token
// and secret are kept, so the hub renews rather than adds a subscription.
// A due subscription of a disabled source (a 410) is given up instead:
// the hub is asked to stop (hub.mode=unsubscribe, best effort) and the
// subscription deleted, so it is not looked at again; a source enabled
// again subscribes anew on its next poll.
func (r *Refresher) RenewWebSub(ctx context.Context) error {
	if r.WebSub == nil {
		return nil
	}
	due, err := r.Ingester.DB.SubscriptionsDue(ctx, r.now())
	if err != nil {
		return err
	}
	for _, sub := range due {
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case sub.Disabled:
			r.unsubscribe(ctx, sub)
			continue
		case sub.State == store.SubPending:
			sub.Failures++
			sub.Error = "the hub did not verify the request"
		}
		r.subscribe(ctx, sub)
	}
	return nil
}

// unsubscribe gives up the subscription of a disabled source. One the hub
// may hold (active, or requested and not yet verified) is kept a while as
// unsubscribing, and the hub asked to drop it: its verification of that
// deletes the subscription. Any other — one the hub refused, denied or
// never answered, an unsubscription it did not verify within verifyWait,
// a request it refuses — is deleted at once. Pushes to a deleted
// subscription answer 404, which tells a hub that did not listen to stop.
func (r *Refresher) unsubscribe(ctx context.Context, sub store.Subscription) {
	drop := func() {
		if err := r.write(ctx, func() error { return r.Ingester.DB.DeleteSubscription(ctx, sub.Token) }); err != nil {
			r.logger().ErrorContext(ctx, "websub", "source", sub.Source, "err", err)
			return
		}
		r.logger().InfoContext(ctx, "websub subscription dropped: the source is disabled", "source", sub.Source, "hub", sub.Hub)
	}
	if sub.State != store.SubActive && sub.State != store.SubPending {
		drop()
		return
	}
	leaving := sub
	leaving.State, leaving.Error, leaving.RenewAt = store.SubUnsubscribing, "", r.now().Add(verifyWait)
	if err := r.write(ctx, func() error { return r.Ingester.DB.SaveSubscription(ctx, leaving) }); err != nil {
		r.logger().ErrorContext(ctx, "websub", "source", sub.Source, "err", err)
		return
	}
	form := url.Values{
		"hub.mode":     {"unsubscribe"},
		"hub.topic":    {sub.Topic},
		"hub.callback": {r.WebSub.Callback + sub.Token},
	}
	client, err := r.linkClient()
	if err == nil {
		err = client.Post(ctx, sub.Hub, form)
	}
	switch {
	case err == nil:
		r.logger().InfoContext(ctx, "websub unsubscribe requested: the source is disabled", "source", sub.Source, "hub", sub.Hub)
	case ctx.Err() == nil:
		r.logger().WarnContext(ctx, "websub unsubscribe failed", "source", sub.Source, "err", err)
		drop()
	}
}

// RunWebSub renews subscriptions every period until ctx ends. The page
// passes of pushed items run in the background under ctx too, and it
// returns once they have stopped, so none writes after it returns.
func (r *Refresher) RunWebSub(ctx context.Context, every time.Duration) {
	if r.WebSub == nil {
		return
	}
	defer r.live(ctx)()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := r.RenewWebSub(ctx); err != nil && ctx.Err() == nil {
			r.logger().ErrorContext(ctx, "websub renew", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// VerifyWebSub answers a hub's verification of intent (the callback's
// GET): the challenge, for a pending subscription of the topic named;
// feed.ErrNotFound for anything else. A denial is recorded.
func (r *Refresher) VerifyWebSub(ctx context.Context, token string, q url.Values) (string, error) {
	sub, err := r.Ingester.DB.SubscriptionByToken(ctx, token)
	if err != nil {
		return "", err
	}
	now := r.now()
	switch mode := q.Get("hub.mode"); {
	case mode == "unsubscribe" && sub.State == store.SubUnsubscribing && q.Get("hub.topic") == sub.Topic && q.Get("hub.challenge") != "":
		if err := r.write(ctx, func() error { return r.Ingester.DB.DeleteSubscription(ctx, token) }); err != nil {
			return "", err
		}
		r.logger().InfoContext(ctx, "websub unsubscribed", "source", sub.Source, "hub", sub.Hub)
		return q.Get("hub.challenge"), nil
	case mode == "denied" && q.Get("hub.topic") == sub.Topic && sub.State != store.SubUnsubscribing:
		sub.State, sub.Error, sub.RenewAt = store.SubDenied, q.Get("hub.reason"), now.Add(deniedWait)
		return "", r.write(ctx, func() error { return r.Ingester.DB.SaveSubscription(ctx, *sub) })
	case mode != "subscribe", sub.State != store.SubPending, sub.Disabled, q.Get("hub.topic") != sub.Topic, q.Get("hub.challenge") == "":
		return "", fmt.Errorf("websub verification %s for %s: %w", mode, sub.Source, feed.ErrNotFound)
	}
	lease := r.WebSub.lease()
	if n, err := strconv.Atoi(q.Get("hub.lease_seconds")); err == nil && n > 0 {
		// Capped before it becomes a Duration, which a huge lease overflows.
		lease = time.Duration(min(n, int(maxLease/time.Second))) * time.Second
	}
	sub.State, sub.Error, sub.Failures = store.SubActive, "", 0
	sub.LeaseEnd, sub.RenewAt = now.Add(lease), now.Add(max(lease-lease/5, minRenew))
	if err := r.write(ctx, func() error { return r.Ingester.DB.SaveSubscription(ctx, *sub) }); err != nil {
		return "", err
	}
	r.logger().InfoContext(ctx, "websub subscribed", "source", sub.Source, "hub", sub.Hub, "lease", lease)
	return q.Get("hub.challenge"), nil
}

// ErrBadSignature is wrapped by PushWebSub's error for content that is
// unsigned or signed with another secret: the hub gets a 2xx, as WebSub
// asks, and nothing is stored.
var ErrBadSignature = fmt.Errorf("bad or missing X-Hub-Signature: %w", feed.ErrRefused)

// PushWebSub stores what a hub pushed to the callback of token at once,
// through the same path as a poll (without touching the source's
// validators), once its X-Hub-Signature checks out against the
// subscription's secret. An unknown token, or one of a disabled source,
// is feed.ErrNotFound: nothing is stored, and the hub is told to stop.
func (r *Refresher) PushWebSub(ctx context.Context, token string, body []byte, contentType, signature string) (store.IngestResult, error) {
	sub, err := r.Ingester.DB.SubscriptionByToken(ctx, token)
	if err != nil {
		return store.IngestResult{}, err
	}
	if sub.Disabled || sub.State == store.SubUnsubscribing {
		// The source was disabled (a 410): as for an unknown callback, so
		// the hub stops pushing.
		return store.IngestResult{}, fmt.Errorf("websub push for disabled source %s: %w", sub.Source, feed.ErrNotFound)
	}
	if !validSignature(sub.Secret, body, signature) {
		return store.IngestResult{}, fmt.Errorf("websub push for %s: %w", sub.Source, ErrBadSignature)
	}
	charset := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		charset = params["charset"]
	}
	r.initLimits()
	r.cpu <- struct{}{}
	items, empty, err := fetch.ParseFeedEmpty("websub push for "+sub.Source, body, sub.Topic, charset)
	b := store.Batch{Source: sub.Source, Items: items}
	if err == nil {
		b.Prepare(r.ingestOptions())
	}
	<-r.cpu
	if err != nil {
		return store.IngestResult{}, fmt.Errorf("%w: %w", err, feed.ErrRefused)
	}
	res, err := r.store(ctx, b)
	if err != nil {
		return res, err
	}
	res.Empty = empty
	at := r.now()
	if err := r.write(ctx, func() error { return r.Ingester.DB.PushReceived(ctx, token, at) }); err != nil {
		return res, err
	}
	if r.fullContentOn(sub.Source) && !r.pagesLater(sub.Source, b.Items) {
		r.logger().DebugContext(ctx, "websub push: pages left to the next refresh", "source", sub.Source)
	}
	r.logger().InfoContext(ctx, "websub push", "source", sub.Source, "new", res.New, "updated", res.Updated)
	return res, nil
}

// live lets pushes start background page passes under ctx, the
// refresher's lifetime, until end is called; end waits for the passes
// running, which stop early once ctx ends.
func (r *Refresher) live(ctx context.Context) (end func()) {
	r.bgMu.Lock()
	r.life = ctx
	r.bgMu.Unlock()
	return func() {
		r.bgMu.Lock()
		r.life = nil
		r.bgMu.Unlock()
		r.passes.Wait()
	}
}

// pagesLater fetches the pages of a push's items, for a full_content
// source, after the hub has had its answer: in the background, under the
// refresher's lifetime, one pass per source at a time. Items pushed while
// a pass runs are left to one more pass after it, which finds them as
// pages never fetched (store.PagesDue). A pass cut short by a shutdown
// leaves its pages to the next refresh's catch-up, as does a push when no
// lifetime is set (RunWebSub not running): then it reports false.
func (r *Refresher) pagesLater(source string, items []feed.Item) bool {
	r.bgMu.Lock()
	defer r.bgMu.Unlock()
	if r.life == nil || r.life.Err() != nil {
		return false
	}
	if _, running := r.pagePass[source]; running {
		r.pagePass[source] = true
		return true
	}
	if r.pagePass == nil {
		r.pagePass = map[string]bool{}
	}
	r.pagePass[source] = false
	ctx := r.life
	r.passes.Add(1)
	go func() {
		defer r.passes.Done()
		for {
			r.fullContent(ctx, source, items)
			r.bgMu.Lock()
			again := r.pagePass[source] && ctx.Err() == nil
			if again {
				r.pagePass[source] = false
			} else {
				delete(r.pagePass, source)
			}
			r.bgMu.Unlock()
			if !again {
				return
			}
			items = nil
		}
	}()
	return true
}

// validSignature checks an X-Hub-Signature header, "method=hex", against
// the HMAC of body with secret: sha1, sha256, sha384 or sha512.
func validSignature(secret string, body []byte, header string) bool {
	method, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if !ok {
		return false
	}
	var h func() hash.Hash
	switch strings.ToLower(method) {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		return false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hmac.Equal(m.Sum(nil), want)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
