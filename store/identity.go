package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/topicfeed/topicfeed/feed"
)

// identities is one Ingest transaction's view of the sightings its items
// may be: by (source, guid) and by link. A query per item and per lookup
// cost more than the inserts they guarded; instead each batch reads the
// sightings of all its guids and links in two queries before its first
// item, and every sighting the transaction writes or edits is recorded
// here, so an item later in the same transaction finds it.
type identities struct {
	byID   map[int64]*sightingRow
	guids  map[sourceGUID]*sightingRow
	urls   map[string][]*sightingRow
	loaded map[string]bool // links whose stored sightings are in urls
}

type sourceGUID struct {
	source int64
	guid   string
}

type sightingRow struct {
	id, item, source int64
	hash, reason     string
}

func newIdentities() *identities {
	return &identities{byID: map[int64]*sightingRow{}, guids: map[sourceGUID]*sightingRow{}, urls: map[string][]*sightingRow{}, loaded: map[string]bool{}}
}

// loadIdentities reads the stored sightings of items' guids from source and of
// their links from any source. A source's guids are read once per
// transaction: it comes in one batch.
func (g *ingester) loadIdentities(ctx context.Context, items []feed.Item) error {
	var guids, urls []string
	for _, it := range items {
		if it.GUID != "" {
			guids = append(guids, it.GUID)
		}
		if it.URL != "" && !g.ids.loaded[it.URL] {
			g.ids.loaded[it.URL] = true
			urls = append(urls, it.URL)
		}
	}
	if len(guids) > 0 {
		list, err := json.Marshal(guids)
		if err != nil {
			return err
		}
		if err := g.scanSightings(ctx, `SELECT id, item_id, source_id, hash, reason, guid, '' FROM sightings
			WHERE source_id = ? AND guid IN (SELECT value FROM json_each(?)) AND guid <> ''`, g.source, string(list)); err != nil {
			return fmt.Errorf("guid lookup: %w", err)
		}
	}
	if len(urls) > 0 {
		list, err := json.Marshal(urls)
		if err != nil {
			return err
		}
		if err := g.scanSightings(ctx, `SELECT id, item_id, source_id, hash, reason, '', url FROM sightings
			WHERE url IN (SELECT value FROM json_each(?)) AND url <> ''`, string(list)); err != nil {
			return fmt.Errorf("link lookup: %w", err)
		}
	}
	return nil
}

func (g *ingester) scanSightings(ctx context.Context, q string, args ...any) error {
	rows, err := g.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s sightingRow
		var guid, url string
		if err := rows.Scan(&s.id, &s.item, &s.source, &s.hash, &s.reason, &guid, &url); err != nil {
			return err
		}
		g.ids.add(&s, guid, url)
	}
	return rows.Err()
}

// add records a sighting under its guid and link, once: one read twice
// (a source's second batch in a transaction) keeps its first record,
// which has seen this transaction's edits.
func (ids *identities) add(s *sightingRow, guid, url string) {
	if ids.byID[s.id] != nil {
		return
	}
	ids.byID[s.id] = s
	if guid != "" {
		ids.guids[sourceGUID{s.source, guid}] = s
	}
	if url != "" {
		ids.urls[url] = append(ids.urls[url], s)
	}
}

// byURL is the sighting a link leads to: source's own first, then the
// first seen.
func (ids *identities) byURL(url string, source int64) *sightingRow {
	var best *sightingRow
	for _, s := range ids.urls[url] {
		switch {
		case best == nil,
			s.source == source && best.source != source,
			(s.source == source) == (best.source == source) && s.id < best.id:
			best = s
		}
	}
	return best
}
