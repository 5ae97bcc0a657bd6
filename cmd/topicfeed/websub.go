package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/refresh"
	"github.com/topicfeed/topicfeed/store"
)

// renewEvery is how often the daemon looks for WebSub subscriptions to
// renew or retry.
const renewEvery = time.Minute

// errNotRunning answers a callback that comes before the refresher starts
// (or between reloads); the hub tries again.
var errNotRunning = errors.New("refresher not running")

// webSubReceiver hands WebSub callbacks to the refresher running now,
// which a config reload replaces.
type webSubReceiver struct {
	r *atomic.Pointer[refresh.Refresher]
	d *daemon
}

func (w webSubReceiver) VerifyWebSub(ctx context.Context, token string, q url.Values) (string, error) {
	r := w.r.Load()
	if r == nil {
		return "", errNotRunning
	}
	return r.VerifyWebSub(ctx, token, q)
}

func (w webSubReceiver) ReceiveWebSub(ctx context.Context, token string, body []byte, contentType, signature string) error {
	r := w.r.Load()
	if r == nil {
		return errNotRunning
	}
	res, err := r.PushWebSub(ctx, token, body, contentType, signature)
	if err == nil {
		w.d.metrics.Ingested(res.Counts(0))
	}
	return err
}

// webSubCallback is the callback handler when base_url is public, nil
// (no route) otherwise: a hub could not reach it.
func (d *daemon) webSubCallback() http.Handler {
	if refresh.NewWebSub(d.e.cfg.BaseURL) == nil {
		return nil
	}
	d.webSub = webSubReceiver{r: &atomic.Pointer[refresh.Refresher]{}, d: d}
	return publish.NewWebSubCallback(d.webSub, int64(d.e.cfg.Refresh.MaxBody), d.e.log)
}

// startWebSub lets r subscribe to hubs and take their callbacks, and
// renews its subscriptions until ctx ends.
func (d *daemon) startWebSub(ctx context.Context, r *refresh.Refresher, wg *sync.WaitGroup) {
	if d.webSub.r == nil {
		return
	}
	r.WebSub = refresh.NewWebSub(d.e.cfg.BaseURL)
	d.webSub.r.Store(r)
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.RunWebSub(ctx, renewEvery)
	}()
}

// printPagesWebSub adds a line under the sources table for each source
// whose item pages failed (full_content) or that has a WebSub
// subscription; sources with neither print nothing.
func printPagesWebSub(w io.Writer, srcs []store.SourceInfo) error {
	for _, s := range srcs {
		if s.PageFailures > 0 || s.PageError != "" {
			if _, err := fmt.Fprintf(w, "%s: pages: %d items kept their summary; last page error: %s\n",
				s.Name, s.PageFailures, dash(s.PageError)); err != nil {
				return err
			}
		}
		if s.WebSub != "" {
			if _, err := fmt.Fprintf(w, "%s: websub: %s\n", s.Name, s.WebSub); err != nil {
				return err
			}
		}
	}
	return nil
}
