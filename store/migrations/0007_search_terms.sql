-- The search index holds search terms, not text (feed/searchterms.go):
-- one hashed term per distinct word of an item and per distinct word of
-- each field but the body, made in Go by topicfeed_terms with the very
-- tokenizer rules match with. FTS5 keeps no positions (detail=none) and
-- splits on spaces only (ascii: every term is one token), so it does far
-- less work per item than tokenising 3.5 KB with unicode61 and keeping
-- every position; Search checks phrases and fields with Rule.Match.
-- The queue and its triggers (0004) are unchanged.
DROP VIEW search_docs;
DROP TABLE search;

CREATE VIRTUAL TABLE search USING fts5(
	terms,
	content = '', contentless_delete = 1,
	detail = none, tokenize = 'ascii'
);
INSERT INTO search (search, rank) VALUES ('hashsize', 16777216);

-- search_docs is one item's fields as the index reads them; source is
-- the names of every source it was seen in (flushSearch reads it too).
CREATE VIEW search_docs AS
SELECT i.id AS id, i.title AS title, i.text AS text,
	(SELECT group_concat(s.name, ' ')
		FROM sightings g JOIN sources s ON s.id = g.source_id
		WHERE g.item_id = i.id) AS source,
	i.author AS author, i.categories AS categories
FROM items i;

-- Every item stored before this migration, and none left queued.
INSERT INTO search (rowid, terms)
SELECT id, topicfeed_terms(title, text, source, author, categories) FROM search_docs ORDER BY id;
DELETE FROM search_queue;
