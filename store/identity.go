package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

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
	source     int64
	feed, guid string
}

type sightingRow struct {
	id, item, source int64
	hash, reason     string
	feed, guid, url  string
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
		if err := g.scanSightings(ctx, `SELECT id, item_id, source_id, hash, reason, feed, guid, url FROM sightings
			WHERE source_id = ? AND guid IN (SELECT value FROM json_each(?)) AND guid <> ''`, g.source, string(list)); err != nil {
			return fmt.Errorf("guid lookup: %w", err)
		}
	}
	if len(urls) > 0 {
		list, err := json.Marshal(urls)
		if err != nil {
			return err
		}
		if err := g.scanSightings(ctx, `SELECT id, item_id, source_id, hash, reason, feed, guid, url FROM sightings
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
		if err := rows.Scan(&s.id, &s.item, &s.source, &s.hash, &s.reason, &s.feed, &s.guid, &s.url); err != nil {
			return err
		}
		g.ids.add(&s)
	}
	return rows.Err()
}

// add records a sighting under its guid and link, once: one read twice
// (a source's second batch in a transaction) keeps its first record,
// which has seen this transaction's edits.
func (ids *identities) add(s *sightingRow) {
	if ids.byID[s.id] != nil {
		return
	}
	ids.byID[s.id] = s
	if s.guid != "" {
		ids.guids[sourceGUID{s.source, s.feed, s.guid}] = s
	}
	if s.url != "" {
		ids.urls[s.url] = append(ids.urls[s.url], s)
	}
}

// byGUID is the sighting of the entry with guid in feed of source. A row
// stored before sightings knew their feed (feed ”) stands for any feed
// of its source, but only while it is plainly the same entry: same link
// or same text. Otherwise two files that both number their entries from
// "0" would overwrite each other, as they did.
func (ids *identities) byGUID(source int64, feed, guid, url, hash string) *sightingRow {
	if s := ids.guids[sourceGUID{source, feed, guid}]; s != nil || feed == "" {
		return s
	}
	if s := ids.guids[sourceGUID{source, "", guid}]; s != nil && (s.url == url && url != "" || s.hash == hash) {
		return s
	}
	return nil
}

// byURL lists the sightings a link leads to: source's own first, then in
// the order they were seen.
func (ids *identities) byURL(url string, source int64) []*sightingRow {
	list := slices.Clone(ids.urls[url])
	slices.SortFunc(list, func(a, b *sightingRow) int {
		if (a.source == source) != (b.source == source) {
			if a.source == source {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.id, b.id)
	})
	return list
}
