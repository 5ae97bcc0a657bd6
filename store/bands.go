package store

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/topicfeed/topicfeed/feed"
)

// bandBatch is one Ingest batch's view of the LSH band index (nearindex.go).
// The batch looks up every band key of all its items before the first
// item, and appends its own keys after the last. Items written during
// the batch are found through the maps below, so a copy later in the same
// batch still merges into an earlier one.
type bandBatch struct {
	stored map[int64][]candidate // key -> items stored before the batch
	added  map[int64][]int64     // key -> items inserted or edited in the batch
	fps    map[int64]feed.Fingerprint
	keys   map[int64][]int64 // item -> its current keys, what flushBands writes
}

type candidate struct {
	id int64
	fp feed.Fingerprint
}

func newBandBatch() *bandBatch {
	return &bandBatch{stored: map[int64][]candidate{}, added: map[int64][]int64{},
		fps: map[int64]feed.Fingerprint{}, keys: map[int64][]int64{}}
}

// parallel calls fn for 0..n-1 on every core, giving each worker at least
// perWorker calls, so small batches stay on one goroutine.
func parallel(n, perWorker int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/perWorker+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// prefetchBands loads the stored items sharing a band key or the content
// hash with any of fps: ids from the process's in-memory index (caught up
// with item_keys first), then their fingerprints in one query.
func (g *ingester) prefetchBands(ctx context.Context, fps []feed.Fingerprint) error {
	x := g.near
	x.mu.Lock()
	if err := x.catchUp(ctx, g); err != nil {
		x.mu.Unlock()
		return err
	}
	g.nearSeq = x.seq
	x.mu.Unlock()
	return g.loadCandidates(ctx, fps)
}

// loadCandidates loads the stored items sharing a key with any of fps
// into the batch's view; one already there is read again, harmlessly.
func (g *ingester) loadCandidates(ctx context.Context, fps []feed.Fingerprint) error {
	x := g.near
	hits := map[int64][]int64{} // candidate id -> the batch's keys it holds
	x.mu.Lock()
	for _, fp := range fps {
		var keys []int64
		if g.opt.NearDistance > 0 {
			keys = fp.BandKeys()
		}
		if k, ok := hashKey(fp.Hash); ok {
			keys = append(keys, k)
		}
		if fp.Lede != 0 && g.opt.NearDistance > 0 {
			keys = append(keys, fp.Lede)
		}
		for _, k := range keys {
			x.lookup(k, func(id int64) { hits[id] = append(hits[id], k) })
		}
	}
	x.mu.Unlock()
	if len(hits) == 0 {
		return nil
	}
	buf := []byte{'['}
	for id := range hits {
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, id, 10)
	}
	buf = append(buf, ']')
	rows, err := g.tx.QueryContext(ctx, `SELECT id, content_hash, simhash, minhash FROM items
		WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`, string(buf))
	if err != nil {
		return fmt.Errorf("band lookup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sim int64
		var c candidate
		var blob []byte
		if err := rows.Scan(&c.id, &c.fp.Hash, &sim, &blob); err != nil {
			return fmt.Errorf("band lookup: %w", err)
		}
		c.fp.SimHash = uint64(sim)
		if c.fp.MinHash, err = feed.UnmarshalMinHash(blob); err != nil {
			return fmt.Errorf("item %d: %w", c.id, err)
		}
		keys := hits[c.id]
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			g.bands.stored[k] = append(g.bands.stored[k], c)
		}
	}
	return rows.Err()
}

// nearCandidate is a stored item whose fingerprint Similar accepts.
type nearCandidate struct {
	id   int64
	dist int
	j    float64 // estimated shingle overlap
	why  string
}

// nearest lists the near-duplicates of fp among items sharing a band
// key, confirmed with feed.Similar, closest first (ties: lowest id). An
// item written in this batch is judged by its fingerprint now, not as
// prefetched.
func (g *ingester) nearest(fp feed.Fingerprint) []nearCandidate {
	var out []nearCandidate
	var seen map[int64]bool
	check := func(id int64, c feed.Fingerprint) {
		if seen[id] {
			return
		}
		if seen == nil {
			seen = map[int64]bool{}
		}
		seen[id] = true
		if ok, why := feed.Similar(fp, c, g.opt.NearDistance); ok {
			out = append(out, nearCandidate{id, feed.Hamming(fp.SimHash, c.SimHash), feed.Jaccard(fp, c), fmt.Sprintf("item %d: %s", id, why)})
		}
	}
	b := g.bands
	for _, k := range fp.BandKeys() {
		for _, c := range b.stored[k] {
			if _, rewritten := b.fps[c.id]; !rewritten {
				check(c.id, c.fp)
			}
		}
		for _, id := range b.added[k] {
			if slices.Contains(b.keys[id], k) { // not a key an edit since dropped
				check(id, b.fps[id])
			}
		}
	}
	slices.SortFunc(out, func(a, b nearCandidate) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		return int(a.id - b.id)
	})
	return out
}

// ledeCandidates lists the items whose text begins as fp's does, but for
// those in skip (tried already), lowest id first.
func (g *ingester) ledeCandidates(fp feed.Fingerprint, skip []nearCandidate) []int64 {
	if fp.Lede == 0 {
		return nil
	}
	var out []int64
	add := func(id int64) {
		if !slices.Contains(out, id) && !slices.ContainsFunc(skip, func(c nearCandidate) bool { return c.id == id }) {
			out = append(out, id)
		}
	}
	b := g.bands
	for _, c := range b.stored[fp.Lede] {
		if _, rewritten := b.fps[c.id]; !rewritten {
			add(c.id)
		}
	}
	for _, id := range b.added[fp.Lede] {
		if slices.Contains(b.keys[id], fp.Lede) {
			add(id)
		}
	}
	slices.Sort(out)
	return out
}

// sameHash finds the first item whose normalised text is fp's: the lowest
// id among items of the same content hash, as now in the batch.
func (g *ingester) sameHash(fp feed.Fingerprint) int64 {
	hk, ok := hashKey(fp.Hash)
	if !ok {
		return 0
	}
	b := g.bands
	var best int64
	take := func(id int64, h string) {
		if h == fp.Hash && (best == 0 || id < best) {
			best = id
		}
	}
	for _, c := range b.stored[hk] {
		if _, rewritten := b.fps[c.id]; !rewritten {
			take(c.id, c.fp.Hash)
		}
	}
	for _, id := range b.added[hk] {
		take(id, b.fps[id].Hash)
	}
	return best
}

// addBands records the item's keys, to be written by flushBands.
func (g *ingester) addBands(id int64, fp feed.Fingerprint) {
	b := g.bands
	keys := itemKeys(fp)
	b.fps[id], b.keys[id] = fp, keys
	for _, k := range keys {
		b.added[k] = append(b.added[k], id)
	}
}

// flushBands appends a row of band keys to item_keys for every item
// inserted or edited in the batch, in id order.
func (g *ingester) flushBands(ctx context.Context) error {
	ids := slices.Sorted(maps.Keys(g.bands.keys))
	for _, id := range ids {
		keys := g.bands.keys[id]
		if len(keys) == 0 {
			continue
		}
		blob := marshalKeys(keys)
		if err := g.queryRow(ctx, `INSERT INTO item_keys (item_id, keys) VALUES (?, ?) RETURNING seq`, id, blob).Scan(&g.keysSeq); err != nil {
			return fmt.Errorf("band keys: %w", err)
		}
		g.written = append(g.written, keyRow{id, blob})
	}
	return nil
}
