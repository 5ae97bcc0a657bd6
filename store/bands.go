package store

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/topicfeed/topicfeed/feed"
)

// bandBatch is one Ingest batch's view of the LSH band index (item_bands).
// Probing the index item by item cost 16 random B-tree searches per item
// and writing it 16 random inserts; instead the batch reads every band hit
// of all its items in one query, in key order, before the first item, and
// writes its own rows in key order after the last. Items written during
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

// fingerprints computes every item's fingerprint (~30 µs an item).
func fingerprints(items []feed.Item) []feed.Fingerprint {
	fps := make([]feed.Fingerprint, len(items))
	parallel(len(items), 64, func(i int) { fps[i] = feed.NewFingerprint(items[i].Title, items[i].Text) })
	return fps
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

// prefetchBands loads the stored items sharing a band key with any of fps.
// The keys go in as one JSON array; SQLite sorts them into an ephemeral
// index and walks item_bands' primary key in order.
func (g *ingester) prefetchBands(ctx context.Context, fps []feed.Fingerprint) error {
	buf := []byte{'['}
	for _, fp := range fps {
		for _, k := range fp.BandKeys() {
			if len(buf) > 1 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, k, 10)
		}
	}
	if len(buf) == 1 {
		return nil
	}
	buf = append(buf, ']')
	rows, err := g.tx.QueryContext(ctx, `SELECT b.key, i.id, i.content_hash, i.simhash, i.minhash
		FROM item_bands b JOIN items i ON i.id = b.item_id
		WHERE b.key IN (SELECT value FROM json_each(?))`, string(buf))
	if err != nil {
		return fmt.Errorf("band lookup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, sim int64
		var c candidate
		var blob []byte
		if err := rows.Scan(&key, &c.id, &c.fp.Hash, &sim, &blob); err != nil {
			return fmt.Errorf("band lookup: %w", err)
		}
		c.fp.SimHash = uint64(sim)
		if c.fp.MinHash, err = feed.UnmarshalMinHash(blob); err != nil {
			return fmt.Errorf("item %d: %w", c.id, err)
		}
		g.bands.stored[key] = append(g.bands.stored[key], c)
	}
	return rows.Err()
}

// nearest finds the closest near-duplicate of fp among items sharing a
// band key, confirming each with feed.Similar; ties go to the lowest id.
// An item written in this batch is judged by its fingerprint now, not as
// prefetched.
func (g *ingester) nearest(fp feed.Fingerprint) (int64, string) {
	var best int64
	bestDist, bestWhy := 65, ""
	var seen map[int64]bool
	check := func(id int64, c feed.Fingerprint) {
		if seen[id] {
			return
		}
		if seen == nil {
			seen = map[int64]bool{}
		}
		seen[id] = true
		ok, why := feed.Similar(fp, c, g.opt.NearDistance)
		if dist := feed.Hamming(fp.SimHash, c.SimHash); ok && (dist < bestDist || dist == bestDist && id < best) {
			best, bestDist, bestWhy = id, dist, fmt.Sprintf("item %d: %s", id, why)
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
	return best, bestWhy
}

// addBands records the item's band keys, to be written by flushBands.
func (g *ingester) addBands(id int64, fp feed.Fingerprint) {
	b := g.bands
	keys := fp.BandKeys()
	b.fps[id], b.keys[id] = fp, keys
	for _, k := range keys {
		b.added[k] = append(b.added[k], id)
	}
}

// bandChunk is how many band rows one INSERT writes. A statement writing
// several rows keeps a statement journal of the pages it changes, which
// temp_store = MEMORY (Open) keeps off disk; sorted keys keep it small.
const bandChunk = 64

// flushBands writes the batch's band rows in key order, so consecutive
// inserts land on the same or neighbouring B-tree pages.
func (g *ingester) flushBands(ctx context.Context) error {
	type row struct{ key, id int64 }
	var rows []row
	for id, keys := range g.bands.keys {
		for _, k := range keys {
			rows = append(rows, row{k, id})
		}
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
	})
	// A statement per bandChunk rows: a statement per row cost more in
	// database/sql and the driver than the insert itself.
	for len(rows) > 0 {
		n := min(len(rows), bandChunk)
		q := `INSERT OR IGNORE INTO item_bands (key, item_id) VALUES (?, ?)` + strings.Repeat(`, (?, ?)`, n-1)
		args := make([]any, 0, 2*n)
		for _, r := range rows[:n] {
			args = append(args, r.key, r.id)
		}
		if _, err := g.exec(ctx, q, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
