package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"

	"modernc.org/sqlite"

	"github.com/topicfeed/topicfeed/feed"
)

// The duplicate index lives in memory; SQLite holds only its source,
// item_keys (migration 0005): one row per item (and per edit) with the
// item's 16 band keys and a key of its content hash, appended in seq
// order. B-trees keyed by random band keys and content hashes dirtied a
// page per key once they outgrew a batch: at 1M items stored, ~14,000
// pages (56 MB of WAL) per 1,000 items, and ingest slowed as the store
// grew. Appends dirty a handful of pages at any size.
//
// Each process reads the whole table when it first ingests, then at the
// start of every batch, inside the batch's write transaction, the rows
// other processes (a cron refresh beside serve) appended since; it adds
// its own as it commits (committed).
// Candidates are confirmed against the item's stored fingerprint, so a
// key left behind by an edit or a pruned item costs a lookup, never a
// wrong merge.

// nearKeyBytes is one band key as item_keys stores it: its top 32 bits.
// At 1M items a lookup meets a stranger's key by chance ~0.4% of the time,
// a candidate that Similar rejects.
const nearKeyBytes = 4

// nearKey is the stored and indexed part of a band key.
func nearKey(k int64) uint32 { return uint32(uint64(k) >> 32) }

// hashKey is the index key of a content hash (hex SHA-256), false for
// none. Its bits are uniform; the tag only keeps it off the band keys'.
func hashKey(h string) (int64, bool) {
	if len(h) < 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(h[:16], 16, 64)
	if err != nil {
		return 0, false
	}
	return int64(v ^ 0x9e3779b97f4a7c15), true
}

// itemKeys are the keys an item is indexed under: its band keys, then
// its hash key, then its lede key (for an excerpt to find its story).
func itemKeys(fp feed.Fingerprint) []int64 {
	keys := fp.BandKeys()
	if k, ok := hashKey(fp.Hash); ok {
		keys = append(keys, k)
	}
	if fp.Lede != 0 {
		keys = append(keys, fp.Lede)
	}
	return keys
}

// marshalKeys encodes an item's keys for item_keys.
func marshalKeys(keys []int64) []byte {
	b := make([]byte, 0, nearKeyBytes*len(keys))
	for _, k := range keys {
		b = binary.LittleEndian.AppendUint32(b, nearKey(k))
	}
	return b
}

func init() {
	// Migration 0005 fills item_keys from the MinHash and content hash
	// each item holds.
	sqlite.MustRegisterDeterministicScalarFunction("topicfeed_item_keys", 2,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			blob, _ := args[0].([]byte)
			hash, _ := args[1].(string)
			mh, err := feed.UnmarshalMinHash(blob)
			if err != nil {
				mh = nil // an unreadable MinHash: the hash key alone
			}
			keys := itemKeys(feed.Fingerprint{Hash: hash, MinHash: mh})
			if len(keys) == 0 {
				return nil, nil // no text, no keys: the item has no row
			}
			return marshalKeys(keys), nil
		})
}

// foldAt is how many keys (~2,000 items') recent holds before a fold:
// its map costs ~35 bytes a key, mid 8.
const foldAt = 1 << 15

// nearIndex maps keys to the items holding them. Entries are key<<32 | id:
// 8 bytes per key, 136 bytes per item, 136 MB at 1M items, in arrays
// mapped outside the Go heap (newKeys).
// Keys read since the first load go to recent, a map; a fold sorts it into
// mid, and mid merges into sorted only when it reaches an eighth of it, so
// each key is copied a few times in all, not once per fold, and mid adds
// at most an eighth to sorted's memory.
type nearIndex struct {
	mu     sync.Mutex
	seq    int64    // the last item_keys row read
	sorted []uint64 // sorted entries
	// starts[b] is where sorted's entries whose key has top bits b begin:
	// a lookup searches ~16 entries, not all of sorted (24 cache misses
	// at 1M items, ~30 ms a batch).
	starts    []uint32
	startBits uint
	mid       []uint64 // sorted entries, folded from recent
	// recent holds keys read since the last fold, and any item id too
	// large for an entry.
	recent  keyMap
	nrecent int
}

// keyMap maps a key to item ids. Keys are random and nearly all hold one
// id: a map of slices cost ~80 bytes a key in small allocations, and in a
// refresh its churn took the collector's heap target past the memory
// budget.
type keyMap struct {
	one  map[uint32]int64
	more map[uint32][]int64
}

