-- Search indexing once per batch instead of once per row (issue 3).
--
-- The 0003 triggers wrote each item into the FTS5 index as its sighting
-- was inserted, from inside the row's statement: with ~1,000 items per
-- Ingest transaction that was about half of all ingest time. The triggers
-- now only note which items need (re)indexing in search_queue, a small
-- table; Ingest (store/search.go, flushSearch) indexes the whole queue
-- with one INSERT … SELECT before it commits, rowids ascending, so FTS5
-- builds one in-memory segment per batch. The same conditions as before
-- decide what is queued, so any writer keeps the index correct: a write
-- outside Ingest is indexed by the next flush.
--
-- reindex = 1 marks an item already in the index (a merge from a new
-- source, an edit): its old row is deleted before it is inserted again.
-- An item first queued as new keeps reindex = 0 (INSERT OR IGNORE), since
-- it is not in the index yet.
CREATE TABLE IF NOT EXISTS search_queue (
	id      INTEGER PRIMARY KEY, -- item id
	reindex INTEGER NOT NULL
);

DROP TRIGGER IF EXISTS search_new;
DROP TRIGGER IF EXISTS search_merge;
DROP TRIGGER IF EXISTS search_update;
DROP TRIGGER IF EXISTS search_delete;

CREATE TRIGGER search_new AFTER INSERT ON sightings
WHEN NOT EXISTS (SELECT 1 FROM sightings WHERE item_id = new.item_id AND id <> new.id)
BEGIN
	INSERT OR IGNORE INTO search_queue (id, reindex) VALUES (new.item_id, 0);
END;

CREATE TRIGGER search_merge AFTER INSERT ON sightings
WHEN EXISTS (SELECT 1 FROM sightings WHERE item_id = new.item_id AND id <> new.id)
	AND NOT EXISTS (SELECT 1 FROM sightings WHERE item_id = new.item_id AND source_id = new.source_id AND id <> new.id)
BEGIN
	INSERT OR IGNORE INTO search_queue (id, reindex) VALUES (new.item_id, 1);
END;

CREATE TRIGGER search_update AFTER UPDATE OF title, text, author, categories ON items
WHEN old.title IS NOT new.title OR old.text IS NOT new.text
	OR old.author IS NOT new.author OR old.categories IS NOT new.categories
BEGIN
	INSERT OR IGNORE INTO search_queue (id, reindex) VALUES (new.id, 1);
END;

-- Deletes stay immediate: a deleted item leaves the index and the queue.
CREATE TRIGGER search_delete AFTER DELETE ON items
BEGIN
	DELETE FROM search WHERE rowid = old.id;
	DELETE FROM search_queue WHERE id = old.id;
END;

-- FTS5 flushes its in-memory index to a new segment whenever it passes
-- hashsize (1 MB by default, ~300 items here), and each flush may start
-- an automerge. 16 MB holds a whole 1,000-item batch, so a batch becomes
-- one segment written at the end of the transaction.
INSERT INTO search (search, rank) VALUES ('hashsize', 16777216);
