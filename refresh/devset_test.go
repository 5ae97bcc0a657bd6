package refresh

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/topicfeed/topicfeed/config"
	"github.com/topicfeed/topicfeed/store"
)

const devset = "../../shared/devset"

type devLabels struct {
	Groups   [][]string `json:"duplicate_groups"`
	Distinct [][]string `json:"distinct_pairs"`
}

// ingestDevset stores the whole devset with its topics in the database
// newDB names and returns each file's item id.
func ingestDevset(t *testing.T, newDB func(testing.TB) string, distance int) (*store.DB, map[string]int64) {
	t.Helper()
	if _, err := os.Stat(devset); err != nil {
		t.Skip("../shared/devset absent")
	}
	ctx := context.Background()
	yaml, err := os.ReadFile(filepath.Join(devset, "topics.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(devset, "topics.yaml"), yaml)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, newDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	topics := cfg.FeedTopics()
	if err := db.SyncTopics(ctx, topics); err != nil {
		t.Fatal(err)
	}
	if distance < 0 {
		distance = cfg.NearDuplicateDistance()
	}
	ing := &Ingester{DB: db, Topics: topics, NearDistance: distance}
	dir := filepath.Join(devset, "articles")
	res, err := ing.Files(ctx, []string{dir}, nil, func(err error) { t.Errorf("rejected: %v", err) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 40 {
		t.Fatalf("read %d files, want 40", res.Files)
	}
	ids := map[string]int64{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		abs, _ := filepath.Abs(filepath.Join(dir, e.Name()))
		id, err := db.ItemForGUID(ctx, DefaultSource, "file://"+filepath.ToSlash(abs))
		if err != nil {
			t.Fatal(err)
		}
		ids[e.Name()] = id
	}
	return db, ids
}

// TestDevsetDedup: every duplicate group is one item, no other pair
// merges, and the folder comes to exactly 30 items.
func TestDevsetDedup(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			_, ids := ingestDevset(t, b.newDB, -1)
			checkDevsetPairs(t, ids, true)
		})
	}
}

// TestDevsetDistances reports precision and recall as the near-duplicate
// distance varies; 0 leaves only exact identities (guid, URL, text hash).
// It tunes a setting, so SQLite alone: TestDevsetDedup compares backends.
func TestDevsetDistances(t *testing.T) {
	for _, d := range []int{0, 6, 12, 18, 24, 32} {
		_, ids := ingestDevset(t, backends[0].newDB, d)
		tp, fp, fn := checkDevsetPairs(t, ids, false)
		t.Logf("distance %2d: precision %.3f, recall %.3f (tp %d, fp %d, fn %d)", d, ratio(tp, tp+fp), ratio(tp, tp+fn), tp, fp, fn)
		if fp > 0 {
			t.Errorf("distance %d merged distinct stories", d)
		}
	}
}

// checkDevsetPairs counts merged pairs against the labels; strict reports
// every miss and false merge as a test error.
func checkDevsetPairs(t *testing.T, ids map[string]int64, strict bool) (tp, fp, fn int) {
	t.Helper()
	var labels devLabels
	readJSON(t, filepath.Join(devset, "labels.json"), &labels)
	group := map[string]int{}
	for g, files := range labels.Groups {
		for _, f := range files {
			group[f] = g + 1
		}
	}
	var files []string
	for f := range ids {
		files = append(files, f)
	}
	sort.Strings(files)
	for i, a := range files {
		for _, b := range files[i+1:] {
			same := group[a] != 0 && group[a] == group[b]
			merged := ids[a] == ids[b]
			switch {
			case same && merged:
				tp++
			case same:
				fn++
				if strict {
					t.Errorf("duplicates not merged: %s / %s", a, b)
				}
			case merged:
				fp++
				if strict {
					t.Errorf("distinct stories merged: %s / %s", a, b)
				}
			}
		}
	}
	if !strict {
		return tp, fp, fn
	}
	t.Logf("pairs: precision %.3f, recall %.3f (tp %d, fp %d, fn %d)", ratio(tp, tp+fp), ratio(tp, tp+fn), tp, fp, fn)
	for _, p := range labels.Distinct {
		if ids[p[0]] == ids[p[1]] {
			t.Errorf("hard negative merged: %s / %s", p[0], p[1])
		}
	}
	distinct := map[int64]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	if len(distinct) != 30 {
		t.Errorf("devset stored as %d items, want 30", len(distinct))
	}
	return tp, fp, fn
}

// TestDevsetTopics: each topic holds exactly the expected items.
func TestDevsetTopics(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { checkDevsetTopics(t, b.newDB) })
	}
}

func checkDevsetTopics(t *testing.T, newDB func(testing.TB) string) {
	db, ids := ingestDevset(t, newDB, -1)
	var expected map[string]any
	readJSON(t, filepath.Join(devset, "topics_expected.json"), &expected)
	for topic, v := range expected {
		if topic[0] == '_' {
			continue
		}
		want := map[int64]bool{}
		for _, f := range v.([]any) {
			want[ids[f.(string)]] = true
		}
		items, err := db.TopicItems(context.Background(), topic, 500)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, it := range items {
			got[it.ID] = true
			if !want[it.ID] {
				t.Errorf("%s: unexpected item %d %q", topic, it.ID, it.Title)
			}
		}
		for f, id := range ids {
			if want[id] && !got[id] {
				t.Errorf("%s: missing %s (item %d)", topic, f, id)
			}
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
