package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// ingestOK ingests items and fails the test on error.
func ingestOK(t *testing.T, db *DB, source string, opt IngestOptions, items ...feed.Item) IngestResult {
	t.Helper()
	r, err := db.Ingest(context.Background(), source, items, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func itemCount(t *testing.T, db *DB) int {
	t.Helper()
	return count(t, db, "items")
}

func inFeed(f string, it feed.Item) feed.Item {
	it.Feed = f
	return it
}

// story is a distinct story of about 60 words about subject, so that
// copies have the text a near-duplicate needs.
func longStory(subject string, n int) string {
	return fmt.Sprintf(`%s drew a crowd of %d people to the town hall on Tuesday evening, where councillors spent three hours on the plans.
Residents asked who would pay for the work on %s and when it would start; the mayor said the budget would be set in the spring.
A petition against the scheme has %d signatures, its organisers said, and they will present it at the next meeting of the council.`,
		subject, 100+n, subject, 2000+n)
}

func TestGUIDNamesAnEntryWithinItsFeed(t *testing.T) {
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	a := inFeed("https://a.example/feed", item("0", "https://a.example/bridge", "Bridge reopens", longStory("The bridge", 1)))
	b := inFeed("https://b.example/rss", item("0", "https://b.example/library", "Library extension", longStory("The library", 2)))
	if r := ingestOK(t, db, "local", opt, a); r.New != 1 {
		t.Fatalf("first file: %+v", r)
	}
	if r := ingestOK(t, db, "local", opt, b); r.New != 1 || r.Updated != 0 {
		t.Fatalf("second file with the same guid from another feed: %+v, want new", r)
	}
	if r := ingestOK(t, db, "local", opt, a, b); r.Unchanged != 2 {
		t.Fatalf("both again: %+v, want 2 unchanged", r)
	}
	if n := itemCount(t, db); n != 2 {
		t.Errorf("%d items, want 2", n)
	}
}

func TestSameLinkOtherGUIDIsAnotherEntry(t *testing.T) {
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	var items []feed.Item
	for i, s := range []string{"The bridge", "The library", "The market", "The pool"} {
		items = append(items, item(fmt.Sprint("e", i), "https://town.example/", s+" news", longStory(s, i)))
	}
	if r := ingestOK(t, db, "town", opt, items...); r.New != 4 {
		t.Fatalf("four entries linking to the home page: %+v, want 4 new", r)
	}
	// Another source linking its story to the same home page is no copy.
	other := item("x", "https://town.example/", "Ferry timetable", longStory("The ferry", 9))
	if r := ingestOK(t, db, "other", opt, other); r.New != 1 {
		t.Fatalf("other source, home page link: %+v, want new", r)
	}
	if r := ingestOK(t, db, "town", opt, items...); r.Unchanged != 4 {
		t.Fatalf("again: %+v, want 4 unchanged", r)
	}
}

func TestTeasersAreNotStories(t *testing.T) {
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	const teaser = "Click here to read the full story on our website."
	var items []feed.Item
	for i, title := range []string{"Council approves budget", "Striker signs new deal", "Storm closes schools", "Bakery wins award", "Road works begin"} {
		items = append(items, item(fmt.Sprint("t", i), fmt.Sprintf("https://paper.example/%d", i), title, teaser))
	}
	if r := ingestOK(t, db, "paper", opt, items...); r.New != 5 {
		t.Fatalf("5 teasers: %+v, want 5 new", r)
	}
	// The same teaser in another site's entries joins nothing either.
	more := item("m1", "https://gazette.example/1", "Harbour dredging starts", teaser)
	if r := ingestOK(t, db, "gazette", opt, more); r.New != 1 {
		t.Fatalf("teaser elsewhere: %+v, want new", r)
	}
	var content string
	if err := db.db.QueryRow(`SELECT content FROM items WHERE title = 'Storm closes schools'`).Scan(&content); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(content, "Click here") {
		t.Errorf("published content keeps the teaser: %q", content)
	}
}

func TestSameFeedMergesOnlyAsAnEdit(t *testing.T) {
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	first := item("g1", "", "Bridge reopens", longStory("The bridge", 1))
	ingestOK(t, db, "wire", opt, first)
	// Sent again under a new guid, word for word: an edit, not a new story.
	again := item("g2", "", "Bridge reopens", longStory("The bridge", 1))
	if r := ingestOK(t, db, "wire", opt, again); r.Updated != 1 || r.New != 0 || r.Merged != 0 {
		t.Errorf("same entry, new guid: %+v, want 1 edit", r)
	}
	// A near copy under a new guid in the same feed is another entry.
	near := item("g3", "", "Bridge reopens again", strings.Replace(longStory("The bridge", 1), "Tuesday", "Wednesday", 1))
	if r := ingestOK(t, db, "wire", opt, near); r.New != 1 {
		t.Errorf("similar entry of the same feed: %+v, want new", r)
	}
	// The same near copy from another source is a duplicate.
	if r := ingestOK(t, db, "mirror", opt, item("m1", "", "Bridge reopens", strings.TrimSuffix(longStory("The bridge", 1), "."))); r.Merged != 1 {
		t.Errorf("copy from another source: %+v, want merged", r)
	}
}

func TestShortTextMergesOnlyByIdentity(t *testing.T) {
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	const brief = "Markets closed higher on Friday as oil prices eased."
	ingestOK(t, db, "a", opt, item("a1", "https://a.example/1", "Markets", brief))
	if r := ingestOK(t, db, "b", opt, item("b1", "https://b.example/1", "Markets", brief)); r.New != 1 {
		t.Errorf("same short text, other link: %+v, want new", r)
	}
	if r := ingestOK(t, db, "c", opt, item("c1", "https://a.example/1", "Markets", brief)); r.Merged != 1 {
		t.Errorf("same link: %+v, want merged", r)
	}
}

func TestTemplatesWithOtherNamesAndNumbersStayApart(t *testing.T) {
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	report := func(home, away, ground string, hg, ag int) string {
		return fmt.Sprintf(`%s beat %s %d-%d at %s on Saturday afternoon in front of a full house.
The home side took the lead before half-time and never looked back, with the visitors struggling to create chances in the second half.
The result leaves %s third in the table with six matches to play, while %s drop to ninth after a run of four games without a win.
The manager said afterwards that the squad had worked hard all week and deserved the points, and praised the supporters for their noise.
Tickets for the next home game go on sale on Monday morning at the club shop and online.`, home, away, hg, ag, ground, home, away)
	}
	ingestOK(t, db, "scores", opt, item("r1", "https://scores.example/1", "Result", report("Ashford", "Brackley", "Mill Lane", 3, 1)))
	if r := ingestOK(t, db, "league", opt, item("r2", "https://league.example/2", "Result", report("Corby", "Dunmow", "Station Road", 2, 0))); r.New != 1 {
		t.Errorf("another match from the same template: %+v, want new", r)
	}
	// A true copy, trimmed of its last paragraph, still merges.
	full := report("Ashford", "Brackley", "Mill Lane", 3, 1)
	trimmed := full[:strings.LastIndex(full, "\n")]
	if r := ingestOK(t, db, "county", opt, item("c1", "https://county.example/9", "Ashford win", trimmed)); r.Merged != 1 {
		t.Errorf("trimmed copy: %+v, want merged", r)
	}
}

func TestBoilerplateLearnedAcrossBatches(t *testing.T) {
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	blurb := "Support the show by becoming a member at our website. Subscribe wherever you get your podcasts and leave us a review. " +
		"Follow us on social media for behind the scenes clips. Our theme music is by the Quiet Harbour band, used with permission."
	topics := []string{"keeping bees on a city roof", "restoring an old sailing boat", "learning to bake sourdough bread",
		"walking the coast path in winter", "building a garden pond"}
	for i, topic := range topics {
		// One episode per fetch, each its own feed document of a folder.
		ep := inFeed(fmt.Sprintf("file:///pod/%d.xml", i), item(fmt.Sprint("ep", i), "",
			fmt.Sprintf("Episode %d", i+1), "This week we talk about "+topic+". "+blurb))
		if r := ingestOK(t, db, "pod", opt, ep); r.New != 1 {
			t.Errorf("episode %d: %+v, want new", i+1, r)
		}
	}
	var content string
	if err := db.db.QueryRow(`SELECT content FROM items WHERE title = 'Episode 5'`).Scan(&content); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(content, "sourdough") && !strings.Contains(content, "pond") {
		t.Errorf("episode 5 lost its own text: %q", content)
	}
}

func TestRetentionAtIngest(t *testing.T) {
	db := mustOpenDB(t)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18, MaxAge: 30 * 24 * time.Hour}
	old := item("old", "https://a.example/old", "Old story", longStory("The old pier", 1))
	old.Published = now.Add(-60 * 24 * time.Hour)
	fresh := item("new", "https://a.example/new", "New story", longStory("The new pier", 2))
	fresh.Published = now.Add(-24 * time.Hour)
	if r := ingestOK(t, db, "a", opt, old, fresh); r.Expired != 1 || r.New != 1 {
		t.Fatalf("%+v, want 1 expired, 1 new", r)
	}
	// Pruned by the count limit: a tombstone keeps it from coming back.
	opt.MaxAge = 0
	var items []feed.Item
	for i := range 3 {
		it := item(fmt.Sprint("k", i), fmt.Sprintf("https://b.example/%d", i), fmt.Sprint("Story ", i), longStory(fmt.Sprint("Plan ", i), i))
		it.Published = now.Add(-time.Duration(i) * time.Hour)
		items = append(items, it)
	}
	ingestOK(t, db, "b", opt, items...)
	res, err := db.Prune(context.Background(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 2 { // the two oldest of b
		t.Fatalf("prune: %+v, want 2 deleted", res)
	}
	if r := ingestOK(t, db, "b", opt, items...); r.Expired != 2 || r.Unchanged != 1 || r.New != 0 {
		t.Errorf("re-fetch after prune: %+v, want 2 expired, 1 unchanged", r)
	}
	id, err := db.ItemForGUID(context.Background(), "b", "k0")
	if err != nil || id == 0 {
		t.Errorf("kept item: %d, %v", id, err)
	}
}

func TestLegacySightingsKeepTheirEntries(t *testing.T) {
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	// Stored before sightings knew their feed: feed ''.
	a := item("0", "https://a.example/x", "Bridge reopens", longStory("The bridge", 1))
	ingestOK(t, db, "local", opt, a)
	// The same entry read from its file now: still the same entry.
	if r := ingestOK(t, db, "local", opt, inFeed("https://a.example/feed", a)); r.Unchanged != 1 {
		t.Errorf("legacy row, same entry: %+v, want unchanged", r)
	}
	// Another feed's guid "0" with other text and link is not it.
	b := inFeed("https://b.example/feed", item("0", "https://b.example/y", "Library", longStory("The library", 2)))
	if r := ingestOK(t, db, "local", opt, b); r.New != 1 {
		t.Errorf("other feed, guid 0: %+v, want new", r)
	}
}
