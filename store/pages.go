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
	// Content and Text are the article extracted from the page; empty
	// leaves the item as it is.
	Content, Text string
}

// SavePages records the pages fetched for items of source, in one
// transaction: each item is marked as fetched (so no later refresh fetches
// it again), an extracted article replaces the item's content, and the
// source's last page error is set. A replaced item gets new fingerprints,
// topics and search terms, as an edit does; the feed's copy (its sighting
// hash) stays, so the next refresh does not take the summary for an edit.
// Items deleted meanwhile are skipped.
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
		return flushSearch(ctx, tx, ing.terms)
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
	_, err = g.exec(ctx, `INSERT OR REPLACE INTO item_pages (item_id, source_id, url, etag, last_modified, fetched, error)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, p.Item, src, p.URL, p.ETag, p.LastModified, g.now/int64(time.Second), p.Err)
	if err != nil || p.Content == "" {
		return true, err
	}
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
