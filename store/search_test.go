package store

import (
	"context"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// searchItems are stored from two sources, newest last, with the accent,
// case and field cases the rule language distinguishes.
var searchItems = []struct {
	source string
	it     feed.Item
}{
	{"dawn", feed.Item{GUID: "1", Title: "Pakistan and US sign minerals deal", Text: "Islamabad and Washington agreed.", Author: "Ayesha Khan", Categories: []string{"Business", "Foreign policy"}}},
	{"dawn", feed.Item{GUID: "2", Title: "Let us talk", Text: "Pakistan asked us to wait.\nThe United\nStates replied."}},
	{"desk", feed.Item{GUID: "3", Title: "Shehbāz on IT exports", Text: "Software exports grew; it said exports rose."}},
	{"desk", feed.Item{GUID: "4", Title: "Steel tariffs", Text: "Minister Mu\u0308ller spoke on steel."}},
	{"desk", feed.Item{GUID: "5", Title: "Oﬃcial ﬁnance ＦＵＮＤ", Text: "Climate-finance pledges; loss and damage."}},
	{"dawn", feed.Item{GUID: "6", Title: "Cricket", Text: "Pakistan beat the US at cricket in Washington."}},
	{"desk", feed.Item{GUID: "7", Title: "Business as usual", Text: "Busan metro-politan omnibus."}},
	// Georgian capitals (Mtavruli) lower-case to Mkhedruli in Go's Unicode
	// tables but not in SQLite's older ones.
	{"desk", feed.Item{GUID: "8", Title: "ᲡᲐᲥᲐᲠᲗᲕᲔᲚᲝ", Text: "Ⴀ ⴀ"}},
}

var searchRules = []string{
	`Pakistan AND ("United States" OR US OR Washington) NOT cricket`,
	`"united states"`,
	`US`, `us`, `IT exports`, `Shehbaz`, `Müller AND steel`, `muller`,
	`official`, `finance`, `fund`, `FUND`, `"climate finance"`, `"loss and damage"`,
	`bus OR metro`, `source:dawn`, `source:desk AND NOT title:steel`, `author:khan`,
	`category:"foreign policy"`, `category:business`, `title:pakistan`, `body:pakistan`,
	`NOT cricket`, `NOT (Pakistan OR desk)`, `cricket OR NOT Pakistan`, `nothing`,
	`საქართველო`, `ⴀ`,
}

func storeSearchItems(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	mustTopics(t, db, nil)
	for i, s := range searchItems {
		it := s.it
		it.Published = time.Date(2026, 3, 1+i, 12, 0, 0, 0, time.UTC)
		if _, err := db.Ingest(ctx, s.source, []feed.Item{it}, IngestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// bruteForce is what Search must return: every stored item the rule
// matches, newest first.
func bruteForce(t *testing.T, db *DB, r *feed.Rule) []int64 {
	t.Helper()
	ctx := context.Background()
	ids, err := db.ids(ctx, `SELECT id FROM items ORDER BY published DESC, id DESC`)
	if err != nil {
		t.Fatal(err)
	}
	items, err := db.itemsByID(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, it := range items {
		if r.Match(feed.ItemDoc(it)) {
			out = append(out, it.ID)
		}
	}
	return out
}

func searchIDs(t *testing.T, db *DB, r *feed.Rule, limit int) []int64 {
	t.Helper()
	items, err := db.Search(context.Background(), r, limit)
	if err != nil {
		t.Fatalf("Search(%s): %v", r, err)
	}
	var ids []int64
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

func mustRule(t testing.TB, src string) *feed.Rule {
	t.Helper()
	r, err := feed.ParseRule(src)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSearchMatchesRule(t *testing.T) {
	db := mustOpenDB(t)
	storeSearchItems(t, db)
	for _, src := range searchRules {
		r := mustRule(t, src)
		got, want := searchIDs(t, db, r, 500), bruteForce(t, db, r)
		if !slices.Equal(got, want) {
			t.Errorf("Search(%s) = %v, want %v (FTS %q)", src, got, want, r.FTSQuery())
		}
	}
	if got := searchIDs(t, db, mustRule(t, "NOT nothing"), 2); len(got) != 2 {
		t.Errorf("limit 2: got %d items", len(got))
	}
	items, err := db.Search(context.Background(), mustRule(t, "minerals"), 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("Search(minerals) = %v, %v", items, err)
	}
	if it := items[0]; it.Title != searchItems[0].it.Title || !slices.Equal(it.Sources, []string{"dawn"}) {
		t.Errorf("item = %q from %v", it.Title, it.Sources)
	}
}

// TestSearchPagesPastRejects: FTS5 cannot tell "US" from "us", so the
// newest candidates are all rejected; Search keeps paging to the old match.
func TestSearchPagesPastRejects(t *testing.T) {
	db := mustOpenDB(t)
	mustTopics(t, db, nil)
	ctx := context.Background()
	old := item("us", "", "US budget", "The US budget passed.")
	old.Published = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := []feed.Item{old}
	for i := range 300 {
		it := item(fmt.Sprint(i), "", fmt.Sprintf("Note %d", i), fmt.Sprintf("Call us about case %d.", i))
		it.Published = old.Published.Add(time.Duration(i+1) * time.Hour)
		batch = append(batch, it)
	}
	if _, err := db.Ingest(ctx, "s", batch, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	got := searchIDs(t, db, mustRule(t, "US"), 1)
	if len(got) != 1 {
		t.Fatalf("Search(US) = %v, want the 2020 item", got)
	}
	if it, _ := db.Item(ctx, got[0]); it.Title != "US budget" {
		t.Errorf("Search(US) = %q", it.Title)
	}
}

// TestSearchItemsAsStored: Search loads a page of rows and credits in one
// statement and puts them back in date order itself; every item must come
// out as Item loads it (every copy's source and credit, first copy
// first), newest first with equal dates by id, within the first page and
// past it.
func TestSearchItemsAsStored(t *testing.T) {
	db := mustOpenDB(t)
	mustTopics(t, db, nil)
	ctx := context.Background()
	var batch []feed.Item
	for i := range 150 {
		it := item(fmt.Sprint(i), fmt.Sprintf("https://news.example/%d", i), fmt.Sprintf("Harbour report %d", i),
			fmt.Sprintf("The harbour crane number %d was inspected by the port authority on a windy morning.", i))
		// Runs of equal dates, out of id order: ties are broken by id.
		it.Published = it.Published.Add(time.Duration((i*7)%40) * time.Hour)
		batch = append(batch, it)
	}
	if _, err := db.Ingest(ctx, "first", batch, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	// Copies of some stories from two more sources, with sites to credit.
	for _, src := range []string{"second", "third"} {
		var copies []feed.Item
		for i := 0; i < 150; i += 4 {
			c := batch[i]
			c.GUID = src + c.GUID
			c.Site = feed.Site{Name: "Site " + src, URL: "https://" + src + ".example/"}
			copies = append(copies, c)
		}
		if _, err := db.Ingest(ctx, src, copies, IngestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r := mustRule(t, "harbour")
	want := bruteForce(t, db, r)
	if len(want) != 150 {
		t.Fatalf("brute force found %d items, want 150", len(want))
	}
	for _, limit := range []int{1, 20, 150} { // one page, and past the first page of 64
		got, err := db.Search(ctx, r, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != limit {
			t.Fatalf("Search(limit %d) = %d items", limit, len(got))
		}
		for i, it := range got {
			if it.ID != want[i] {
				t.Fatalf("Search(limit %d)[%d] = item %d, want %d", limit, i, it.ID, want[i])
			}
			stored, err := db.Item(ctx, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(it, stored) {
				t.Fatalf("Search(limit %d)[%d] = %+v\nItem(%d) = %+v", limit, i, it, it.ID, stored)
			}
		}
	}
	got, err := db.Search(ctx, r, 150)
	if err != nil {
		t.Fatal(err)
	}
	copied := 0
	for _, it := range got {
		if len(it.Sources) == 3 && len(it.Credits) == 3 && it.Sources[0] == "first" {
			copied++
		}
	}
	if copied != 38 {
		t.Errorf("%d items carry the three sources first copy first, want 38", copied)
	}
}

// TestSearchFollowsChanges: the triggers keep the index in step with
// edits, merges from another source, and deletes.
func TestSearchFollowsChanges(t *testing.T) {
	db := mustOpenDB(t)
	mustTopics(t, db, nil)
	ctx := context.Background()
	a := item("a", "https://x.example/a", "Harbour terminal", storyA)
	if _, err := db.Ingest(ctx, "one", []feed.Item{a}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	a.Title, a.Text = "Harbour quay", strings.Replace(storyA, "terminal", "quay", -1)
	if _, err := db.Ingest(ctx, "one", []feed.Item{a}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	b := a
	b.GUID = "b"
	if _, err := db.Ingest(ctx, "two", []feed.Item{b}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		rule string
		n    int
	}{{"terminal", 0}, {"quay", 1}, {"title:quay", 1}, {"source:one AND source:two", 1}, {"source:three", 0}}
	for _, c := range checks {
		if got := searchIDs(t, db, mustRule(t, c.rule), 10); len(got) != c.n {
			t.Errorf("after edit and merge: Search(%s) = %v, want %d items", c.rule, got, c.n)
		}
	}
	hits := func() int {
		t.Helper()
		var n int
		if err := indexHits(db, mustRule(t, "quay").FTSQuery()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := hits(); n != 1 {
		t.Errorf("before delete: %d index hits, want 1", n)
	}
	if _, err := db.db.Exec(`DELETE FROM items`); err != nil {
		t.Fatal(err)
	}
	if n := hits(); n != 0 {
		t.Errorf("after delete: %d index hits, want 0", n)
	}
}

// TestSearchMigratesExistingItems: migration 0003 indexes items stored
// before it.
func TestSearchMigratesExistingItems(t *testing.T) {
	sqliteOnly(t, "replays SQLite migrations 0003-0007")
	db := mustOpenDB(t)
	storeSearchItems(t, db)
	for _, stmt := range append(undo0005, `DROP TRIGGER search_new`, `DROP TRIGGER search_merge`, `DROP TRIGGER search_update`,
		`DROP TRIGGER search_delete`, `DROP VIEW search_docs`, `DROP TABLE search`, `DROP INDEX items_id_published`,
		`PRAGMA user_version = 2`) {
		if _, err := db.db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	path := db.Path()
	db.Close()
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := mustRule(t, "Shehbaz OR source:dawn")
	if got, want := searchIDs(t, db, r, 50), bruteForce(t, db, r); len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("after migrating: Search = %v, want %v", got, want)
	}
}

const devsetArticles = "../../shared/devset/articles"

// devsetRules are the devset's topic rules and the tokenisation corners
// its texts exercise.
var devsetRules = []string{
	`Pakistan AND ("United States" OR US OR Washington) NOT cricket`,
	`(China OR Beijing) AND (tariff OR tariffs OR soybeans OR "export controls")`,
	`"climate finance" OR ("loss and damage" AND fund)`,
	`title:tariff OR title:tariffs`,
	`body:"trade deal" AND NOT title:"trade deal"`,
	`Shehbaz`, `Shehbāz`, `Müller AND (steel OR automakers)`, `Muller`, `football`,
	`bus OR buses OR metro`, `IT exports`, `WHO AND (polio OR vaccination)`,
	`US`, `"United States"`, `Pakistan`, `Chinese-made`, `Pakistan’s`, `"the United States"`,
}

// TestSearchDevset stores each devset article as it is on disk (no chrome
// removal: this is about tokenising, not extraction) and checks, for every
// devset rule, that the FTS5 candidates hold every item Rule.Match accepts
// (Shehbāz, Shehb&#257;z, NFD Müller included) and that Search returns
// exactly those.
func TestSearchDevset(t *testing.T) {
	entries, err := os.ReadDir(devsetArticles)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("../shared/devset absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	db := mustOpenDB(t)
	mustTopics(t, db, nil)
	ctx := context.Background()
	for i, e := range entries {
		data, err := os.ReadFile(filepath.Join(devsetArticles, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if strings.HasSuffix(e.Name(), ".html") {
			text = html.UnescapeString(text) // Shehb&#257;z
		}
		title, body, _ := strings.Cut(strings.TrimSpace(text), "\n")
		it := feed.Item{GUID: e.Name(), Title: title, Text: body,
			Published: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)}
		if _, err := db.Ingest(ctx, strings.SplitN(e.Name(), "_", 3)[1], []feed.Item{it}, IngestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range devsetRules {
		r := mustRule(t, src)
		want := bruteForce(t, db, r)
		cands, err := db.searchCandidates(ctx, r.FTSQuery())
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range want {
			if !slices.Contains(cands, id) {
				t.Errorf("%s: item %d matches but is not an FTS candidate of %q", src, id, r.FTSQuery())
			}
		}
		if got := searchIDs(t, db, r, 500); !slices.Equal(got, want) {
			t.Errorf("Search(%s) = %v, want %v", src, got, want)
		}
		t.Logf("%-75s %2d candidates, %2d matches", src, len(cands), len(want))
	}
}

// TestCurationSurvives: a pin and a hide outlast re-ingest of the same
// items, an edit, a rule change that recomputes the topic, and a restart.
func TestCurationSurvives(t *testing.T) {
	db := mustOpenDB(t)
	ctx := context.Background()
	opt := IngestOptions{Topics: mustTopics(t, db, map[string]string{"news": "harbour OR heatwave"})}
	a := item("a", "https://x.example/a", "Harbour terminal", storyA)
	b := item("b", "https://x.example/b", "Heatwave", storyB)
	b.Published = a.Published.Add(time.Hour)
	other := item("c", "https://x.example/c", "Budget", "The budget passed after a long debate in the assembly.")
	batch := []feed.Item{a, b, other}
	if _, err := db.Ingest(ctx, "s", batch, opt); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, g := range []string{"a", "b", "c"} {
		id, err := db.ItemForGUID(ctx, "s", g)
		if err != nil {
			t.Fatal(err)
		}
		ids[g] = id
	}
	if err := db.Curate(ctx, "news", ids["c"], Pin); err != nil {
		t.Fatal(err)
	}
	if err := db.Curate(ctx, "news", ids["b"], Hide); err != nil {
		t.Fatal(err)
	}
	want := []int64{ids["c"], ids["a"]}
	check := func(when string) {
		t.Helper()
		items, err := db.TopicItems(ctx, "news", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, it := range items {
			got = append(got, it.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: topic holds %v, want pinned %d first and hidden %d absent: %v", when, got, ids["c"], ids["b"], want)
		}
	}
	check("curated")
	if _, err := db.Ingest(ctx, "s", batch, opt); err != nil {
		t.Fatal(err)
	}
	check("after re-ingest")
	other.Text += " Members walked out."
	if _, err := db.Ingest(ctx, "s", []feed.Item{other}, opt); err != nil {
		t.Fatal(err)
	}
	check("after an edit of the pinned item")
	mustTopics(t, db, map[string]string{"news": "harbour OR heatwave OR terminal"})
	check("after a rule change")
	path := db.Path()
	db.Close()
	reopened, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	db = reopened
	check("after reopening")
}

// TestSearchIndexesWordsMadeForTopics: with a topic rule, new items are
// tokenised once, for the rule, and indexed from those words; an item a
// later copy in the same batch merged from another source is indexed
// with both source names.
func TestSearchIndexesWordsMadeForTopics(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, map[string]string{"harbour": "harbour"}), NearDistance: 12}
	if _, err := db.IngestBatches(ctx, []Batch{
		{Source: "port news", Items: []feed.Item{item("a", "https://p.example/a", "Terminal approved", storyA),
			item("b", "", "Heatwave", storyB)}},
		{Source: "daily", Items: []feed.Item{item("c", "https://p.example/a", "Port terminal", "A teaser.")}},
	}, opt); err != nil {
		t.Fatal(err)
	}
	a, _ := db.ItemForGUID(ctx, "port news", "a")
	b, _ := db.ItemForGUID(ctx, "port news", "b")
	for _, c := range []struct {
		rule string
		want []int64
	}{
		{`"container terminal"`, []int64{a}},
		{`title:heatwave`, []int64{b}},
		{`source:port`, []int64{b, a}},
		{`source:daily`, []int64{a}},
		{`wheat AND harvest`, []int64{b}},
	} {
		r := mustRule(t, c.rule)
		if got := searchIDs(t, db, r, 10); !slices.Equal(got, c.want) {
			t.Errorf("Search(%s) = %v, want %v", c.rule, got, c.want)
		}
		var hits int
		if err := indexHits(db, r.FTSQuery()).Scan(&hits); err != nil || hits < len(c.want) {
			t.Errorf("%s: %d index hits (%v), want at least %d", c.rule, hits, err, len(c.want))
		}
	}
}

// TestSearchNewItemChangedInItsTransaction: a new item is indexed with the
// terms made before the transaction, unless it changed later in the same
// transaction, when what it became is indexed: an edit by its own source,
// a copy merged in from another.
func TestSearchNewItemChangedInItsTransaction(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	topics := append(mustTopics(t, db, map[string]string{"harbour": "harbour", "pier": "pier", "quay": "quay"}),
		&feed.Topic{Name: "daily", Title: "daily", Sources: []string{"daily"}, Limit: 50})
	if err := db.SyncTopics(ctx, topics); err != nil {
		t.Fatal(err)
	}
	opt := IngestOptions{Topics: topics, NearDistance: 12}
	if _, err := db.IngestBatches(ctx, []Batch{
		{Source: "port", Items: []feed.Item{item("a", "", "Ferry timetable", "The ferry leaves at dawn from the eastern quay."),
			item("b", "https://p.example/b", "Terminal approved", storyA)}},
		{Source: "port", Items: []feed.Item{item("a", "", "Ferry timetable", "The ferry now leaves at noon from the western pier.")}},
		{Source: "daily", Items: []feed.Item{item("c", "https://p.example/b", "Port terminal", "A teaser.")}},
		{Source: "weather", Items: []feed.Item{item("d", "", "Heatwave", storyB)}},
	}, opt); err != nil {
		t.Fatal(err)
	}
	a, _ := db.ItemForGUID(ctx, "port", "a")
	b, _ := db.ItemForGUID(ctx, "port", "b")
	d, _ := db.ItemForGUID(ctx, "weather", "d")
	for _, c := range []struct {
		rule string
		want []int64
	}{
		{`western AND pier`, []int64{a}}, // the edit
		{`eastern OR quay`, nil},         // what it said before
		{`source:daily`, []int64{b}},     // merged in
		{`source:port AND terminal`, []int64{b}},
		{`heatwave`, []int64{d}}, // untouched since Prepare
	} {
		if got := searchIDs(t, db, mustRule(t, c.rule), 10); !slices.Equal(got, c.want) {
			t.Errorf("Search(%s) = %v, want %v", c.rule, got, c.want)
		}
	}
	// Topics are settled after the items are stored, from what Prepare
	// made: not for an item changed since.
	for _, c := range []struct {
		topic string
		want  []string
	}{
		{"pier", []string{"Ferry timetable"}}, // the edit
		{"quay", nil},                         // what it said before
		{"daily", []string{"Terminal approved"}},
		{"harbour", []string{"Terminal approved"}},
	} {
		its, err := db.TopicItems(ctx, c.topic, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range its {
			got = append(got, it.Title)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("topic %s holds %q, want %q", c.topic, got, c.want)
		}
	}
	var indexed, queued int
	indexHits(db, mustRule(t, `eastern`).FTSQuery()).Scan(&indexed)
	db.db.QueryRow(`SELECT count(*) FROM search_queue`).Scan(&queued)
	if indexed != 0 || queued != 0 {
		t.Errorf("the old text still has %d index entries and %d items are left queued; want 0 and 0", indexed, queued)
	}
	if db.pg != nil {
		return // FTS5's own check; PostgreSQL's index has no such state
	}
	if _, err := db.db.Exec(`INSERT INTO search (search, rank) VALUES ('integrity-check', 0)`); err != nil {
		t.Errorf("FTS5 integrity check: %v", err)
	}
}
