package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/topicfeed/topicfeed/feed"
)

// Evidence a merge needs beyond matching fingerprints (see evidence).
const (
	// minDistinctWords is the least distinctive text (words, boilerplate
	// left out) an item needs to merge on its text at all; below it only
	// a guid or a link joins copies. A teaser, a title-only entry or "a
	// story 0" says too little to tell one story from another.
	minDistinctWords = 25
	// shortWords: below it, copies must also share most title words.
	shortWords = 40
	// nearlyAll is the shingle overlap above which a rewritten headline
	// and lede do not keep copies apart.
	nearlyAll = 0.85
	// minContainment is the share of an excerpt's shingles the full
	// story must hold.
	minContainment = 0.8
	// windowItems is how many of a source's latest sightings its
	// boilerplate is learned from.
	windowItems = 128
)

// marshalUnits stores a copy's sentence hashes, Exact then Masked.
func marshalUnits(units []feed.Unit) []byte {
	if len(units) == 0 {
		return nil
	}
	b := make([]byte, 0, 8*len(units))
	for _, u := range units {
		b = binary.LittleEndian.AppendUint32(b, u.Exact)
		b = binary.LittleEndian.AppendUint32(b, u.Masked)
	}
	return b
}

func unmarshalUnits(b []byte) []uint32 {
	out := make([]uint32, 0, len(b)/4)
	for len(b) >= 4 {
		out = append(out, binary.LittleEndian.Uint32(b))
		b = b[4:]
	}
	return out
}

func unitHashes(units []feed.Unit) []uint32 {
	out := make([]uint32, 0, 2*len(units))
	for _, u := range units {
		out = append(out, u.Exact, u.Masked)
	}
	return out
}

// startLearning reads what the source repeats, from its latest sightings
// (one per story: copies of one item count once) and from the batch's
// own feed documents, where entries with different guids or titles are
// different stories by definition; then makes the fingerprints of the
// batch's items that carry such text.
func (g *ingester) startLearning(ctx context.Context, b *Batch) error {
	g.learner = feed.NewLearner()
	rows, err := g.query(ctx, `SELECT item_id, units FROM sightings WHERE source_id = ? AND units IS NOT NULL
		ORDER BY id DESC LIMIT ?`, g.source, windowItems)
	if err != nil {
		return fmt.Errorf("boilerplate: %w", err)
	}
	for rows.Next() {
		var id int64
		var blob []byte
		if err := rows.Scan(&id, &blob); err != nil {
			rows.Close()
			return fmt.Errorf("boilerplate: %w", err)
		}
		g.learner.Add(id, unmarshalUnits(blob))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("boilerplate: %w", err)
	}
	g.docs = map[string]*feed.Learner{}
	perDoc := map[string]int{}
	for i := range b.Items {
		perDoc[b.Items[i].Feed]++
	}
	for i := range b.Items {
		it := &b.Items[i]
		if perDoc[it.Feed] < 2 {
			continue
		}
		l := g.docs[it.Feed]
		if l == nil {
			l = feed.NewLearner()
			g.docs[it.Feed] = l
		}
		// An entry sent twice under two guids, word for word, is one
		// story: it must not teach that its own text is boilerplate.
		h := fnv.New64a()
		h.Write([]byte(feed.NormalizeText(it.Title)))
		h.Write([]byte{0})
		h.Write([]byte(b.prep.items[i].fp.Hash))
		l.Add(int64(h.Sum64()), unitHashes(b.prep.items[i].units.Units))
	}
	for i := range b.Items {
		g.applyBoilerplate(&b.Items[i], &b.prep.items[i])
	}
	return nil
}