func (m *keyMap) add(k uint32, id int64) {
	if m.one == nil {
		m.one, m.more = map[uint32]int64{}, map[uint32][]int64{}
	}
	if _, ok := m.one[k]; ok {
		m.more[k] = append(m.more[k], id)
		return
	}
	m.one[k] = id
}

func (m *keyMap) each(k uint32, fn func(id int64)) {
	if id, ok := m.one[k]; ok {
		fn(id)
		for _, id := range m.more[k] {
			fn(id)
		}
	}
}

func (m *keyMap) all(fn func(k uint32, id int64)) {
	for k, id := range m.one {
		fn(k, id)
		for _, id := range m.more[k] {
			fn(k, id)
		}
	}
}

func newNearIndex() *nearIndex { return &nearIndex{} }

// reset drops everything read, so the next catchUp reads the table anew
// (after a prune, whose deleted items would otherwise linger as keys).
func (x *nearIndex) reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	freeKeys(x.sorted)
	freeKeys(x.mid)
	x.seq, x.sorted, x.starts, x.mid, x.recent, x.nrecent = 0, nil, nil, nil, keyMap{}, 0
}

// catchUp reads the item_keys rows appended since the last call. The
// caller holds x.mu; q is its write transaction.
func (x *nearIndex) catchUp(ctx context.Context, q interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}) error {
	first := x.seq == 0 && len(x.sorted) == 0 && len(x.mid) == 0 && x.nrecent == 0
	if first {
		// Growing a slice of 16M keys an append at a time copied it
		// ~30 times and kept the collector busy; the row count is cheap.
		// A row holds at most 18 keys, and room not written costs no memory.
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM item_keys`).Scan(&n); err != nil {
			return fmt.Errorf("band index: %w", err)
		}
		x.sorted = newKeys(n * 18)
	}
	rows, err := q.QueryContext(ctx, `SELECT seq, item_id, keys FROM item_keys WHERE seq > ? ORDER BY seq`, x.seq)
	if err != nil {
		return fmt.Errorf("band index: %w", err)
	}
	defer rows.Close()
	var blob []byte
	for rows.Next() {
		var seq, id int64
		if err := rows.Scan(&seq, &id, &blob); err != nil {
			return fmt.Errorf("band index: %w", err)
		}
		x.addRow(id, blob, first)
		x.seq = seq
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("band index: %w", err)
	}
	if first {
		sortEntries(x.sorted)
		x.index()
	}
	x.maybeFold()
	return nil
}

// sortEntries sorts a in place: American flag sort on the top bytes, so
// each pass keeps 256 write positions hot in cache, down to buckets small
// enough for slices.Sort. slices.Sort alone took ~3 s on 16M entries, a
// single pass on 16 bits ~5 s in cache misses.
func sortEntries(a []uint64) { flagSort(a, 56) }

func flagSort(a []uint64, shift uint) {
	if len(a) <= 256 || shift < 32 {
		slices.Sort(a)
		return
	}
	var end, next [256]int
	for _, e := range a {
		end[byte(e>>shift)]++
	}
	sum := 0
	for b := range end {
		next[b] = sum
		sum += end[b]
		end[b] = sum
	}
	start := next
	for b := range next {
		for next[b] < end[b] {
			e := a[next[b]]
			// Carry e to its bucket, picking up whatever it displaces,
			// until what is carried belongs here.
			for d := byte(e >> shift); int(d) != b; d = byte(e >> shift) {
				a[next[d]], e = e, a[next[d]]
				next[d]++
			}
			a[next[b]] = e
			next[b]++
		}
	}
	for b := range start {
		flagSort(a[start[b]:end[b]], shift-8)
	}
}

// keyRow is an item_keys row an Ingest wrote.
type keyRow struct {
	id   int64
	keys []byte
}

// committed adds the rows a transaction wrote, seq from+1 to to, once it
// has committed: a writer has the database to itself between its catchUp
// (which read up to from) and its commit, so no other row lies between.
// Reading its own rows back at the next catchUp cost a query and their
// allocations again. If anything moved x meanwhile (a reset), the next
// catchUp reads them instead.
func (x *nearIndex) committed(from, to int64, rows []keyRow) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.seq != from || to <= from {
		return
	}
	for _, r := range rows {
		x.addRow(r.id, r.keys, false)
	}
	x.seq = to
	x.maybeFold()
}

// addRow adds one item_keys row's keys.
func (x *nearIndex) addRow(id int64, blob []byte, first bool) {
	for i := 0; i+nearKeyBytes <= len(blob); i += nearKeyBytes {
		k := binary.LittleEndian.Uint32(blob[i:])
		if first && id >= 0 && id <= math.MaxUint32 {
			if len(x.sorted) == cap(x.sorted) {
				x.sorted = mergeSorted(x.sorted, nil, len(x.sorted)+foldAt) // a row counted after count(*)
			}
			x.sorted = append(x.sorted, uint64(k)<<32|uint64(id))
		} else {
			x.recent.add(k, id)
			x.nrecent++
		}
	}
}

// maybeFold folds recent once it holds foldAt keys. A fold is a pass over
// mid; recent's map costs ~20 bytes a key against mid's 8.
func (x *nearIndex) maybeFold() {
	if x.nrecent > foldAt {
		x.fold()
	}
}

// fold moves recent's entries into mid, and mid's into sorted when it has
// grown to a quarter of sorted.
func (x *nearIndex) fold() {
	add := make([]uint64, 0, x.nrecent)
	var keep keyMap
	kept := 0
	x.recent.all(func(k uint32, id int64) {
		if id >= 0 && id <= math.MaxUint32 {
			add = append(add, uint64(k)<<32|uint64(id))
		} else {
			keep.add(k, id)
			kept++
		}
	})
	slices.Sort(add)
	x.mid = mergeSorted(x.mid, add, 0)
	x.recent, x.nrecent = keep, kept
	if len(x.mid) > max(len(x.sorted)/8, 4*foldAt) {
		x.sorted = mergeSorted(x.sorted, x.mid, 0)
		freeKeys(x.mid)
		x.mid = nil
		x.index()
	}
}

// index rebuilds starts for sorted.
func (x *nearIndex) index() {
	x.startBits = 0
	for x.startBits < 24 && len(x.sorted)>>x.startBits > 16 {
		x.startBits++
	}
	x.starts = slices.Grow(x.starts[:0], 1<<x.startBits+1)[:1<<x.startBits+1]
	b := 0
	for i, e := range x.sorted {
		for top := int(e >> (64 - x.startBits)); b <= top; b++ {
			x.starts[b] = uint32(i)
		}
	}
	for ; b < len(x.starts); b++ {
		x.starts[b] = uint32(len(x.sorted))
	}
}

// mergeSorted merges add into dst, both sorted: in place from the back
// when dst has room, else into a new array of capacity at least room with
// as much again to spare, freeing dst: mapped room costs no memory until
// written, and merging in place leaves no second copy resident.
func mergeSorted(dst, add []uint64, room int) []uint64 {
	n := len(dst) + len(add)
	if cap(dst) >= n {
		i, j := len(dst)-1, len(add)-1
		dst = dst[:n]
		for w := n - 1; j >= 0; w-- {
			if i >= 0 && dst[i] > add[j] {
				dst[w] = dst[i]
				i--
			} else {
				dst[w] = add[j]
				j--
			}
		}
		return dst
	}
	out := newKeys(max(2*n, room))
	defer freeKeys(dst)
	i, j := 0, 0
	for i < len(dst) && j < len(add) {
		if dst[i] <= add[j] {
			out = append(out, dst[i])
			i++
		} else {
			out = append(out, add[j])
			j++
		}
	}
	out = append(out, dst[i:]...)
	return append(out, add[j:]...)
}

// lookup calls fn with every item id read under band key k. An id may
// come more than once, and may name an item since edited or deleted.
func (x *nearIndex) lookup(k int64, fn func(id int64)) {
	key := nearKey(k)
	sorted := x.sorted
	if x.starts != nil {
		b := uint64(key) >> (32 - x.startBits)
		sorted = sorted[x.starts[b]:x.starts[b+1]]
	}
	for _, a := range [2][]uint64{sorted, x.mid} {
		i, _ := slices.BinarySearch(a, uint64(key)<<32)
		for ; i < len(a) && uint32(a[i]>>32) == key; i++ {
			fn(int64(uint32(a[i])))
		}
	}
	x.recent.each(key, fn)
}
