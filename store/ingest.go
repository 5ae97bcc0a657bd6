package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// IngestOptions says how a batch is deduplicated and classified.
type IngestOptions struct {
	Topics []*feed.Topic
	// NearDistance is the SimHash distance for near-duplicates; 0 disables.
	NearDistance int
	// MaxAge, when positive, turns away items published longer ago: they
	// would be pruned at once (retention.max_age).
	MaxAge time.Duration
	// MaxContent caps each item's stored content, text and summary, in
	// bytes (retention.max_content; see feed.Item.Cap); 0 is
	// feed.DefaultMaxContent.
	MaxContent int
	// Fetch, when set, is the source's new fetch state, stored in the same
	// transaction as the items so a failed store never leaves validators
	// that would make the next fetch a 304 hiding lost items.
	Fetch *FetchState
}

func (o IngestOptions) maxContent() int {
	if o.MaxContent > 0 {
		return o.MaxContent
	}
	return feed.DefaultMaxContent
}

// IngestResult counts what a batch did with each item: stored as new,
// an edit of an entry already stored (Updated), a copy merged into an
// item stored before, seen before and unchanged, or turned away as
// older than the retention age or pruned before (Expired).
// Empty counts entries the parser found nothing in; the caller sets it.
type IngestResult struct {
	New, Updated, Merged, Unchanged, Expired, Empty int
}

func (r *IngestResult) Add(o IngestResult) {
	r.New += o.New
	r.Updated += o.Updated
	r.Merged += o.Merged
	r.Unchanged += o.Unchanged
	r.Expired += o.Expired
	r.Empty += o.Empty
}

// Counts gives r as the metrics count it, with rejected inputs beside.
func (r IngestResult) Counts(rejected int) feed.IngestCounts {
	return feed.IngestCounts{New: r.New, Edit: r.Updated, Merged: r.Merged, Unchanged: r.Unchanged,
		Expired: r.Expired, Empty: r.Empty, Rejected: rejected}
}

// Ingest stores items seen in source, in one transaction: each item is new,
// an update of an entry already stored, or a duplicate merged into the first
// copy. Running it twice on the same items changes nothing.
func (d *DB) Ingest(ctx context.Context, source string, items []feed.Item, opt IngestOptions) (IngestResult, error) {
	res, err := d.IngestBatches(ctx, []Batch{{Source: source, Items: items, Fetch: opt.Fetch}}, opt)
	if err != nil {
		return IngestResult{}, err
	}
	return res[0], nil
}

// Batch is one source's items for IngestBatches, with the fetch state to
// store beside them (nil for none).
type Batch struct {
	Source string
	Items  []feed.Item
	Fetch  *FetchState
	prep   *prepared // by Prepare
}

// IngestBatches stores several sources' batches in one transaction, as
// Ingest stores one: a commit (WAL frames, the search index's segment) is
// most of the cost of a small batch, so a refresh of many feeds shares
// one commit among the feeds that wait to be written. opt.Fetch is
// ignored; each batch brings its own. Either every batch is stored or
// none is; the error names the batch at fault.
func (d *DB) IngestBatches(ctx context.Context, batches []Batch, opt IngestOptions) ([]IngestResult, error) {
	// What needs no database is done before the write lock is taken, or
	// (new items' topics and terms) while the writer stores the batch.
	classified := prepareAll(batches, opt)
	defer classified.Wait() // the batches are the caller's again on return
	var fps []feed.Fingerprint
	res := make([]IngestResult, len(batches))
	at := "" // the source whose batch failed, when one did
	var ing *ingester
	err := d.transact(ctx, func(tx *sql.Tx) error {
		ing = &ingester{tx: tx, near: d.near, opt: opt, now: d.Now().UnixNano(), stmts: map[string]*sql.Stmt{}, bands: newBandBatch(), ids: newIdentities(), terms: map[int64]string{}, fresh: map[int64]freshItem{}}
		defer ing.close()
		clear(res)
		at = ""
		// Learning what each source repeats remakes the fingerprints of
		// items that carry it, before their candidates are looked up.
		srcs := make([]int64, len(batches))
		learners := make([]*feed.Learner, len(batches))
		docs := make([]map[string]*feed.Learner, len(batches))
		for bi := range batches {
			b := &batches[bi]
			at = b.Source
			src, err := ensureSource(ctx, tx, b.Source, d.Now().Unix())
			if err != nil {
				return err
			}
			ing.source, ing.sourceName = src, b.Source
			if err := ing.startLearning(ctx, b); err != nil {
				return err
			}
			srcs[bi], learners[bi], docs[bi] = src, ing.learner, ing.docs
		}
		fps = fps[:0]
		for _, b := range batches {
			for i := range b.prep.items {
				fps = append(fps, b.prep.items[i].fp)
			}
		}
		if err := ing.prefetchBands(ctx, fps); err != nil {
			return err
		}
		for bi, b := range batches {
			at = b.Source
			ing.source, ing.sourceName = srcs[bi], b.Source
			ing.learner, ing.docs = learners[bi], docs[bi]
			ing.sharedLinks = sharedLinks(b.Items)
			if err := ing.loadIdentities(ctx, b.Items); err != nil {
				return err
			}
			if err := ing.loadTombstones(ctx, b.Items); err != nil {
				return err
			}
			for i := range b.Items {
				if err := ing.one(ctx, &b.Items[i], &b.prep.items[i], &res[bi]); err != nil {
					return fmt.Errorf("item %q: %w", b.Items[i].Title, err)
				}
			}
			if b.Fetch != nil {
				if err := saveFetchState(ctx, tx, srcs[bi], b.Fetch); err != nil {
					return err
				}
			}
		}
		at = ""
		classified.Wait()
		if err := ing.settle(ctx); err != nil {
			return err
		}
		if err := ing.flushBands(ctx); err != nil {
			return err
		}
		return d.flushSearch(ctx, tx, ing.terms)
	})
	switch {
	case err == nil:
		d.near.committed(ing.nearSeq, ing.keysSeq, ing.written)
		return res, nil
	case at == "" && len(batches) == 1:
		at = batches[0].Source
	case at == "":
		return nil, fmt.Errorf("store %d sources: %w", len(batches), err)
	}
	return nil, fmt.Errorf("store %s: %w", at, err)
}