// applyBoilerplate remakes p's fingerprint without the item's sentences
// its source repeats, and drops whole paragraphs of them from the item's
// text and content. It reports whether the fingerprint changed.
func (g *ingester) applyBoilerplate(it *feed.Item, p *preparedItem) bool {
	if g.learner.Empty() && len(g.docs) == 0 {
		return false
	}
	doc := g.docs[it.Feed]
	// Entries of one feed document with other guids are other stories;
	// stored items of the source, merged already, are too. The item
	// itself is not counted with those: until it is stored it may be a
	// copy of one of them, and a copy repeats everything.
	bp := feed.Classify(p.units, func(e, m uint32) (int, int) {
		ne, nm := g.learner.Count(e), g.learner.Count(m)
		if doc != nil {
			ne, nm = max(ne, doc.Count(e)), max(nm, doc.Count(m))
		}
		return ne, nm
	})
	if bp.Skip == nil && !p.learnt {
		return false
	}
	if slices.Equal(bp.Skip, p.skip) {
		return false
	}
	p.skip, p.learnt = bp.Skip, bp.Skip != nil
	p.fp = feed.NewFingerprintDistinct(it.Title, it.Text, feed.DistinctText(it.Text, p.units.Units, bp.Skip))
	p.drop = bp.Drop
	return true
}

// learn brings an item's fingerprint up to date with what items stored
// earlier in this transaction taught, and looks up the candidates of a
// changed one.
func (g *ingester) learn(ctx context.Context, it *feed.Item, p *preparedItem) error {
	if !g.applyBoilerplate(it, p) {
		return nil
	}
	return g.loadCandidates(ctx, []feed.Fingerprint{p.fp})
}

// learned counts a copy's sentences for the source, under the item it
// is (or joined): one story counts once however many copies it has.
func (g *ingester) learned(id int64, p *preparedItem) {
	if g.learner != nil && len(p.units.Units) > 0 {
		g.learner.Add(id, unitHashes(p.units.Units))
	}
}

// evidence decides whether item it, whose fingerprint matched stored item
// id (sameText: on the text hash; else with estimated shingle overlap j),
// is that item: "duplicate", "edit" or "" for not. Matching sketches are not enough: two entries of one feed
// with different guids are one only when title and text are the same (a
// re-issued entry); copies need enough distinctive text, shared title
// words when short, and the same names and numbers.
func (g *ingester) evidence(ctx context.Context, it *feed.Item, p *preparedItem, c storedText, sameText bool, j float64) (kind, why string, err error) {
	id, title, text := c.id, c.title, c.text
	if c.sameFeed {
		if feed.NormalizeText(title) == feed.NormalizeText(it.Title) &&
			(sameText || feed.NormalizeText(text) == feed.NormalizeText(it.Text)) {
			return "edit", ", same title, same feed", nil
		}
		return "", "", nil
	}
	if apart, err := g.keptApart(ctx, id, it); err != nil || apart {
		return "", "", err
	}
	words := feed.CountWords(text)
	if words < minDistinctWords || feed.TitleNumbersConflict(title, it.Title) {
		return "", "", nil
	}
	titles := feed.TitleOverlap(title, it.Title)
	if min(words, p.fp.Words) < shortWords && titles < 0.5 {
		return "", "", nil
	}
	if sameText {
		return "duplicate", "", nil
	}
	mine := feed.DistinctText(it.Text, p.units.Units, p.skip)
	// A copy keeps its headline or its lede, if not both, unless nearly
	// all its text is the same: an unlearned blurb shared by two short
	// stories is most of their text, but not nearly all of it.
	if titles < 0.5 && j < nearlyAll && !feed.LedeSimilar(mine, text, title, it.Title) {
		return "", "", nil
	}
	small, large := mine, text
	if words < p.fp.Words {
		small, large = text, mine
	}
	keys := feed.KeyTokens(small)
	all := feed.WordSet(large)
	missing := 0
	for k := range keys {
		if !all[k] {
			missing++
		}
	}
	// Copies lose names only with a trimmed paragraph or a fixed typo; a
	// share of all names would grow with what two press releases or job
	// ads of one organisation share.
	if missing > 1+len(keys)/20 {
		return "", "", nil
	}
	return "duplicate", fmt.Sprintf(", names and numbers %d/%d", len(keys)-missing, len(keys)), nil
}

// sharedLinks lists the links that entries of one feed document with
// different guids (or titles) share.
func sharedLinks(items []feed.Item) map[string]bool {
	type docLink struct{ feed, url string }
	first := map[docLink]string{}
	var out map[string]bool
	for _, it := range items {
		if it.URL == "" {
			continue
		}
		id := it.GUID
		if id == "" {
			id = it.Title
		}
		k := docLink{it.Feed, it.URL}
		if prev, ok := first[k]; !ok {
			first[k] = id
		} else if prev != id {
			if out == nil {
				out = map[string]bool{}
			}
			out[it.URL] = true
		}
	}
	return out
}

