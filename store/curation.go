package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Curation actions an editor can take on an item in a topic.
const (
	Pin  = "pin"  // show at the top of the topic, matched or not
	Hide = "hide" // never show in the topic
)

// Curation is one hand-made choice.
type Curation struct {
	Topic  string
	ItemID int64
	Action string
	At     time.Time
}

// Curate pins or hides an item in a topic; action "" clears the choice.
// Choices live apart from rule membership, so refreshes, re-ingest and
// rule changes leave them alone.
func (d *DB) Curate(ctx context.Context, topic string, itemID int64, action string) error {
	if action != Pin && action != Hide && action != "" {
		return fmt.Errorf("curation action %q: want pin, hide or none", action)
	}
	return d.transact(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM topics WHERE name = ?`, topic).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("topic %q: %w", topic, ErrNotFound)
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE id = ?`, itemID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("item %d: %w", itemID, ErrNotFound)
		}
		if action == "" {
			_, err := tx.ExecContext(ctx, `DELETE FROM curation WHERE topic = ? AND item_id = ?`, topic, itemID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO curation (topic, item_id, action, at) VALUES (?, ?, ?, ?)
			ON CONFLICT(topic, item_id) DO UPDATE SET action = excluded.action, at = excluded.at`,
			topic, itemID, action, d.Now().Unix())
		return err
	})
}

// Curations lists a topic's hand-made choices, newest first.
func (d *DB) Curations(ctx context.Context, topic string) ([]Curation, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT topic, item_id, action, at FROM curation WHERE topic = ? ORDER BY at DESC, item_id`, topic)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Curation
	for rows.Next() {
		var c Curation
		var at int64
		if err := rows.Scan(&c.Topic, &c.ItemID, &c.Action, &at); err != nil {
			return nil, err
		}
		c.At = time.Unix(at, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
