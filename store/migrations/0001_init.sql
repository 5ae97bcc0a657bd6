-- Sources: configured or added through the admin API, with fetch state.
CREATE TABLE sources (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE,
	url           TEXT NOT NULL DEFAULT '', -- where to fetch; follows 301s and autodiscovery
	config_url    TEXT NOT NULL DEFAULT '', -- as configured, to notice the operator changing it
	path          TEXT NOT NULL DEFAULT '',
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	last_fetch    INTEGER NOT NULL DEFAULT 0, -- unix seconds
	last_status   INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	failures      INTEGER NOT NULL DEFAULT 0,
	next_fetch    INTEGER NOT NULL DEFAULT 0,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL DEFAULT 0
);

-- Items: one row per story, whatever number of copies were seen.
CREATE TABLE items (
	id           INTEGER PRIMARY KEY,
	url          TEXT NOT NULL DEFAULT '',
	title        TEXT NOT NULL,
	content      TEXT NOT NULL DEFAULT '',
	text         TEXT NOT NULL DEFAULT '',
	summary      TEXT NOT NULL DEFAULT '',
	author       TEXT NOT NULL DEFAULT '',
	categories   TEXT NOT NULL DEFAULT '', -- newline separated
	published    INTEGER NOT NULL,          -- unix nanoseconds
	updated      INTEGER NOT NULL,
	created      INTEGER NOT NULL,
	content_hash TEXT NOT NULL,
	simhash      INTEGER NOT NULL,
	minhash      BLOB
);
CREATE INDEX items_url ON items(url) WHERE url <> '';
CREATE INDEX items_content_hash ON items(content_hash);
CREATE INDEX items_published ON items(published);

-- Every sighting of an item: the source it came from, with that source's
-- guid and link, and why it was joined to the item (explain).
CREATE TABLE sightings (
	id        INTEGER PRIMARY KEY,
	item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
	source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
	guid      TEXT NOT NULL DEFAULT '',
	url       TEXT NOT NULL DEFAULT '',
	hash      TEXT NOT NULL, -- content hash of this copy, to tell an edited entry
	reason    TEXT NOT NULL, -- "new", "url", "hash" or "near: …"
	seen      INTEGER NOT NULL
);
CREATE UNIQUE INDEX sightings_guid ON sightings(source_id, guid) WHERE guid <> '';
CREATE INDEX sightings_item ON sightings(item_id);
CREATE INDEX sightings_url ON sightings(url) WHERE url <> '';

-- LSH band keys of each item's MinHash: near-duplicate candidates are the
-- items sharing a key, so lookup cost does not grow with the item count.
CREATE TABLE item_bands (
	key     INTEGER NOT NULL,
	item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
	PRIMARY KEY (key, item_id)
) WITHOUT ROWID;
CREATE INDEX item_bands_item ON item_bands(item_id);

-- Topics as last synced, so a changed rule triggers recomputing membership.
CREATE TABLE topics (
	name      TEXT PRIMARY KEY,
	signature TEXT NOT NULL
);

CREATE TABLE topic_items (
	topic     TEXT NOT NULL REFERENCES topics(name) ON DELETE CASCADE ON UPDATE CASCADE,
	item_id   INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
	published INTEGER NOT NULL,
	PRIMARY KEY (topic, item_id)
) WITHOUT ROWID;
CREATE INDEX topic_items_order ON topic_items(topic, published DESC, item_id DESC);
CREATE INDEX topic_items_item ON topic_items(item_id);

-- Hand curation survives refreshes and rule changes.
CREATE TABLE curation (
	topic   TEXT NOT NULL,
	item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
	action  TEXT NOT NULL CHECK (action IN ('pin', 'hide')),
	at      INTEGER NOT NULL,
	PRIMARY KEY (topic, item_id)
) WITHOUT ROWID;
