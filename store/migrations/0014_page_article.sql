-- Full content (issue 18), edits and catch-up. An edit of an entry puts
-- the feed's text back in its item, so the page is fetched again, with the
-- validators kept here: on a 304 the article kept here goes back.
-- content and text are the article as the item held it ('' when the item
-- kept its summary). feed_hash is the hash of the feed's copy (the
-- sighting's) when the page was fetched: a sighting hash that differs
-- since is an edit whose page is due.
ALTER TABLE item_pages ADD COLUMN content TEXT NOT NULL DEFAULT '';
ALTER TABLE item_pages ADD COLUMN text TEXT NOT NULL DEFAULT '';
ALTER TABLE item_pages ADD COLUMN feed_hash TEXT NOT NULL DEFAULT '';

-- Pages fetched before: the item holds the article unless the page failed,
-- and the feed's copy is as it was then unless it was edited since (such
-- an edit cannot be told now, and keeps its summary as before).
UPDATE item_pages SET
	content = coalesce((SELECT i.content FROM items i WHERE i.id = item_pages.item_id AND item_pages.error = ''), ''),
	text = coalesce((SELECT i.text FROM items i WHERE i.id = item_pages.item_id AND item_pages.error = ''), ''),
	feed_hash = coalesce((SELECT g.hash FROM sightings g WHERE g.item_id = item_pages.item_id
		AND g.source_id = item_pages.source_id AND g.reason = 'new' LIMIT 1), '');

-- A source's fetched pages: looked up by source for its edits, and deleted
-- with the source.
CREATE INDEX item_pages_source ON item_pages(source_id);
