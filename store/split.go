package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// Editors correct dedup here: SplitCopy moves a copy wrongly merged into
// an item out into an item of its own; MergeItems joins an item the
// matcher missed into another. Each is one transaction, recorded in
// dedup_decisions (migration 0009) for explain and for ingest, which asks
// splitApart before it joins a copy to an item, so a split stands when
// the copy comes again changed or under another identity. A merge stands
// by itself: the merged item's copies, with their guids and links, now
// lead to the item kept.

// rowQueryer is a transaction, the database, or an ingester (which reads
// through its batch's prepared statements).
type rowQueryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// refusal is an edit declined as asked. Its message says why; it is
// feed.ErrRefused, so the admin API answers 400 rather than 500.
type refusal string

func (r refusal) Error() string { return string(r) }
func (refusal) Unwrap() error   { return feed.ErrRefused }

func refuse(format string, args ...any) error { return refusal(fmt.Sprintf(format, args...)) }

// copyRow is one copy (sighting) of an item as an edit sees it.
type copyRow struct {
	id           int64
	source       string
	hash, reason string
}

// itemCopies lists an item's copies, first seen first; ErrNotFound for
// an unknown item.
func itemCopies(ctx context.Context, tx *sql.Tx, item int64) ([]copyRow, error) {
	if err := itemExists(ctx, tx, item); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT g.id, s.name, g.hash, g.reason
		FROM sightings g JOIN sources s ON s.id = g.source_id WHERE g.item_id = ? ORDER BY g.id`, item)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []copyRow
	for rows.Next() {
		var c copyRow
		if err := rows.Scan(&c.id, &c.source, &c.hash, &c.reason); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func itemExists(ctx context.Context, q rowQueryer, item int64) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE id = ?`, item).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("item %d: %w", item, ErrNotFound)
	}
	return nil
}

// firstCopy is the copy an item was made from: ingest stores it with
// reason "new" and rebuilds the item when it changes. An item whose first
// copy went with its source counts its earliest copy.
func firstCopy(cs []copyRow) int64 {
	for _, c := range cs {
		if c.reason == "new" {
			return c.id
		}
	}
	if len(cs) > 0 {
		return cs[0].id
	}
	return 0
}

// pickCopy finds the copy ref names: a copy id, else the name of a source
// with exactly one copy of the item.
func pickCopy(item int64, ref string, cs []copyRow) (copyRow, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		for _, c := range cs {
			if c.id == id {
				return c, nil
			}
		}
	}
	var named []string
	var found copyRow
	for _, c := range cs {
		if c.source == ref {
			named = append(named, strconv.FormatInt(c.id, 10))
			found = c
		}
	}
	switch len(named) {
	case 0:
		return copyRow{}, fmt.Errorf("item %d: copy %q: %w", item, ref, ErrNotFound)
	case 1:
		return found, nil
	}
	return copyRow{}, refuse("item %d: copy %q: source %s has %d copies of the item (%s); name one by its id",
		item, ref, ref, len(named), strings.Join(named, ", "))
}

