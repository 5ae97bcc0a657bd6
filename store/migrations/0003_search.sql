-- Full-text search over every item (store/search.go).
--
-- search is a contentless FTS5 table: it keeps only the inverted index,
-- not a third copy of each item's text (items already holds content and
-- text), which is most of what a naive FTS table costs at insert.
-- contentless_delete=1 lets triggers delete or replace a row by rowid
-- alone. Its rowid is the item id; columns are those feed.Rule.FTSQuery
-- addresses. Text goes in through topicfeed_fold (feed.Fold, registered
-- by store/search.go), so FTS5 sees the same NFKC, accent-free, lower-case
-- words that rule matching sees and its candidates are a superset of
-- Rule.Match; remove_diacritics 2 is a second net for anything left.
CREATE VIRTUAL TABLE search USING fts5(
	title, body, source, author, category,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- Search ranks its candidates by date. Reading published from an items
-- row means reading past content and text, several pages per item; this
-- index answers it from a few bytes per item.
CREATE INDEX items_id_published ON items(id, published);

-- search_docs is one item as the index sees it: the folded fields, and
-- the names of every source it was seen in.
CREATE VIEW search_docs AS
SELECT i.id AS id,
	topicfeed_fold(i.title) AS title,
	topicfeed_fold(i.text) AS body,
	(SELECT group_concat(topicfeed_fold(s.name), ' ')
		FROM sightings g JOIN sources s ON s.id = g.source_id
		WHERE g.item_id = i.id) AS source,
	topicfeed_fold(i.author) AS author,
	topicfeed_fold(i.categories) AS category
FROM items i;

-- Ingest inserts an item, then its first sighting: index it then, once,
-- when its source is known.
CREATE TRIGGER search_new AFTER INSERT ON sightings
WHEN NOT EXISTS (SELECT 1 FROM sightings WHERE item_id = new.item_id AND id <> new.id)
BEGIN
	INSERT INTO search (rowid, title, body, source, author, category)
	SELECT id, title, body, source, author, category FROM search_docs WHERE id = new.item_id;
END;

-- A duplicate merged from a source the item had not been seen in adds
-- that source name: re-index the row (merges are rare next to new items).
CREATE TRIGGER search_merge AFTER INSERT ON sightings
WHEN EXISTS (SELECT 1 FROM sightings WHERE item_id = new.item_id AND id <> new.id)
	AND NOT EXISTS (SELECT 1 FROM sightings WHERE item_id = new.item_id AND source_id = new.source_id AND id <> new.id)
BEGIN
	DELETE FROM search WHERE rowid = new.item_id;
	INSERT INTO search (rowid, title, body, source, author, category)
	SELECT id, title, body, source, author, category FROM search_docs WHERE id = new.item_id;
END;

-- An edited entry rewrites the item in place.
CREATE TRIGGER search_update AFTER UPDATE OF title, text, author, categories ON items
WHEN old.title IS NOT new.title OR old.text IS NOT new.text
	OR old.author IS NOT new.author OR old.categories IS NOT new.categories
BEGIN
	DELETE FROM search WHERE rowid = new.id;
	INSERT INTO search (rowid, title, body, source, author, category)
	SELECT id, title, body, source, author, category FROM search_docs WHERE id = new.id;
END;

CREATE TRIGGER search_delete AFTER DELETE ON items
BEGIN
	DELETE FROM search WHERE rowid = old.id;
END;

-- Items stored before this migration.
INSERT INTO search (rowid, title, body, source, author, category)
SELECT id, title, body, source, author, category FROM search_docs;
