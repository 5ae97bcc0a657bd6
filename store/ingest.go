package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/topicfeed/topicfeed/feed"
)

// IngestOptions says how a batch is deduplicated and classified.
type IngestOptions struct {
	Topics []*feed.Topic
	// NearDistance is the SimHash distance for near-duplicates; 0 disables.
	NearDistance int
	// Fetch, when set, is the source's new fetch state, stored in the same
	// transaction as the items so a failed store never leaves validators
	// that would make the next fetch a 304 hiding lost items.
	Fetch *FetchState
}

// IngestResult counts what a batch did.
type IngestResult struct {
	New, Updated, Merged, Unchanged int
}

func (r *IngestResult) Add(o IngestResult) {
	r.New += o.New
	r.Updated += o.Updated
	r.Merged += o.Merged
	r.Unchanged += o.Unchanged
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
	classified := prepareAll(batches, opt.Topics)
	defer classified.Wait() // the batches are the caller's again on return
	var fps []feed.Fingerprint
	for _, b := range batches {
		for i := range b.prep.items {
			fps = append(fps, b.prep.items[i].fp)
		}
	}
	res := make([]IngestResult, len(batches))
	at := "" // the source whose batch failed, when one did
	var ing *ingester
	err := d.transact(ctx, func(tx *sql.Tx) error {
		ing = &ingester{tx: tx, near: d.near, opt: opt, now: d.Now().UnixNano(), stmts: map[string]*sql.Stmt{}, bands: newBandBatch(), ids: newIdentities(), terms: map[int64]string{}, fresh: map[int64]freshItem{}}
		defer ing.close()
		clear(res)
		at = ""
		if err := ing.prefetchBands(ctx, fps); err != nil {
			return err
		}
		for bi, b := range batches {
			at = b.Source
			src, err := ensureSource(ctx, tx, b.Source, d.Now().Unix())
			if err != nil {
				return err
			}
			ing.source, ing.sourceName = src, b.Source
			if err := ing.loadIdentities(ctx, b.Items); err != nil {
				return err
			}
			for i := range b.Items {
				if err := ing.one(ctx, &b.Items[i], &b.prep.items[i], &res[bi]); err != nil {
					return fmt.Errorf("item %q: %w", b.Items[i].Title, err)
				}
			}
			if b.Fetch != nil {
				if err := saveFetchState(ctx, tx, src, b.Fetch); err != nil {
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
		return flushSearch(ctx, tx, ing.terms)
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
	fp := p.fp
	if it.GUID != "" {
		done, err := g.byGUID(ctx, it, fp, res)
		if done || err != nil {
			return err
		}
	}
	if it.URL != "" {
		done, err := g.byURL(ctx, it, fp, res)
		if done || err != nil {
			return err
		}
	}
	if id := g.sameHash(fp); id != 0 {
		res.Merged++
		return g.merge(ctx, id, it, fp, "hash: same normalised text")
	}
	if g.opt.NearDistance > 0 {
		if id, why := g.nearest(fp); id != 0 {
			res.Merged++
			return g.merge(ctx, id, it, fp, "near: "+why)
		}
	}
	res.New++
	return g.insert(ctx, it, p)
}

// byGUID handles an entry this source has sent before under the same guid.
func (g *ingester) byGUID(ctx context.Context, it *feed.Item, fp feed.Fingerprint, res *IngestResult) (bool, error) {
	s := g.ids.guids[sourceGUID{g.source, it.GUID}]
	if s == nil {
		return false, nil
	}
	return true, g.revisit(ctx, s, it, fp, res)
}

// byURL joins an item whose canonical link is already stored: from this
// source it is the same entry (maybe edited); from another, a duplicate.
func (g *ingester) byURL(ctx context.Context, it *feed.Item, fp feed.Fingerprint, res *IngestResult) (bool, error) {
	s := g.ids.byURL(it.URL, g.source)
	if s == nil {
		return false, nil
	}
	if s.source == g.source {
		return true, g.revisit(ctx, s, it, fp, res)
	}
	res.Merged++
	return true, g.merge(ctx, s.item, it, fp, "url: same canonical link")
}

// revisit handles a sighting seen again: unchanged, or edited. An edit of
// the copy the item was made from updates the item; an edit of a merged
// copy only updates that copy's hash, since the first copy stays.
func (g *ingester) revisit(ctx context.Context, s *sightingRow, it *feed.Item, fp feed.Fingerprint, res *IngestResult) error {
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
