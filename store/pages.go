package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Page is what fetching one item's page gave (full_content sources).
type Page struct {
	Item               int64
	URL                string // the page fetched
	ETag, LastModified string
	// Err is why the item keeps its summary; "" when the page was read.
	Err string
	// Transient marks an Err that may pass (a timeout, a 5xx, robots.txt
	// unreachable): the error is recorded on the source, but the item is
	// not marked as fetched, so PagesDue lists it again.
	Transient bool
	// Content and Text are the article extracted from the page (or, after
	// a 304, the one kept from the last fetch); empty leaves the item as
	// it is.
	Content, Text string
}

// SavePages records the pages fetched for items of source, in one
// transaction: each item is marked as fetched, with the article and the
// hash of the feed's copy (so no later refresh fetches it again until its
// entry is edited), unless its page failed Transient; an extracted
// article replaces the item's content, and the source's last page error
// is set. A replaced item gets new fingerprints, topics and search terms,
// as an edit does; the feed's copy (its sighting hash) stays, so the next
// refresh does not take the summary for an edit. Items deleted meanwhile
// are skipped.
func (d *DB) SavePages(ctx context.Context, source string, pages []Page, opt IngestOptions) error {
	if len(pages) == 0 {
		return nil
	}
	var ing *ingester
	err := d.transact(ctx, func(tx *sql.Tx) error {
		src, err := ensureSource(ctx, tx, source, d.Now().Unix())
		if err != nil {
			return err
		}
		ing = &ingester{tx: tx, near: d.near, opt: opt, now: d.Now().UnixNano(), stmts: map[string]*sql.Stmt{},
			bands: newBandBatch(), ids: newIdentities(), terms: map[int64]string{}, fresh: map[int64]freshItem{}}
		defer ing.close()
		ing.source, ing.sourceName = src, source
		if err := ing.prefetchBands(ctx, nil); err != nil {
			return err
		}
		lastErr := ""
		for _, p := range pages {
			ok, err := ing.savePage(ctx, src, p)
			if err != nil {
				return fmt.Errorf("page %s: %w", p.URL, err)
			}
			if ok {
				lastErr = p.Err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sources SET page_error = ? WHERE id = ?`, lastErr, src); err != nil {
			return err
		}
		if err := ing.flushBands(ctx); err != nil {
			return err
		}
		return d.flushSearch(ctx, tx, ing.terms)
	})
	if err != nil {
		return fmt.Errorf("store pages of %s: %w", source, err)
	}
	d.near.committed(ing.nearSeq, ing.keysSeq, ing.written)
	return nil
}

// savePage stores one page; false when its item is gone.
func (g *ingester) savePage(ctx context.Context, src int64, p Page) (bool, error) {
	it, _, err := loadItem(ctx, g, p.Item)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if p.Transient {
		return true, nil // no row: the page is still due
	}
	if p.Content != "" {
		// The feed's text becomes the summary the article is published with.
		summary := it.Summary
		if summary == "" {
			summary = it.Text
		}
		it.Content, it.Text, it.Summary = p.Content, p.Text, ""
		it.Cap(g.opt.maxContent(), g.sourceName)
		if it.Summary == "" {
			it.Summary = summary
		}
		// The row keeps the article as the item holds it, for a 304.
		p.Content, p.Text = it.Content, it.Text
	}
	_, err = g.exec(ctx, `INSERT INTO item_pages
		(item_id, source_id, url, etag, last_modified, fetched, error, content, text, feed_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce((SELECT hash FROM sightings
			WHERE item_id = ? AND source_id = ? AND reason = 'new' LIMIT 1), ''))
		ON CONFLICT (item_id) DO UPDATE SET source_id = excluded.source_id, url = excluded.url, etag = excluded.etag,
			last_modified = excluded.last_modified, fetched = excluded.fetched, error = excluded.error,
			content = excluded.content, text = excluded.text, feed_hash = excluded.feed_hash`,
		p.Item, src, p.URL, p.ETag, p.LastModified, g.now/int64(time.Second), p.Err, p.Content, p.Text, p.Item, src)
	if err != nil || p.Content == "" {
		return true, err
	}
	fp := fingerprint(it)
	_, err = g.exec(ctx, `UPDATE items SET content = ?, text = ?, summary = ?, content_hash = ?, simhash = ?, minhash = ? WHERE id = ?`,
		it.Content, it.Text, it.Summary, fp.Hash, int64(fp.SimHash), fp.MarshalMinHash(), p.Item)
	if err != nil {
		return true, err
	}
	if _, err := g.exec(ctx, `DELETE FROM item_keys WHERE item_id = ?`, p.Item); err != nil {
		return true, err
	}
	g.addBands(p.Item, fp)
	return true, g.reclassify(ctx, p.Item)
}

// PageDue is an item of a full_content source whose page is to be fetched
// though the item was not stored as new just now (see PagesDue).
type PageDue struct {
	Item int64
	URL  string // the item's link
	Text string // the item's text: an article must be longer to replace it
	// Edited: the page was fetched before and the feed's entry was edited
	// since, which put the feed's text back in the item.
	Edited bool
	// ETag and LastModified validate a conditional request, and Content
	// and Article are the article they stand for: set only when the last
	// fetch of the same link kept an article, so a 304 can put it back.
	ETag, LastModified string
	Content, Article   string
}

// PagesDue lists items of source whose page is due though they were not
// just stored as new: first those edited since their page was fetched
// (their feed copy's hash is no longer the one recorded with the page),
// then those stored within the last `within` whose page was never fetched
// (the process stopped between storing a feed and fetching its pages),
// oldest first. Each list holds at most limit items; items without a
// link have no page and are not listed.
func (d *DB) PagesDue(ctx context.Context, source string, within time.Duration, limit int) ([]PageDue, error) {
	var src int64
	err := d.db.QueryRowContext(ctx, `SELECT id FROM sources WHERE name = ?`, source).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) || limit <= 0 {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pages due for %s: %w", source, err)
	}
	var out []PageDue
	rows, err := d.db.QueryContext(ctx, `SELECT i.id, i.url, i.text, p.url, p.etag, p.last_modified, p.content, p.text
		FROM item_pages p
		JOIN sightings g ON g.item_id = p.item_id AND g.source_id = p.source_id AND g.reason = 'new'
		JOIN items i ON i.id = p.item_id
		WHERE p.source_id = ? AND p.feed_hash <> '' AND g.hash <> p.feed_hash AND i.url <> ''
		ORDER BY g.id LIMIT ?`, src, limit)
	if err != nil {
		return nil, fmt.Errorf("pages due for %s: %w", source, err)
	}
	for rows.Next() {
		var p PageDue
		var fetched string
		if err := rows.Scan(&p.Item, &p.URL, &p.Text, &fetched, &p.ETag, &p.LastModified, &p.Content, &p.Article); err != nil {
			rows.Close()
			return nil, fmt.Errorf("pages due for %s: %w", source, err)
		}
		p.Edited = true
		if fetched != p.URL || p.Content == "" {
			p.ETag, p.LastModified, p.Content, p.Article = "", "", "", ""
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pages due for %s: %w", source, err)
	}
	since := d.Now().Add(-within).UnixNano()
	rows, err = d.db.QueryContext(ctx, `SELECT i.id, i.url, i.text
		FROM sightings g JOIN items i ON i.id = g.item_id
		WHERE g.source_id = ? AND g.reason = 'new' AND i.created >= ? AND i.url <> ''
			AND NOT EXISTS (SELECT 1 FROM item_pages p WHERE p.item_id = g.item_id)
		ORDER BY g.id LIMIT ?`, src, since, limit)
	if err != nil {
		return nil, fmt.Errorf("pages due for %s: %w", source, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p PageDue
		if err := rows.Scan(&p.Item, &p.URL, &p.Text); err != nil {
			return nil, fmt.Errorf("pages due for %s: %w", source, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pages due for %s: %w", source, err)
	}
	return out, nil
}

// fillPagesWebSub adds each source's page error, count of items that kept
// their summary and WebSub state to out. Only sources with any of these
// have rows to read, so a store without full_content or WebSub reads none.
func (d *DB) fillPagesWebSub(ctx context.Context, out []SourceInfo) error {
	if len(out) == 0 {
		return nil
	}
	at := make(map[string]int, len(out))
	for i, s := range out {
		at[s.Name] = i
	}
	rows, err := d.db.QueryContext(ctx, `SELECT s.name, s.page_error,
		(SELECT count(*) FROM item_pages p WHERE p.source_id = s.id AND p.error <> '')
		FROM sources s WHERE s.page_error <> '' OR s.id IN (SELECT source_id FROM item_pages WHERE error <> '')`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, perr string
		var n int
		if err := rows.Scan(&name, &perr, &n); err != nil {
			return err
		}
		if i, ok := at[name]; ok {
			out[i].PageError, out[i].PageFailures = perr, n
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	subs, err := d.subscriptions(ctx, `1 = 1`)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if i, ok := at[s.Source]; ok {
			out[i].WebSub = s.String()
		}
	}
	return nil
}
