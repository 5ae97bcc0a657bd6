package refresh

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode"

	"github.com/mmcdole/gofeed"

	"github.com/topicfeed/topicfeed/config"
	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// dedupCorpus holds one folder per case, named merge-… or keep-…. Each
// subfolder of a case is a path source of that name, with feed files and
// plain article files; groups.txt lists, one line per stored item, the
// members that must be that item: SOURCE/FILE for an article file,
// SOURCE/FILE#GUID for an entry of a feed file. testdata/dedup/README.md
// says more; adding a case needs no Go.
const dedupCorpus = "../testdata/dedup"

// corpusFeedExts are the extensions of feed files; every other file a
// source folder may hold (fetch.Ingestible) is a plain article.
var corpusFeedExts = []string{".rss", ".atom", ".json", ".xml", ".rdf"}

// corpusInput is one thing a case ingests: an article file or a feed entry.
type corpusInput struct {
	member  string // as groups.txt names it
	source  string
	guid    string // the entry's guid as in the file; "file://"+abs for an article
	link    string // the entry's link, absolute ("" for an article)
	article bool
}

// dedupCase is one case folder read: its inputs and expected groups.
type dedupCase struct {
	name, dir string
	sources   []string       // subfolders, in name order
	inputs    []*corpusInput // in source, file and entry order
	byMember  map[string]*corpusInput
	groups    [][]string     // groups.txt, one line per item
	line      map[string]int // member -> its groups.txt line number
}

// corpusStats counts pairs of inputs of one case: positives are pairs on
// one groups.txt line, every other pair is a negative.
type corpusStats struct {
	name, kind               string
	inputs, expected, stored int
	pos, neg, tp, fp, fn     int
	failed                   bool
}

func (s *corpusStats) add(o corpusStats) {
	s.inputs += o.inputs
	s.expected += o.expected
	s.stored += o.stored
	s.pos += o.pos
	s.neg += o.neg
	s.tp += o.tp
	s.fp += o.fp
	s.fn += o.fn
	s.failed = s.failed || o.failed
}

// TestDedupCorpus ingests every case of the dedup corpus into its own
// database with the default settings and checks that exactly the
// groups.txt lines were merged: no false merges, no missed merges, nothing
// stored that groups.txt does not name. It does so on each backend and
// logs a precision/recall table per backend
// (go test ./refresh -run TestDedupCorpus -v).
func TestDedupCorpus(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { dedupCorpusOn(t, b.newDB) })
	}
}

// dedupCorpusOn runs every case in databases newDB names.
func dedupCorpusOn(t *testing.T, newDB func(testing.TB) string) {
	entries, err := os.ReadDir(dedupCorpus)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.IsDir() }) {
		t.Fatalf("%s holds no cases", dedupCorpus)
	}
	var stats []corpusStats
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		kind, _, _ := strings.Cut(e.Name(), "-")
		if kind != "merge" && kind != "keep" {
			t.Errorf("%s: a case folder's name starts with merge- or keep-", e.Name())
			continue
		}
		st, ran := corpusStats{name: e.Name(), kind: kind, failed: true}, false
		t.Run(e.Name(), func(t *testing.T) {
			ran = true
			st = runDedupCase(t, newDB, filepath.Join(dedupCorpus, e.Name()), kind)
			st.failed = t.Failed()
		})
		if ran { // not left out by -run
			stats = append(stats, st)
		}
	}
	if len(stats) == 0 {
		t.Skip("-run matches no case")
	}
	t.Log("dedup corpus, pairs of inputs within each case:\n" + corpusTable(stats))
}

