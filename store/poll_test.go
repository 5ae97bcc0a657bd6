package store

import (
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// TestFetchStatePoll: a fetch's chosen poll interval and reason are stored
// with its state and listed; a state without one (an error) keeps them.
func TestFetchStatePoll(t *testing.T) {
	ctx := t.Context()
	db := mustOpenDB(t)
	if err := db.SyncSources(ctx, []feed.Source{{Name: "wire", URL: "https://example.org/feed"}}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	poll := &Poll{Interval: 5*time.Hour + 40*time.Minute, Reason: "publishes ~every 5h40m"}
	if err := db.SaveFetchState(ctx, "wire", &FetchState{Status: 200, Fetched: now, NextFetch: now.Add(poll.Interval), Poll: poll}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, list := range []func() ([]SourceInfo, error){
			func() ([]SourceInfo, error) { return db.Sources(ctx) },
			func() ([]SourceInfo, error) { return db.FetchList(ctx, FetchFilter{}) },
		} {
			got, err := list()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].PollInterval != poll.Interval || got[0].PollReason != poll.Reason {
				t.Errorf("%s: listed %+v, want poll %v %q", when, got, poll.Interval, poll.Reason)
			}
		}
	}
	check("after a fetch")
	if err := db.SaveFetchState(ctx, "wire", &FetchState{Status: 500, Error: "GET …: 500", Failures: 1, Fetched: now}); err != nil {
		t.Fatal(err)
	}
	check("after an error")
}
