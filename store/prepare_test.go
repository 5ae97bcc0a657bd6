package store

import (
	"context"
	"slices"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// TestPrepareMatchesIngest: a batch prepared before it is stored (as a
// refresh does, off the writer) is stored just as one that was not; one
// prepared for other topics (a reload came between) is prepared again.
func TestPrepareMatchesIngest(t *testing.T) {
	ctx := context.Background()
	items := func() []feed.Item {
		return []feed.Item{item("a", "https://p.example/a", "Terminal approved", storyA), item("b", "", "Heatwave", storyB)}
	}
	rules := map[string]string{"port": "harbour AND terminal", "weather": "heatwave OR drought"}
	state := func(db *DB, topics []*feed.Topic) (members map[string][]string, hits []int64) {
		members = map[string][]string{}
		for _, tp := range topics {
			its, err := db.TopicItems(ctx, tp.Name, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range its {
				members[tp.Name] = append(members[tp.Name], it.Title)
			}
			slices.Sort(members[tp.Name])
		}
		return members, searchIDs(t, db, mustRule(t, `source:"port news" AND (terminal OR heatwave)`), 10)
	}

	plain := mustOpenDB(t)
	topics := mustTopics(t, plain, rules)
	if _, err := plain.IngestBatches(ctx, []Batch{{Source: "port news", Items: items()}}, IngestOptions{Topics: topics}); err != nil {
		t.Fatal(err)
	}
	wantMembers, wantHits := state(plain, topics)
	if len(wantMembers["port"]) != 1 || len(wantMembers["weather"]) != 1 || len(wantHits) != 2 {
		t.Fatalf("unprepared: topics %v, search %v; want one item in each topic and both found", wantMembers, wantHits)
	}

	prep := mustOpenDB(t)
	topics = mustTopics(t, prep, rules)
	b := Batch{Source: "port news", Items: items()}
	b.Prepare(IngestOptions{Topics: topics})
	if _, err := prep.IngestBatches(ctx, []Batch{b}, IngestOptions{Topics: topics}); err != nil {
		t.Fatal(err)
	}
	if m, h := state(prep, topics); !equalMembers(m, wantMembers) || !slices.Equal(h, wantHits) {
		t.Errorf("prepared: topics %v, search %v; want %v, %v", m, h, wantMembers, wantHits)
	}

	stale := mustOpenDB(t)
	topics = mustTopics(t, stale, rules)
	b = Batch{Source: "port news", Items: items()}
	b.Prepare(IngestOptions{Topics: mustTopics(t, stale, map[string]string{"port": "heatwave", "weather": "harbour"})})
	if _, err := stale.IngestBatches(ctx, []Batch{b}, IngestOptions{Topics: topics}); err != nil {
		t.Fatal(err)
	}
	if m, h := state(stale, topics); !equalMembers(m, wantMembers) || !slices.Equal(h, wantHits) {
		t.Errorf("prepared for other topics: topics %v, search %v; want %v, %v", m, h, wantMembers, wantHits)
	}
}

func equalMembers(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
