package store

import (
	"context"
	"time"
)

const day = 24 * time.Hour

// SourceActivity counts, for each source, the items it sent that were
// published on each of the last days UTC days, today last: the /sources
// page draws it as a sparkline. Sources with no such items are absent.
func (d *DB) SourceActivity(ctx context.Context, days int) (map[string][]int, error) {
	today := d.Now().UTC().Truncate(day)
	first := today.Add(-time.Duration(days-1) * day)
	rows, err := d.db.QueryContext(ctx, `SELECT s.name, i.published / ?1, count(DISTINCT i.id)
		FROM items i JOIN sightings g ON g.item_id = i.id JOIN sources s ON s.id = g.source_id
		WHERE i.published >= ?2 AND i.published < ?3
		GROUP BY s.name, i.published / ?1`, int64(day), first.UnixNano(), today.Add(day).UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int{}
	firstDay := first.UnixNano() / int64(day)
	for rows.Next() {
		var name string
		var dayNo int64
		var n int
		if err := rows.Scan(&name, &dayNo, &n); err != nil {
			return nil, err
		}
		if out[name] == nil {
			out[name] = make([]int, days)
		}
		if i := dayNo - firstDay; i >= 0 && i < int64(days) {
			out[name][i] += n
		}
	}
	return out, rows.Err()
}