// SplitCopy moves one copy of item into a new item of its own. copy is
// the copy's id, as explain and Copies list it, or the name of a source
// with exactly one copy of the item. The copy the item was made from
// cannot be split off: the item is its text. topics are the configured
// topics; both items are classified anew.
//
// The store keeps no text per copy, only the item's, which is its first
// copy's. So the new item starts as a copy of the item's row with the
// split copy's link and content hash, and the copy's stored hash is
// cleared: the next time its source sends it, ingest sees an edit of the
// copy the new item was made from and rewrites the item from the copy's
// own text (revisit). Until then the new item is indexed under the
// copy's hash alone, not under near-duplicate keys of text not its own.
func (d *DB) SplitCopy(ctx context.Context, item int64, copy string, topics []*feed.Topic) (feed.DedupEdit, error) {
	at := d.Now().UnixNano()
	edit := feed.DedupEdit{Action: "split", Item: item, At: time.Unix(0, at).UTC()}
	err := d.transact(ctx, func(tx *sql.Tx) error {
		cs, err := itemCopies(ctx, tx, item)
		if err != nil {
			return err
		}
		c, err := pickCopy(item, copy, cs)
		if err != nil {
			return err
		}
		if c.id == firstCopy(cs) {
			if len(cs) == 1 {
				return refuse("item %d: copy %d (%s) is its only copy: nothing to split", item, c.id, c.source)
			}
			return refuse("item %d: copy %d (%s) is the copy the item was made from; split its other copies off instead", item, c.id, c.source)
		}
		var newID int64
		err = tx.QueryRowContext(ctx, `INSERT INTO items (url, title, content, text, summary, author, categories, media,
				published, updated, created, content_hash, simhash, minhash)
			SELECT g.url, i.title, i.content, i.text, i.summary, i.author, i.categories, i.media,
				i.published, i.updated, ?, g.hash, i.simhash, i.minhash
			FROM sightings g JOIN items i ON i.id = g.item_id WHERE g.id = ? RETURNING id`, at, c.id).Scan(&newID)
		if err != nil {
			return err
		}
		if k, ok := hashKey(c.hash); ok {
			// Read by every process's near index at its next batch.
			if _, err := tx.ExecContext(ctx, `INSERT INTO item_keys (item_id, keys) VALUES (?, ?)`, newID, marshalKeys([]int64{k})); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sightings SET item_id = ?, reason = 'new', hash = '' WHERE id = ?`, newID, c.id); err != nil {
			return err
		}
		if err := decide(ctx, tx, "split", item, newID, []int64{c.id}, at); err != nil {
			return err
		}
		edit.Copy, edit.Source, edit.NewItem = c.id, c.source, newID
		return d.settle(ctx, tx, topics, []int64{item, newID}, []int64{newID})
	})
	if err != nil {
		return feed.DedupEdit{}, editErr(err, "split copy %q off item %d", copy, item)
	}
	return edit, nil
}

// MergeItems joins item gone into item keep: every copy of gone becomes a
// copy of keep (gone's first copy with reason "editor: merged item N",
// so an edit of it no longer rewrites an item), gone's pins and hides
// move to keep in topics where keep has none, and gone is deleted with
// its topic memberships and search entry. keep is classified anew with
// topics, the configured topics.
func (d *DB) MergeItems(ctx context.Context, keep, gone int64, topics []*feed.Topic) (feed.DedupEdit, error) {
	if keep == gone {
		return feed.DedupEdit{}, refuse("item %d: cannot merge an item into itself", keep)
	}
	at := d.Now().UnixNano()
	edit := feed.DedupEdit{Action: "merge", Item: keep, Merged: gone, At: time.Unix(0, at).UTC()}
	err := d.transact(ctx, func(tx *sql.Tx) error {
		if err := itemExists(ctx, tx, keep); err != nil {
			return err
		}
		cs, err := itemCopies(ctx, tx, gone)
		if err != nil {
			return err
		}
		ids := make([]int64, len(cs))
		for i, c := range cs {
			ids[i] = c.id
		}
		steps := []struct {
			q    string
			args []any
		}{
			{`UPDATE sightings SET reason = ? WHERE id = ?`, []any{fmt.Sprintf("editor: merged item %d", gone), firstCopy(cs)}},
			{`UPDATE sightings SET item_id = ? WHERE item_id = ?`, []any{keep, gone}},
			{`UPDATE curation SET item_id = ?1 WHERE item_id = ?2
				AND topic NOT IN (SELECT topic FROM curation WHERE item_id = ?1)`, []any{keep, gone}},
			// Earlier decisions now concern the item gone's copies are in.
			{`UPDATE dedup_decisions SET item_a = ? WHERE item_a = ?`, []any{keep, gone}},
			{`UPDATE dedup_decisions SET item_b = ? WHERE item_b = ? AND kind = 'split'`, []any{keep, gone}},
			{`DELETE FROM items WHERE id = ?`, []any{gone}},
		}
		for _, s := range steps {
			if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
				return err
			}
		}
		if err := decide(ctx, tx, "merge", keep, gone, ids, at); err != nil {
			return err
		}
		edit.Copies = len(cs)
		return d.settle(ctx, tx, topics, []int64{keep}, nil)
	})
	if err != nil {
		return feed.DedupEdit{}, editErr(err, "merge item %d into item %d", gone, keep)
	}
	return edit, nil
}

// editErr wraps an unexpected error with the edit; errors that already
// name the input and reason (unknown id, refusal) stay as they are.
func editErr(err error, format string, args ...any) error {
	if errors.Is(err, ErrNotFound) || errors.Is(err, feed.ErrRefused) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func decide(ctx context.Context, tx *sql.Tx, kind string, a, b int64, copies []int64, at int64) error {
	list, err := json.Marshal(copies)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO dedup_decisions (kind, item_a, item_b, copies, at) VALUES (?, ?, ?, ?, ?)`,
		kind, a, b, string(list), at)
	return err
}

// settle brings topic membership and the search index in line with the
// items an edit changed; fresh are those not in the index yet. Moving
// sightings fires none of the triggers that queue items for the index.
func (d *DB) settle(ctx context.Context, tx *sql.Tx, topics []*feed.Topic, changed, fresh []int64) error {
	for _, id := range changed {
		reindex := 1
		for _, f := range fresh {
			if f == id {
				reindex = 0
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO search_queue (id, reindex) VALUES (?, ?)`, id, reindex); err != nil {
			return err
		}
		if err := reclassifyEdited(ctx, tx, topics, id); err != nil {
			return err
		}
	}
	return d.flushSearch(ctx, tx, nil)
}

// reclassifyEdited recomputes an item's topics as ingest does after a
// merge: its sources may have changed.
func reclassifyEdited(ctx context.Context, tx *sql.Tx, topics []*feed.Topic, id int64) error {
	it, pub, err := loadItem(ctx, tx, id)
	if err != nil {
		return fmt.Errorf("item %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM topic_items WHERE item_id = ?`, id); err != nil {
		return err
	}
	doc := feed.ItemDoc(it)
	for _, t := range topics {
		if !t.Accepts(doc, it.Sources) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO topic_items (topic, item_id, published) VALUES (?, ?, ?)`, t.Name, id, pub); err != nil {
			return fmt.Errorf("topic %s: %w", t.Name, err)
		}
	}
	return nil
}

// Copies lists an item's copies, first seen first, with the ids SplitCopy
// takes, the copy the item was made from, and the last editor's split or
// merge that moved each copy.
func (d *DB) Copies(ctx context.Context, item int64) ([]feed.Copy, error) {
	// One query, so no write lands between the copies and the decisions.
	// A copy comes once per decision that moved it into this item, oldest
	// first; the last one counts.
	rows, err := d.db.QueryContext(ctx, `SELECT g.id, s.name, g.guid, g.url, g.reason, g.seen,
			coalesce(m.kind, ''), coalesce(m.from_item, 0), coalesce(m.at, 0)
		FROM sightings g JOIN sources s ON s.id = g.source_id
		LEFT JOIN (SELECT CAST(j.value AS INTEGER) AS copy, d.id, d.kind, d.at,
				CASE d.kind WHEN 'split' THEN d.item_a ELSE d.item_b END AS from_item
			FROM dedup_decisions d, json_each(d.copies) j
			WHERE (d.kind = 'split' AND d.item_b = ?1) OR (d.kind = 'merge' AND d.item_a = ?1)) m ON m.copy = g.id
		WHERE g.item_id = ?1 ORDER BY g.id, m.id`, item)
	if err != nil {
		return nil, fmt.Errorf("item %d: %w", item, err)
	}
	defer rows.Close()
	var out []feed.Copy
	var first []copyRow
	for rows.Next() {
		var c feed.Copy
		var seen, from, at int64
		var kind string
		if err := rows.Scan(&c.ID, &c.Source, &c.GUID, &c.URL, &c.Reason, &seen, &kind, &from, &at); err != nil {
			return nil, fmt.Errorf("item %d: %w", item, err)
		}
		c.Seen = time.Unix(0, seen).UTC()
		if kind != "" {
			c.Editor = &feed.CopyMove{Action: kind, From: from, At: time.Unix(0, at).UTC()}
		}
		if n := len(out); n > 0 && out[n-1].ID == c.ID {
			out[n-1] = c
			continue
		}
		out = append(out, c)
		first = append(first, copyRow{id: c.ID, reason: c.Reason})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("item %d: %w", item, err)
	}
	if len(out) == 0 {
		if err := itemExists(ctx, d.db, item); err != nil {
			return nil, err
		}
	}
	f := firstCopy(first)
	for i := range out {
		out[i].First = out[i].ID == f
	}
	return out, nil
}

// itemsKeptApart reports whether an editor split items a and b apart: a
// split stands between them as the items are now. Merges carry a merged
// item's splits to the item it joined, so splitting copy C off item X
// and then merging X into Y keeps C's item apart from Y; merging the two
// items split apart ends it (an item is never kept apart from itself).
func itemsKeptApart(ctx context.Context, q rowQueryer, a, b int64) (bool, error) {
	if a == b {
		return false, nil
	}
	var apart bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM dedup_decisions WHERE kind = 'split'
		AND ((item_a = ?1 AND item_b = ?2) OR (item_a = ?2 AND item_b = ?1)))`, a, b).Scan(&apart)
	if err != nil {
		return false, fmt.Errorf("editor decisions on items %d and %d: %w", a, b, err)
	}
	return apart, nil
}

// splitApart reports whether a copy from source with guid in feed, or
// with link url, is stored in an item an editor split apart from item id
// (itemsKeptApart): ingest must then not join a copy with that identity
// to id, whatever link, hash or likeness they share. Either identity is
// enough, so an entry the source re-issues under a new guid at the same
// link stays apart too. A sighting stored before sightings knew their
// feed (an empty feed) stands for any feed. With no split concerning id,
// as for nearly every item, it costs two index probes.
func splitApart(ctx context.Context, q rowQueryer, id, source int64, feedName, guid, url string) (bool, error) {
	if guid == "" && url == "" {
		return false, nil
	}
	var apart bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM dedup_decisions d
		JOIN sightings g ON g.item_id = CASE WHEN d.item_a = ?1 THEN d.item_b ELSE d.item_a END
		WHERE d.kind = 'split' AND (d.item_a = ?1 OR d.item_b = ?1) AND d.item_a <> d.item_b
			AND g.source_id = ?2
			AND (?4 <> '' AND g.guid = ?4 AND (g.feed = ?3 OR g.feed = '') OR ?5 <> '' AND g.url = ?5))`,
		id, source, feedName, guid, url).Scan(&apart)
	if err != nil {
		return false, fmt.Errorf("editor decisions on item %d: %w", id, err)
	}
	return apart, nil
}
