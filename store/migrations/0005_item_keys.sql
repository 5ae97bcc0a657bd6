-- The duplicate index moves to memory (store/nearindex.go); SQLite keeps
-- each item's band keys and content hash key as one appended row.
-- item_bands and items_content_hash, keyed by random keys, dirtied a page
-- per key once they were large.
--
-- seq only grows (AUTOINCREMENT never reuses a deleted row's number), so
-- a process that has read up to seq N finds every row written since,
-- whichever process wrote it, as seq > N. An edited item gets a new row
-- and loses its old one.
CREATE TABLE item_keys (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
	keys    BLOB NOT NULL -- the top 32 bits of each band key and the hash key, little-endian
);
CREATE INDEX item_keys_item ON item_keys(item_id);

INSERT INTO item_keys (item_id, keys)
SELECT id, keys FROM (SELECT id, topicfeed_item_keys(minhash, content_hash) AS keys FROM items ORDER BY id)
WHERE keys IS NOT NULL;

DROP TABLE item_bands;
DROP INDEX items_content_hash;
