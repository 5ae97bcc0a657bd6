package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

func (g *ingester) insert(ctx context.Context, it *feed.Item, p *preparedItem) error {
	fp := p.fp
	// The item is left as it came: prepareAll's classify may still be
	// reading its text on another goroutine.
	text, content := it.Text, it.Content
	if p.drop != nil {
		text, content = feed.DropParagraphs(text, content, p.drop)
	}
	pub, upd := times(it, g.now)
	var id int64
	err := g.queryRow(ctx, `INSERT INTO items
		(url, title, content, text, summary, author, categories, media, published, updated, created, content_hash, simhash, minhash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		it.URL, it.Title, content, text, it.Summary, it.Author, strings.Join(it.Categories, "\n"), marshalMedia(it),
		pub, upd, g.now, fp.Hash, int64(fp.SimHash), fp.MarshalMinHash()).Scan(&id)
	if err != nil {
		return err
	}
	if err := g.sighting(ctx, id, it, p, "new"); err != nil {
		return err
	}
	g.learned(id, p)
	g.addBands(id, fp)
	it.ID, it.Sources = id, []string{g.sourceName}
	g.fresh[id] = freshItem{pub: pub, p: p}
	return nil
}

// update rewrites an edited item in place: same id, new text, new updated time.
func (g *ingester) update(ctx context.Context, id int64, it *feed.Item, fp feed.Fingerprint) error {
	pub, upd := times(it, g.now)
	if it.Updated.IsZero() || upd <= pub {
		upd = g.now
	}
	_, err := g.exec(ctx, `UPDATE items SET url = ?, title = ?, content = ?, text = ?, summary = ?,
		author = ?, categories = ?, media = ?, updated = ?, content_hash = ?, simhash = ?, minhash = ? WHERE id = ?`,
		it.URL, it.Title, it.Content, it.Text, it.Summary, it.Author, strings.Join(it.Categories, "\n"), marshalMedia(it),
		upd, fp.Hash, int64(fp.SimHash), fp.MarshalMinHash(), id)
	if err != nil {
		return err
	}
	if _, err := g.exec(ctx, `DELETE FROM item_keys WHERE item_id = ?`, id); err != nil {
		return err
	}
	g.addBands(id, fp)
	return g.reclassify(ctx, id)
}

// merge records a duplicate sighting of item id; the item itself stays as
// first stored, but topics may now accept it through the new source.
func (g *ingester) merge(ctx context.Context, id int64, it *feed.Item, p *preparedItem, reason string) error {
	var had int
	err := g.queryRow(ctx, `SELECT count(*) FROM sightings WHERE item_id = ? AND source_id = ?`, id, g.source).Scan(&had)
	if err != nil {
		return err
	}
	if err := g.sighting(ctx, id, it, p, reason); err != nil {
		return err
	}
	if had > 0 {
		return nil
	}
	return g.reclassify(ctx, id)
}

func (g *ingester) sighting(ctx context.Context, id int64, it *feed.Item, p *preparedItem, reason string) error {
	var sid int64
	err := g.queryRow(ctx, `INSERT INTO sightings (item_id, source_id, feed, guid, url, hash, reason, seen, units, site, site_url)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, id, g.source, it.Feed, it.GUID, it.URL, p.fp.Hash, reason, g.now,
		marshalUnits(p.units.Units), it.Site.Name, it.Site.URL).Scan(&sid)
	if err != nil {
		return err
	}
	g.ids.add(&sightingRow{id: sid, item: id, source: g.source, hash: p.fp.Hash, reason: reason, feed: it.Feed, guid: it.GUID, url: it.URL})
	return nil
}

// classify adds a stored item to every topic that accepts it. The item
// is tokenised only when some topic has a rule (a topic of sources alone,
// or `all`, needs no words), and only for the rules' words.
func (g *ingester) classify(ctx context.Context, id int64, it *feed.Item, pub int64) error {
	var doc *feed.Doc
	for _, t := range g.opt.Topics {
		if doc == nil && (t.Match != nil || t.Exclude != nil) {
			if g.vocab == nil {
				g.vocab = topicVocab(g.opt.Topics)
			}
			doc = g.vocab.ItemDoc(it)
		}
		if !t.Accepts(doc, it.Sources) {
			continue
		}
		if err := g.addToTopic(ctx, t, id, pub); err != nil {
			return err
		}
	}
	return nil
}

func (g *ingester) addToTopic(ctx context.Context, t *feed.Topic, id, pub int64) error {
	_, err := g.exec(ctx, `INSERT OR IGNORE INTO topic_items (topic, item_id, published) VALUES (?, ?, ?)`, t.Name, id, pub)
	return err
}

// reclassify recomputes a stored item's topics after an edit or a merge.
func (g *ingester) reclassify(ctx context.Context, id int64) error {
	it, pub, err := loadItem(ctx, g, id)
	if err != nil {
		return err
	}
	if _, err := g.exec(ctx, `DELETE FROM topic_items WHERE item_id = ?`, id); err != nil {
		return err
	}
	delete(g.terms, id) // made for what the item was; flushSearch reads what it is
	delete(g.fresh, id) // so are its prepared topics
	return g.classify(ctx, id, it, pub)
}

// times gives an item's published and updated times in unix nanoseconds,
// defaulting to the ingest time when the source gave none.
func times(it *feed.Item, now int64) (pub, upd int64) {
	pub, upd = now, now
	if !it.Published.IsZero() {
		pub = it.Published.UnixNano()
	}
	upd = pub
	if !it.Updated.IsZero() && it.Updated.UnixNano() > pub {
		upd = it.Updated.UnixNano()
	}
	return pub, upd
}

type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

const itemColumns = `i.id, i.url, i.title, i.content, i.text, i.summary, i.author, i.categories, i.media, i.published, i.updated`

// scanItem reads itemColumns, and into extra any columns after them.
func scanItem(sc interface{ Scan(...any) error }, extra ...any) (*feed.Item, int64, error) {
	var it feed.Item
	var cats, media string
	var pub, upd int64
	dest := append([]any{&it.ID, &it.URL, &it.Title, &it.Content, &it.Text, &it.Summary, &it.Author, &cats, &media, &pub, &upd}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, 0, err
	}
	if cats != "" {
		it.Categories = strings.Split(cats, "\n")
	}
	if err := unmarshalMedia(&it, media); err != nil {
		return nil, 0, err
	}
	it.Published, it.Updated = time.Unix(0, pub).UTC(), time.Unix(0, upd).UTC()
	return &it, pub, nil
}

// loadItem reads one item with every source it was seen in and the
// sites to credit.
func loadItem(ctx context.Context, q queryer, id int64) (*feed.Item, int64, error) {
	it, pub, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM items i WHERE i.id = ?`, id))
	if err == sql.ErrNoRows {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return it, pub, itemCredits(ctx, q, it)
}