type ingester struct {
	tx         *sql.Tx
	near       *nearIndex
	stmts      map[string]*sql.Stmt // prepared once per batch: parsing SQL per row cost more than running it
	opt        IngestOptions
	now        int64
	source     int64
	sourceName string
	bands      *bandBatch
	ids        *identities
	// nearSeq is the last item_keys row the index had read when the
	// batch began; the batch wrote the rows in written, up to keysSeq.
	nearSeq, keysSeq int64
	written          []keyRow
	// terms are new items' search terms, made by Prepare, for
	// flushSearch; an item merged or edited since is not among them.
	terms map[int64]string
	// fresh are the items stored as new, whose topics and terms settle
	// adds once their preparation is done; reclassify drops one whose
	// item changed since.
	fresh map[int64]freshItem // by item id
	vocab *feed.Vocab         // the topics' rule words, made at the first reclassify
	// learner and docs are what the current batch's source repeats, from
	// its stored sightings and from each feed document of the batch.
	learner *feed.Learner
	docs    map[string]*feed.Learner
	tombs   *tombstones // the batch's pruned entries
	// sharedLinks are links that several entries of one feed document of
	// the batch carry: an index page, not a story's.
	sharedLinks map[string]bool
}

type freshItem struct {
	pub int64
	p   *preparedItem
}

// settle adds every new item to the topics that take it and gives
// flushSearch its terms, once prepareAll is done: insert does not wait
// for them, so the writer stores items while later ones are classified.
func (g *ingester) settle(ctx context.Context) error {
	for id, f := range g.fresh {
		g.terms[id] = f.p.terms
		for i, t := range g.opt.Topics {
			if f.p.accepts[i] {
				if err := g.addToTopic(ctx, t, id, f.pub); err != nil {
					return err
				}
			}
		}
	}
	clear(g.fresh)
	return nil
}

// one classifies and stores a single item, strongest identity first.
func (g *ingester) one(ctx context.Context, it *feed.Item, p *preparedItem, res *IngestResult) error {
	if it.GUID != "" {
		if s := g.ids.byGUID(g.source, it.Feed, it.GUID, it.URL, p.fp.Hash); s != nil {
			return g.revisit(ctx, s, it, p.fp, res)
		}
	}
	if g.expired(it) || g.tombs.has(it) {
		res.Expired++
		return nil
	}
	if it.URL != "" {
		done, err := g.byURL(ctx, it, p, res)
		if done || err != nil {
			return err
		}
	}
	if err := g.learn(ctx, it, p); err != nil {
		return err
	}
	fp := p.fp
	if fp.Words >= minDistinctWords {
		if id := g.sameHash(fp); id != 0 {
			c, err := g.loadStored(ctx, it, id)
			if err != nil {
				return err
			}
			kind, why, err := g.evidence(ctx, it, p, c, true, 1)
			if err != nil {
				return err
			}
			if kind != "" {
				return g.join(ctx, id, it, p, kind, "hash: same normalised text"+why, res)
			}
		}
		if g.opt.NearDistance > 0 {
			near := g.nearest(fp)
			for _, c := range near {
				st, err := g.loadStored(ctx, it, c.id)
				if err != nil {
					return err
				}
				kind, why, err := g.evidence(ctx, it, p, st, false, c.j)
				if err != nil {
					return err
				}
				if kind != "" {
					return g.join(ctx, c.id, it, p, kind, "near: "+c.why+why, res)
				}
			}
			for _, id := range g.ledeCandidates(fp, near) {
				kind, why, err := g.excerpt(ctx, it, p, id)
				if err != nil {
					return err
				}
				if kind != "" {
					return g.join(ctx, id, it, p, kind, why, res)
				}
			}
		}
	}
	res.New++
	return g.insert(ctx, it, p)
}

