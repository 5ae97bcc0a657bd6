package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// SyncTopics stores the configured topics, first putting into them, in
// place, any rule saved from the console (console.go). A topic that is new or whose
// rule changed has its membership recomputed over every stored item; topics
// no longer configured are dropped. Rendering then never evaluates rules.
func (d *DB) SyncTopics(ctx context.Context, topics []*feed.Topic) error {
	return d.transact(ctx, func(tx *sql.Tx) error {
		// Console rules (console.go) replace config rules before signatures are compared.
		if err := syncConsoleRules(ctx, tx, topics); err != nil {
			return err
		}
		stored := map[string]string{}
		rows, err := tx.QueryContext(ctx, `SELECT name, signature FROM topics`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var n, s string
			if err := rows.Scan(&n, &s); err != nil {
				rows.Close()
				return err
			}
			stored[n] = s
		}
		rows.Close()
		var changed []*feed.Topic
		for _, t := range topics {
			sig, ok := stored[t.Name]
			delete(stored, t.Name)
			if ok && sig == t.Signature() {
				continue
			}
			changed = append(changed, t)
			if _, err := tx.ExecContext(ctx, `INSERT INTO topics (name, signature) VALUES (?, ?)
				ON CONFLICT(name) DO UPDATE SET signature = excluded.signature`, t.Name, t.Signature()); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM topic_items WHERE topic = ?`, t.Name); err != nil {
				return err
			}
		}
		for name := range stored {
			if _, err := tx.ExecContext(ctx, `DELETE FROM topics WHERE name = ?`, name); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return reclassifyAll(ctx, tx, changed)
	})
}

// reclassifyAll evaluates topics over every stored item, in id order.
func reclassifyAll(ctx context.Context, tx *sql.Tx, topics []*feed.Topic) error {
	vocab := topicVocab(topics) // nil when no topic reads the words
	srcs, err := allItemSources(ctx, tx)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+itemColumns+` FROM items i ORDER BY i.id`)
	if err != nil {
		return err
	}
	type member struct {
		topic   string
		id, pub int64
	}
	var members []member
	for rows.Next() {
		it, pub, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return err
		}
		it.Sources = srcs[it.ID]
		var doc *feed.Doc
		if vocab != nil {
			doc = vocab.ItemDoc(it)
		}
		for _, t := range topics {
			if t.Accepts(doc, it.Sources) {
				members = append(members, member{t.Name, it.ID, pub})
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO topic_items (topic, item_id, published) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, m := range members {
		if _, err := stmt.ExecContext(ctx, m.topic, m.id, m.pub); err != nil {
			return err
		}
	}
	return nil
}

func allItemSources(ctx context.Context, tx *sql.Tx) (map[int64][]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT g.item_id, s.name FROM sightings g JOIN sources s ON s.id = g.source_id
		GROUP BY g.item_id, s.id ORDER BY g.item_id, min(g.id)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = append(out[id], n)
	}
	return out, rows.Err()
}

// TopicItems returns a topic's items for a feed: pinned items first, then
// the newest members, hidden ones left out, at most limit in all.
func (d *DB) TopicItems(ctx context.Context, topic string, limit int) ([]*feed.Item, error) {
	var exists int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM topics WHERE name = ?`, topic).Scan(&exists); err != nil {
		return nil, err
	}
	if exists == 0 {
		return nil, fmt.Errorf("topic %q: %w", topic, feed.ErrNotFound)
	}
	pinned, err := d.items(ctx, `SELECT `+itemColumns+` FROM curation c JOIN items i ON i.id = c.item_id
		WHERE c.topic = ?1 AND c.action = 'pin' ORDER BY i.published DESC, i.id DESC LIMIT ?2`, topic, limit)
	if err != nil {
		return nil, err
	}
	rest, err := d.items(ctx, `SELECT `+itemColumns+` FROM topic_items t JOIN items i ON i.id = t.item_id
		WHERE t.topic = ?1 AND NOT EXISTS (SELECT 1 FROM curation c WHERE c.topic = ?1 AND c.item_id = t.item_id)
		ORDER BY t.published DESC, t.item_id DESC LIMIT ?2`, topic, limit-len(pinned))
	if err != nil {
		return nil, err
	}
	return append(pinned, rest...), nil
}

func (d *DB) items(ctx context.Context, q string, args ...any) ([]*feed.Item, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []*feed.Item
	for rows.Next() {
		it, _, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, it := range out {
		if err := itemCredits(ctx, d.db, it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TopicStats counts each stored topic's items.
func (d *DB) TopicStats(ctx context.Context) (map[string]feed.TopicStat, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT t.name, count(ti.item_id), coalesce(max(ti.published), 0)
		FROM topics t LEFT JOIN topic_items ti ON ti.topic = t.name GROUP BY t.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]feed.TopicStat{}
	for rows.Next() {
		var s feed.TopicStat
		var last int64
		if err := rows.Scan(&s.Name, &s.Items, &last); err != nil {
			return nil, err
		}
		if last != 0 {
			s.LastUpdate = time.Unix(0, last).UTC()
		}
		out[s.Name] = s
	}
	return out, rows.Err()
}

// Item returns one stored item with its sources.
func (d *DB) Item(ctx context.Context, id int64) (*feed.Item, error) {
	it, _, err := loadItem(ctx, d.db, id)
	if err != nil {
		return nil, fmt.Errorf("item %d: %w", id, err)
	}
	return it, nil
}

// Sighting is one copy of an item as a source sent it, and why it was
// joined to the item: what `topicfeed explain -item` shows.
type Sighting struct {
	Source, GUID, URL, Reason string
	Seen                      time.Time
}

// Sightings lists every copy of an item, first seen first.
func (d *DB) Sightings(ctx context.Context, id int64) ([]Sighting, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT s.name, g.guid, g.url, g.reason, g.seen
		FROM sightings g JOIN sources s ON s.id = g.source_id WHERE g.item_id = ? ORDER BY g.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Sighting
	for rows.Next() {
		var s Sighting
		var seen int64
		if err := rows.Scan(&s.Source, &s.GUID, &s.URL, &s.Reason, &seen); err != nil {
			return nil, err
		}
		s.Seen = time.Unix(0, seen).UTC()
		out = append(out, s)
	}
	return out, rows.Err()
}

// ItemForGUID returns the item a source's entry was stored as or merged into.
func (d *DB) ItemForGUID(ctx context.Context, source, guid string) (int64, error) {
	var id int64
	err := d.db.QueryRowContext(ctx, `SELECT g.item_id FROM sightings g JOIN sources s ON s.id = g.source_id
		WHERE s.name = ? AND g.guid = ?`, source, guid).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, fmt.Errorf("%s entry %q: %w", source, guid, ErrNotFound)
	}
	return id, err
}

// Recent returns the newest stored items with their sources, whatever
// topic they are in: what `topicfeed explain TOPIC` judges.
func (d *DB) Recent(ctx context.Context, limit int) ([]*feed.Item, error) {
	return d.items(ctx, `SELECT `+itemColumns+` FROM items i ORDER BY i.published DESC, i.id DESC LIMIT ?`, limit)
}
