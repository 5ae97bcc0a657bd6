package main

import (
	"context"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/store"
)

// The operator's console (publish/admin.go) as serve wires it: rules
// saved from it are kept by the store, and the daemon's ingester is given
// the new topics so that items arriving later are classified by them.

// topicsChanged hands topics with a newly saved rule to the daemon's
// loop, which restarts the workers with them as a reload does. Only the
// latest list matters, so one waiting list is replaced by a newer one.
func (d *daemon) topicsChanged(ts []*feed.Topic) {
	for {
		select {
		case d.topicsNow <- ts:
			return
		default:
		}
		select {
		case <-d.topicsNow:
		default:
		}
	}
}

func ruleOrigin(r store.TopicRule) publish.RuleOrigin {
	o := publish.RuleOrigin{ConfigMatch: r.ConfigMatch, ConfigExclude: r.ConfigExclude,
		Match: r.ConfigMatch, Exclude: r.ConfigExclude}
	if c := r.Console; c != nil {
		o.Console, o.Match, o.Exclude, o.Saved = true, c.Match, c.Exclude, c.Saved
	}
	return o
}

func (a adminStore) SaveRule(ctx context.Context, t *feed.Topic) (publish.RuleOrigin, error) {
	r, err := a.DB.SaveRule(ctx, t)
	return ruleOrigin(r), err
}

func (a adminStore) TopicRule(ctx context.Context, topic string) (publish.RuleOrigin, error) {
	r, err := a.DB.TopicRule(ctx, topic)
	return ruleOrigin(r), err
}

// sourceDetails fills in what /sources shows beyond the last fetch: folder
// scans, error history, the newest item's date, polling, full content and
// WebSub.
func (a adminStore) sourceDetails(ctx context.Context, srcs []store.SourceInfo, out []publish.SourceStatus) error {
	scans, err := a.DB.FolderScans(ctx)
	if err != nil {
		return err
	}
	errs, err := a.DB.FetchErrors(ctx)
	if err != nil {
		return err
	}
	last, err := a.DB.LastItems(ctx)
	if err != nil {
		return err
	}
	for i, s := range srcs {
		d := publish.SourceDetail{LastItem: last[s.Name], PollInterval: s.PollInterval, PollReason: s.PollReason,
			PageError: s.PageError, PageFailures: s.PageFailures, WebSub: s.WebSub}
		if sc, ok := scans[s.Name]; ok {
			d.Scan = &publish.FolderScan{Scanned: sc.Scanned, Files: sc.Files, Changed: sc.Changed, Ingested: sc.Ingested,
				Added: sc.Added, Updated: sc.Updated, Merged: sc.Merged, Rejected: sc.Rejected}
		}
		for _, e := range errs[s.Name] {
			d.Errors = append(d.Errors, publish.FetchFailure{At: e.At, Status: e.Status, Error: e.Error})
		}
		out[i].SourceDetail = d
	}
	return nil
}