func runDedupCase(t *testing.T, newDB func(testing.TB) string, dir, kind string) corpusStats {
	c := readDedupCase(t, dir)
	merges := slices.ContainsFunc(c.groups, func(g []string) bool { return len(g) > 1 })
	switch {
	case kind == "keep" && merges:
		t.Errorf("a keep- case's groups.txt has a line of several members; name the case merge-…")
	case kind == "merge" && !merges:
		t.Errorf("a merge- case's groups.txt has no line of several members; name the case keep-…")
	}
	st := corpusStats{name: c.name, kind: kind, inputs: len(c.inputs), expected: len(c.groups)}
	if t.Failed() {
		return st // the case itself is inconsistent; its errors say how
	}
	db := ingestDedupCase(t, newDB, c)
	items, err := db.Recent(context.Background(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	at, titles := c.locate(t, db, items)
	st.stored = len(titles)
	c.report(t, at, titles)
	for i, a := range c.inputs {
		for _, b := range c.inputs[i+1:] {
			same, merged := c.line[a.member] == c.line[b.member], at[a.member] == at[b.member]
			switch {
			case same:
				st.pos++
				if merged {
					st.tp++
				} else {
					st.fn++
				}
			default:
				st.neg++
				if merged {
					st.fp++
				}
			}
		}
	}
	return st
}

// readDedupCase lists a case's inputs and reads its groups.txt, reporting
// every inconsistency between the two.
func readDedupCase(t *testing.T, dir string) *dedupCase {
	t.Helper()
	c := &dedupCase{name: filepath.Base(dir), dir: dir, byMember: map[string]*corpusInput{}, line: map[string]int{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."):
		case e.IsDir():
			c.sources = append(c.sources, e.Name())
		case e.Name() != "groups.txt":
			t.Errorf("%s: files at a case's root other than groups.txt are not read; put it in a source folder", e.Name())
		}
	}
	if len(c.sources) == 0 {
		t.Fatalf("%s: no source folders", dir)
	}
	for _, src := range c.sources {
		root := filepath.Join(dir, src)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(dir, path)
			rel = filepath.ToSlash(rel)
			if !fetch.Ingestible(path) {
				t.Errorf("%s: not an input topicfeed reads (extension)", rel)
				return nil
			}
			if slices.Contains(corpusFeedExts, strings.ToLower(filepath.Ext(path))) {
				c.addEntries(t, src, rel, path)
				return nil
			}
			abs, err := filepath.Abs(path)
			if err != nil {
				return err
			}
			c.add(t, &corpusInput{member: rel, source: src, guid: "file://" + filepath.ToSlash(abs), article: true})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c.readGroups(t)
	return c
}

// addEntries adds every entry of a feed file; each needs a guid, which
// is how groups.txt names it.
func (c *dedupCase) addEntries(t *testing.T, src, rel, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: not a feed: %v", rel, err)
		return
	}
	base := f.FeedLink
	if base == "" {
		base = f.Link
	}
	if len(f.Items) == 0 {
		t.Errorf("%s: a feed with no entries", rel)
	}
	for i, e := range f.Items {
		guid := strings.TrimSpace(e.GUID)
		if guid == "" || strings.ContainsAny(guid, " \t") {
			t.Errorf("%s: entry %d (%q) needs a guid without spaces, for groups.txt to name it", rel, i+1, e.Title)
			continue
		}
		c.add(t, &corpusInput{member: rel + "#" + guid, source: src, guid: guid, link: corpusResolve(base, strings.TrimSpace(e.Link))})
	}
}

func (c *dedupCase) add(t *testing.T, in *corpusInput) {
	t.Helper()
	if c.byMember[in.member] != nil {
		t.Errorf("%s: two inputs with this name (a guid repeated within one feed file)", in.member)
		return
	}
	c.byMember[in.member] = in
	c.inputs = append(c.inputs, in)
}

// readGroups reads groups.txt: every input on exactly one line.
func (c *dedupCase) readGroups(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.dir, "groups.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		text, _, _ := strings.Cut(sc.Text(), " #") // a comment after the members
		if strings.HasPrefix(strings.TrimSpace(text), "#") {
			continue
		}
		members := strings.Fields(text)
		if len(members) == 0 {
			continue
		}
		for _, m := range members {
			switch {
			case c.byMember[m] == nil:
				t.Errorf("groups.txt:%d: %s is not an input of this case (want SOURCE/FILE or SOURCE/FILE#GUID)", n, m)
			case c.line[m] != 0:
				t.Errorf("groups.txt:%d: %s is already on line %d", n, m, c.line[m])
			default:
				c.line[m] = n
			}
		}
		c.groups = append(c.groups, members)
	}
	for _, in := range c.inputs {
		if c.line[in.member] == 0 {
			t.Errorf("groups.txt does not list %s", in.member)
		}
	}
}

// ingestDedupCase stores a case as a fresh install with the default
// config would: each subfolder a path source, ingested one after another
// in name order, as successive refreshes would bring them.
func ingestDedupCase(t *testing.T, newDB func(testing.TB) string, c *dedupCase) *store.DB {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	for _, src := range c.sources {
		abs, err := filepath.Abs(filepath.Join(c.dir, src))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Sources = append(cfg.Sources, config.Source{Name: src, Path: abs})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, newDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	topics, sources := cfg.FeedTopics(), cfg.FeedSources()
	if err := db.SyncSources(ctx, sources); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncTopics(ctx, topics); err != nil {
		t.Fatal(err)
	}
	ing := &Ingester{DB: db, Topics: topics, NearDistance: cfg.NearDuplicateDistance(), Sources: sources}
	for _, s := range sources {
		_, err := ing.Files(ctx, []string{s.Path}, nil, func(err error) { t.Errorf("rejected: %v", err) }, nil)
		if err != nil {
			t.Fatalf("ingest %s: %v", s.Name, err)
		}
	}
	return db
}

// locate finds the stored item of every input through the sightings
// `topicfeed explain -item` shows, and returns it with every stored
// item's title. An input with no sighting of its own is placed in the
// item that stands for its guid (an entry taken for another one), else
// it is reported and gets an item of its own, numbered below zero.
func (c *dedupCase) locate(t *testing.T, db *store.DB, items []*feed.Item) (map[string]int64, map[int64]string) {
	t.Helper()
	at := map[string]int64{}
	titles := map[int64]string{}
	type sighting struct {
		store.Sighting
		item int64
	}
	var all []sighting
	for _, it := range items {
		titles[it.ID] = it.Title
		copies, err := db.Sightings(context.Background(), it.ID)
		if err != nil {
			t.Fatal(err)
		}
		var strangers []string
		for _, s := range copies {
			all = append(all, sighting{s, it.ID})
			found := c.sightingInputs(s)
			if len(found) == 0 {
				strangers = append(strangers, fmt.Sprintf("%s %q %s", s.Source, s.GUID, s.URL))
			}
			for _, in := range found {
				if prev, ok := at[in.member]; ok && prev != it.ID {
					t.Errorf("%s is a copy in two items: %d and %d", in.member, prev, it.ID)
					continue
				}
				at[in.member] = it.ID
			}
		}
		if len(strangers) > 0 {
			t.Errorf("stored item %d %q has copies groups.txt does not name: %s", it.ID, it.Title, strings.Join(strangers, "; "))
		}
	}
	missing := int64(0)
	for _, in := range c.inputs {
		if _, ok := at[in.member]; ok {
			continue
		}
		// No copy of its own: the store took the entry for one it had
		// (same guid, else same link, in the same source) and updated
		// or ignored it, which makes the two one item.
		for _, byLink := range []bool{false, true} {
			for _, s := range all {
				if in.article || s.Source != in.source {
					continue
				}
				if !byLink && s.GUID != "" && corpusSameGUID(s.GUID, in.guid) || byLink && corpusSameLink(in.link, s.URL) {
					at[in.member] = s.item
					t.Logf("%s has no copy of its own: the store took it for the entry stored as item %d (same guid or link)", in.member, s.item)
					break
				}
			}
			if _, ok := at[in.member]; ok {
				break
			}
		}
		if _, ok := at[in.member]; !ok {
			missing--
			at[in.member] = missing
			t.Errorf("%s was not stored at all", in.member)
		}
	}
	return at, titles
}

// sightingInputs are the inputs a stored copy is: by guid within its
// source (exactly, else a guid the store scoped to its feed document),
// told apart by link when one guid is in several feed files; by link
// alone for a copy without a guid.
func (c *dedupCase) sightingInputs(s store.Sighting) []*corpusInput {
	var found []*corpusInput
	for _, exact := range []bool{true, false} {
		for _, in := range c.inputs {
			switch {
			case in.source != s.Source:
			case s.GUID == "":
				if !in.article && s.URL != "" && corpusSameLink(in.link, s.URL) {
					found = append(found, in)
				}
			case exact && s.GUID == in.guid, !exact && !in.article && corpusSameGUID(s.GUID, in.guid):
				found = append(found, in)
			}
		}
		if len(found) > 0 || s.GUID == "" {
			break
		}
	}
	if len(found) > 1 && s.URL != "" {
		var byLink []*corpusInput
		for _, in := range found {
			if corpusSameLink(in.link, s.URL) {
				byLink = append(byLink, in)
			}
		}
		if len(byLink) > 0 {
			found = byLink
		}
	}
	return found
}

// report names every wrong merge, missed merge and unexpected item.
func (c *dedupCase) report(t *testing.T, at map[string]int64, titles map[int64]string) {
	t.Helper()
	// Wrong merges: one item holding members of several lines.
	lines := map[int64][]int{} // item -> groups.txt lines, in order
	members := map[int64][]string{}
	for _, in := range c.inputs {
		id := at[in.member]
		members[id] = append(members[id], in.member)
		if n := c.line[in.member]; !slices.Contains(lines[id], n) {
			lines[id] = append(lines[id], n)
		}
	}
	ids := make([]int64, 0, len(lines))
	for id := range lines {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if len(lines[id]) > 1 {
			slices.Sort(lines[id])
			var parts []string
			for _, n := range lines[id] {
				var ms []string
				for _, m := range members[id] {
					if c.line[m] == n {
						ms = append(ms, m)
					}
				}
				parts = append(parts, fmt.Sprintf("line %d: %s", n, strings.Join(ms, " ")))
			}
			t.Errorf("wrongly merged into item %d %q: %d groups.txt lines\n\t%s", id, titles[id], len(lines[id]), strings.Join(parts, "\n\t"))
		}
	}
	// Missed merges: one line's members in several items.
	for _, g := range c.groups {
		where := map[int64][]string{}
		var order []int64
		for _, m := range g {
			id := at[m]
			if _, ok := where[id]; !ok {
				order = append(order, id)
			}
			where[id] = append(where[id], m)
		}
		if len(order) > 1 {
			var parts []string
			for _, id := range order {
				parts = append(parts, fmt.Sprintf("item %d %q: %s", id, titles[id], strings.Join(where[id], " ")))
			}
			t.Errorf("wrongly kept apart: groups.txt line %d is %d items\n\t%s", c.line[g[0]], len(order), strings.Join(parts, "\n\t"))
		}
	}
	// Items made of no input at all were reported by locate.
	t.Logf("%d inputs, %d groups.txt lines, %d items stored", len(c.inputs), len(c.groups), len(titles))
}

// corpusSameGUID reports whether a stored guid is the entry's guid, or
// that guid scoped by the store to its feed document: the guid at either
// end, set off by a character that cannot end or start a word of it.
func corpusSameGUID(stored, guid string) bool {
	if stored == guid {
		return true
	}
	if len(stored) <= len(guid) {
		return false
	}
	sep := func(r byte) bool { return r < 0x80 && !unicode.IsLetter(rune(r)) && !unicode.IsDigit(rune(r)) }
	return strings.HasSuffix(stored, guid) && sep(stored[len(stored)-len(guid)-1]) ||
		strings.HasPrefix(stored, guid) && sep(stored[len(guid)])
}

// corpusSameLink compares links as the store may keep them: canonical,
// with or without the fragment.
func corpusSameLink(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	norm := func(s string) string {
		if c, err := feed.CanonicalURL(s); err == nil {
			return c
		}
		s, _, _ = strings.Cut(s, "#")
		return s
	}
	return a == b || norm(a) == norm(b)
}

func corpusResolve(base, link string) string {
	if link == "" || base == "" {
		return link
	}
	u, err := url.Parse(base)
	if err != nil {
		return link
	}
	r, err := u.Parse(link)
	if err != nil {
		return link
	}
	return r.String()
}

// corpusTable lays out the stats per case, per kind and overall.
func corpusTable(stats []corpusStats) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "case\tkind\tinputs\twant items\tstored\tpositives\tnegatives\ttrue merges\tfalse merges\tmissed merges\tprecision\trecall\t")
	row := func(s corpusStats) {
		mark := ""
		if s.failed {
			mark = " FAIL"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", s.name+mark, s.kind, s.inputs, s.expected, s.stored,
			s.pos, s.neg, s.tp, s.fp, s.fn, corpusRatio(s.tp, s.tp+s.fp), corpusRatio(s.tp, s.tp+s.fn))
	}
	total := corpusStats{name: "all cases", kind: "all"}
	for _, kind := range []string{"keep", "merge"} {
		sum := corpusStats{name: "all " + kind + " cases", kind: kind}
		n := 0
		for _, s := range stats {
			if s.kind == kind {
				row(s)
				sum.add(s)
				n++
			}
		}
		if n > 0 {
			row(sum)
			total.add(sum)
		}
	}
	row(total)
	w.Flush()
	return b.String()
}

// corpusRatio is a/b with three decimals, "-" when b is 0 (no merge made
// or none expected).
func corpusRatio(a, b int) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}