// join records it as a copy of item id: a duplicate from elsewhere, or
// an entry its own feed sent again under a new guid (an edit).
func (g *ingester) join(ctx context.Context, id int64, it *feed.Item, p *preparedItem, kind, why string, res *IngestResult) error {
	if kind == "edit" {
		res.Updated++
		why = "edit: " + why
	} else {
		res.Merged++
	}
	g.learned(id, p)
	return g.merge(ctx, id, it, p, why)
}

// expired reports whether it was published before the retention age.
func (g *ingester) expired(it *feed.Item) bool {
	return g.opt.MaxAge > 0 && !it.Published.IsZero() && it.Published.UnixNano() < g.now-g.opt.MaxAge.Nanoseconds()
}

// byURL joins an item whose canonical link is already stored: from this
// feed it is the same entry (maybe edited) unless both carry different
// guids; from another feed or source, a duplicate. A site's home page
// names no story, so it joins nothing from elsewhere.
func (g *ingester) byURL(ctx context.Context, it *feed.Item, p *preparedItem, res *IngestResult) (bool, error) {
	if g.sharedLinks[it.URL] {
		return false, nil // its feed gives it to several entries: it names none
	}
	list := g.ids.byURL(it.URL, g.source)
	items := map[int64]bool{}
	for _, s := range list {
		items[s.item] = true
	}
	for _, s := range list {
		if s.source == g.source && (s.feed == it.Feed || s.feed == "") {
			if it.GUID != "" && s.guid != "" && s.guid != it.GUID {
				continue // another entry that links to the same page
			}
			return true, g.revisit(ctx, s, it, p.fp, res)
		}
		if isHomePage(it.URL) || len(items) > 1 {
			return false, nil // a home or section page, linked from several stories
		}
		apart, err := g.keptApart(ctx, s.item, it)
		if err != nil || apart {
			return false, err
		}
		res.Merged++
		g.learned(s.item, p)
		return true, g.merge(ctx, s.item, it, p, "url: same canonical link")
	}
	return false, nil
}

// isHomePage reports whether a canonical link is a site's root, which
// feeds that have no page per entry use for all of them.
func isHomePage(u string) bool {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(u, "http://")
	}
	if !ok {
		return false
	}
	i := strings.IndexByte(rest, '/')
	return i < 0 || rest[i:] == "/"
}

// revisit handles a sighting seen again: unchanged, or edited. An edit of
// the copy the item was made from updates the item; an edit of a merged
// copy only updates that copy's hash, since the first copy stays.
func (g *ingester) revisit(ctx context.Context, s *sightingRow, it *feed.Item, fp feed.Fingerprint, res *IngestResult) error {
	if s.feed != it.Feed {
		// A row from before sightings knew their feed: record it, so the
		// feed's own guids name it from now on.
		// Not when another row of the source already has this feed and
		// guid (the unique index): that row names the entry then.
		if _, err := g.exec(ctx, `UPDATE sightings SET feed = ?1 WHERE id = ?2 AND NOT EXISTS (SELECT 1 FROM sightings o
			WHERE o.source_id = ?3 AND o.guid = ?4 AND o.guid <> '' AND o.feed = ?1 AND o.id <> ?2)`, it.Feed, s.id, s.source, s.guid); err != nil {
			return err
		}
		s.feed = it.Feed
		if s.guid != "" {
			g.ids.guids[sourceGUID{s.source, s.feed, s.guid}] = s
		}
	}
	if s.hash == fp.Hash {
		res.Unchanged++
		return nil
	}
	res.Updated++
	if _, err := g.exec(ctx, `UPDATE sightings SET hash = ?, seen = ? WHERE id = ?`, fp.Hash, g.now, s.id); err != nil {
		return err
	}
	s.hash = fp.Hash
	if s.reason != "new" {
		return nil
	}
	return g.update(ctx, s.item, it, fp)
}

// The partial indexes on sightings (guid <> '', url <> '') are used only
// when a query repeats their condition, as the lookups above do.

func (g *ingester) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := g.stmts[q]; ok {
		return st, nil
	}
	st, err := g.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	g.stmts[q] = st
	return st, nil
}

func (g *ingester) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := g.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (g *ingester) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := g.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryContext and QueryRowContext let loadItem read through the batch's
// prepared statements.
func (g *ingester) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return g.query(ctx, q, args...)
}

func (g *ingester) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return g.queryRow(ctx, q, args...)
}

func (g *ingester) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := g.prepared(ctx, q)
	if err != nil {
		// sql.Row carries no error of its own; the tx reports it on Scan.
		return g.tx.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (g *ingester) close() {
	for _, st := range g.stmts {
		st.Close()
	}
}
