package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// pruneBatch is how many items one prune transaction deletes: small enough
// that a million-item prune never holds the write lock for long (ingest and
// serve interleave between batches), large enough to amortise the commit.
var pruneBatch = 1000

// PruneResult counts what Prune did.
type PruneResult struct {
	// Deleted is the number of items removed.
	Deleted int
	// Old of them were older than maxAge; Excess were beyond every source's
	// newest maxPerSource items (and not old).
	Old, Excess int
	// Pinned is the number of items that would have gone but are pinned.
	Pinned int
}

// Prune deletes items published more than maxAge before d.Now(), and items
// beyond the newest maxPerSource items of each source they were seen in (an
// item seen in several sources stays while any of them still keeps it).
// maxAge <= 0 or maxPerSource <= 0 turns that rule off. Items pinned in any
// topic are never pruned. Sightings, band keys, topic membership and the
// search index go with their item. Deletes run in batches of pruneBatch,
// one transaction each, so a crash or cancel leaves a consistent store with
// part of the work done; running Prune again finishes it.
func (d *DB) Prune(ctx context.Context, maxAge time.Duration, maxPerSource int) (PruneResult, error) {
	var res PruneResult
	var old, excess []int64
	var err error
	if maxAge > 0 {
		cutoff := d.Now().Add(-maxAge).UnixNano()
		old, err = d.ids(ctx, `SELECT id FROM items WHERE published < ?
			AND id NOT IN (SELECT item_id FROM curation WHERE action = 'pin') ORDER BY id`, cutoff)
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE published < ?
			AND id IN (SELECT item_id FROM curation WHERE action = 'pin')`, cutoff).Scan(&res.Pinned); err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
	}
	if maxPerSource > 0 {
		var pinned []int64
		// Rank each source's distinct items newest first; an item goes
		// only when its best rank in any source is beyond the limit.
		const beyond = `WITH seen AS (SELECT DISTINCT source_id, item_id FROM sightings),
			ranked AS (SELECT s.item_id AS item_id, row_number() OVER (
				PARTITION BY s.source_id ORDER BY i.published DESC, i.id DESC) AS rank
				FROM seen s JOIN items i ON i.id = s.item_id)
			SELECT item_id FROM ranked GROUP BY item_id HAVING min(rank) > ?`
		excess, err = d.ids(ctx, `SELECT item_id FROM (`+beyond+`) b WHERE item_id NOT IN
			(SELECT item_id FROM curation WHERE action = 'pin') ORDER BY item_id`, maxPerSource)
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		pinned, err = d.ids(ctx, `SELECT b.item_id FROM (`+beyond+`) b JOIN items i ON i.id = b.item_id
			WHERE b.item_id IN (SELECT item_id FROM curation WHERE action = 'pin')
			AND (? = 0 OR i.published >= ?)`, maxPerSource, maxAge > 0, d.Now().Add(-maxAge).UnixNano())
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		res.Pinned += len(pinned)
	}
	// Merge the two sorted lists, counting each item once.
	isOld := make(map[int64]bool, len(old))
	for _, id := range old {
		isOld[id] = true
	}
	all := old
	for _, id := range excess {
		if !isOld[id] {
			all = append(all, id)
			res.Excess++
		}
	}
	res.Old = len(old)
	for len(all) > 0 {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		n := min(pruneBatch, len(all))
		deleted, err := d.deleteItems(ctx, all[:n])
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		res.Deleted += deleted
		all = all[n:]
	}
	if res.Deleted > 0 {
		d.near.reset() // its keys of deleted items would only waste memory
	}
	return res, nil
}

// deleteItems deletes the given items in one transaction, checking again
// that none was pinned since the candidates were chosen.
func (d *DB) deleteItems(ctx context.Context, ids []int64) (int, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return 0, err
	}
	var n int64
	err = d.transact(ctx, func(tx *sql.Tx) error {
		// Each copy leaves a tombstone, so that no re-fetch of a feed
		// still listing it, nor a rescan of a folder still holding it,
		// brings it back as new.
		if _, err := tx.ExecContext(ctx, `INSERT INTO tombstones (source_id, feed, guid, url, at)
			SELECT source_id, feed, guid, url, ? FROM sightings WHERE item_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))
			AND (guid <> '' OR url <> '')
			AND item_id NOT IN (SELECT item_id FROM curation WHERE action = 'pin')`, d.Now().Unix(), string(list)); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))
			AND id NOT IN (SELECT item_id FROM curation WHERE action = 'pin')`, string(list))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return int(n), err
}