// storedText is what evidence reads of a stored candidate: its title and
// text, and whether it was seen in the incoming item's own feed.
type storedText struct {
	id          int64
	title, text string
	sameFeed    bool
}

func (g *ingester) loadStored(ctx context.Context, it *feed.Item, id int64) (storedText, error) {
	c := storedText{id: id}
	var sameFeed int
	if err := g.queryRow(ctx, `SELECT i.title, i.text, (SELECT count(*) FROM sightings g
		WHERE g.item_id = i.id AND g.source_id = ? AND g.feed = ?) FROM items i WHERE i.id = ?`,
		g.source, it.Feed, id).Scan(&c.title, &c.text, &sameFeed); err != nil {
		return c, fmt.Errorf("item %d: %w", id, err)
	}
	c.sameFeed = sameFeed > 0
	return c, nil
}

// excerpt decides whether item it and stored item id, which begin with the
// same words, are one story of which one is cut short: a feed's excerpt
// and the full page, or a copy missing its last paragraphs. The shorter's
// shingles must nearly all be in the longer; evidence does the rest.
func (g *ingester) excerpt(ctx context.Context, it *feed.Item, p *preparedItem, id int64) (kind, why string, err error) {
	st, err := g.loadStored(ctx, it, id)
	if err != nil {
		return "", "", err
	}
	text := st.text
	mine := feed.DistinctText(it.Text, p.units.Units, p.skip)
	small, large := mine, text
	if feed.CountWords(text) < p.fp.Words {
		small, large = text, mine
	}
	c := feed.Containment(small, large)
	if c < minContainment {
		return "", "", nil
	}
	kind, why, err = g.evidence(ctx, it, p, st, false, 0)
	return kind, fmt.Sprintf("lede: item %d begins alike, %.0f%% of the shorter in the longer%s", id, 100*c, why), err
}

// keptApart reports whether an editor split it, or the item it would
// join, apart from item id.
func (g *ingester) keptApart(ctx context.Context, id int64, it *feed.Item) (bool, error) {
	return splitApart(ctx, g, id, g.source, it.Feed, it.GUID, it.URL)
}

// tombstones are the pruned entries of one batch's source that its items
// might be.
type tombstones struct {
	guids map[string]bool // feed + "\x00" + guid
	urls  map[string]bool
}

// has reports whether it was pruned: by its guid in its feed, or, for an
// entry with no guid, by its link (another entry may share a link).
func (t *tombstones) has(it *feed.Item) bool {
	if t == nil {
		return false
	}
	if it.GUID != "" {
		return t.guids[it.Feed+"\x00"+it.GUID] || t.guids["\x00"+it.GUID]
	}
	return it.URL != "" && t.urls[it.URL]
}

// loadTombstones reads the tombstones of the items' guids and links.
func (g *ingester) loadTombstones(ctx context.Context, items []feed.Item) error {
	g.tombs = nil
	var guids, urls []string
	for _, it := range items {
		if it.GUID != "" {
			guids = append(guids, it.GUID)
		}
		if it.URL != "" {
			urls = append(urls, it.URL)
		}
	}
	gl, err := json.Marshal(guids)
	if err != nil {
		return err
	}
	ul, err := json.Marshal(urls)
	if err != nil {
		return err
	}
	rows, err := g.query(ctx, `SELECT feed, guid, url FROM tombstones WHERE source_id = ?1 AND guid <> '' AND guid IN (SELECT value FROM json_each(?2))
		UNION ALL SELECT feed, guid, url FROM tombstones WHERE source_id = ?1 AND url <> '' AND url IN (SELECT value FROM json_each(?3))`,
		g.source, string(gl), string(ul))
	if err != nil {
		return fmt.Errorf("tombstones: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f, guid, url string
		if err := rows.Scan(&f, &guid, &url); err != nil {
			return fmt.Errorf("tombstones: %w", err)
		}
		if g.tombs == nil {
			g.tombs = &tombstones{guids: map[string]bool{}, urls: map[string]bool{}}
		}
		if guid != "" {
			g.tombs.guids[f+"\x00"+guid] = true
		}
		if url != "" {
			g.tombs.urls[url] = true
		}
	}
	return rows.Err()
}
