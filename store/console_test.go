package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// configTopics is what the config file compiles to: fresh topics each call.
func configTopics(t *testing.T, match string) []*feed.Topic {
	t.Helper()
	r, err := feed.ParseRule(match)
	if err != nil {
		t.Fatal(err)
	}
	return []*feed.Topic{{Name: "port", Title: "Port", Match: r, Limit: 50}, {Name: feed.AllTopic, Limit: 50}}
}

func titles(t *testing.T, db *DB, topic string) []string {
	t.Helper()
	items, err := db.TopicItems(context.Background(), topic, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Title)
	}
	slices.Sort(out)
	return out
}

// TestConsoleRulePersists saves a rule from the console, reopens the
// database as a restart does, and checks which rule is in force: the
// console's until the config file's rule changes.
func TestConsoleRulePersists(t *testing.T) {
	ctx := context.Background()
	path := testDBPath(t)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SyncTopics(ctx, configTopics(t, "harbour")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, "desk", []feed.Item{
		item("a", "", "Harbour terminal", storyA),
		item("b", "", "Valley heatwave", storyB),
	}, IngestOptions{Topics: configTopics(t, "harbour")}); err != nil {
		t.Fatal(err)
	}
	if got := titles(t, db, "port"); !slices.Equal(got, []string{"Harbour terminal"}) {
		t.Fatalf("config rule: got %q", got)
	}
	draft := configTopics(t, "heatwave OR harbour")[0]
	tr, err := db.SaveRule(ctx, draft)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Console == nil || tr.Console.Match != "heatwave OR harbour" || tr.ConfigMatch != "harbour" {
		t.Fatalf("after save: %+v (console %+v)", tr, tr.Console)
	}
	want := []string{"Harbour terminal", "Valley heatwave"}
	if got := titles(t, db, "port"); !slices.Equal(got, want) {
		t.Fatalf("console rule: got %q, want %q", got, want)
	}
	db.Close()

	// A restart: the config file still says "harbour"; the console wins.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	topics := configTopics(t, "harbour")
	if err := db.SyncTopics(ctx, topics); err != nil {
		t.Fatal(err)
	}
	if got := topics[0].Match.String(); got != "heatwave OR harbour" {
		t.Errorf("synced topic's rule is %q, want the console's", got)
	}
	if got := titles(t, db, "port"); !slices.Equal(got, want) {
		t.Errorf("after reopening: got %q, want %q", got, want)
	}
	other := configTopics(t, "harbour")
	if err := db.ApplyConsoleRules(ctx, other); err != nil || other[0].Match.String() != "heatwave OR harbour" {
		t.Errorf("ApplyConsoleRules: %v, rule %s", err, other[0].Match)
	}

	// The config file's rule changes: the file wins and the console rule goes.
	topics = configTopics(t, "terminal")
	if err := db.SyncTopics(ctx, topics); err != nil {
		t.Fatal(err)
	}
	if got := titles(t, db, "port"); !slices.Equal(got, []string{"Harbour terminal"}) {
		t.Errorf("after the config changed: got %q", got)
	}
	tr, err = db.TopicRule(ctx, "port")
	if err != nil || tr.Console != nil || tr.ConfigMatch != "terminal" {
		t.Errorf("TopicRule after the config changed: %+v, %v", tr, err)
	}
}

// TestSaveConfigRuleReverts: saving the config file's own rule drops the
// console rule rather than storing a copy of it.
func TestSaveConfigRuleReverts(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	if err := db.SyncTopics(ctx, configTopics(t, "harbour")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveRule(ctx, configTopics(t, "heatwave")[0]); err != nil {
		t.Fatal(err)
	}
	tr, err := db.SaveRule(ctx, configTopics(t, "harbour")[0])
	if err != nil || tr.Console != nil {
		t.Errorf("saving the config rule: %+v, %v; want no console rule", tr, err)
	}
	if _, err := db.SaveRule(ctx, &feed.Topic{Name: "nope"}); err == nil {
		t.Error("saving a rule for an unknown topic worked")
	}
}

func TestFolderScansAndFetchErrors(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	rej := make([]string, 25)
	for i := range rej {
		rej[i] = fmt.Sprintf("bad%d.xml: not a feed", i)
	}
	if err := db.RecordScan(ctx, FolderScan{Source: "desk", Scanned: now, Files: 30, Ingested: 30, Added: 4, Rejected: rej}, true); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Minute)
	if err := db.RecordScan(ctx, FolderScan{Source: "desk", Scanned: later, Files: 31}, false); err != nil {
		t.Fatal(err)
	}
	scans, err := db.FolderScans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := scans["desk"]
	if !s.Scanned.Equal(later) || !s.Changed.Equal(now) || s.Files != 31 || s.Added != 4 || len(s.Rejected) != maxRejectedKept+1 ||
		s.Rejected[0] != "bad0.xml: not a feed" || s.Rejected[maxRejectedKept] != "… and 5 more" {
		t.Errorf("scan = %+v", s)
	}

	for i := range 7 {
		err := db.SaveFetchState(ctx, "wires", &FetchState{Status: 500 + i, Error: fmt.Sprintf("failure %d", i),
			Failures: i + 1, Fetched: now.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveFetchState(ctx, "dawn", &FetchState{Status: 200, Fetched: now}); err != nil {
		t.Fatal(err)
	}
	errs, err := db.FetchErrors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs["dawn"]) != 0 || len(errs["wires"]) != fetchErrorsKept || errs["wires"][0].Error != "failure 6" || errs["wires"][0].Status != 506 {
		t.Errorf("fetch errors = %+v", errs)
	}
}

func TestLastItems(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	old := item("a", "", "Old", storyA)
	old.Published = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, err := db.Ingest(ctx, "desk", []feed.Item{old}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := db.LastItems(ctx)
	if err != nil || !got["desk"].Equal(old.Published) {
		t.Errorf("LastItems = %v, %v; want desk at %v", got, err, old.Published)
	}
}
