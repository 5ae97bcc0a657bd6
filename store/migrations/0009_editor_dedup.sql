-- Editors' corrections of dedup (store/split.go): a copy split off an
-- item into an item of its own, or an item merged into another. The
-- rows are what `explain -item` shows and what ingest asks (splitApart,
-- itemsKeptApart) before it joins a copy to an item, so a later copy or
-- re-ingest never undoes an editor's split.
--
-- item_a and item_b name items as they are now: merging item X into Y
-- rewrites X to Y in every earlier row except a merge row's item_b (the
-- item merged away), so a split made before the merge still keeps apart
-- the items its copies are in, and a merge of two items split apart
-- leaves a split of an item from itself, which keeps nothing apart.
-- IF NOT EXISTS: tests that rewind user_version replay this file.
CREATE TABLE IF NOT EXISTS dedup_decisions (
	id     INTEGER PRIMARY KEY,
	kind   TEXT NOT NULL CHECK (kind IN ('split', 'merge')),
	item_a INTEGER NOT NULL, -- split: the item the copy left; merge: the item kept
	item_b INTEGER NOT NULL, -- split: the item made from the copy; merge: the item merged away, deleted
	copies TEXT NOT NULL,    -- JSON array of the sighting ids moved
	at     INTEGER NOT NULL  -- unix nanoseconds
);
CREATE INDEX IF NOT EXISTS dedup_decisions_a ON dedup_decisions(item_a, item_b);
CREATE INDEX IF NOT EXISTS dedup_decisions_b ON dedup_decisions(item_b, item_a);

-- An item pruned or removed with its source takes its decisions along:
-- SQLite may give a deleted item's id to the next new item, which must
-- not inherit a split. A merge rewrites the merged item away first, so
-- its own delete leaves the rows alone (a merge row's item_b stays).
CREATE TRIGGER IF NOT EXISTS dedup_decisions_delete AFTER DELETE ON items
BEGIN
	DELETE FROM dedup_decisions WHERE item_a = old.id OR (kind = 'split' AND item_b = old.id);
END;
