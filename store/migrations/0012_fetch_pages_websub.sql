-- Full content (issue 18): each new item of a full_content source has its
-- page fetched once. The row says it was, so no later refresh fetches it
-- again; keeps the page's validators for a conditional refetch; and holds
-- the reason when the item kept its summary.
CREATE TABLE item_pages (
	item_id       INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
	source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
	url           TEXT NOT NULL,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	fetched       INTEGER NOT NULL, -- unix seconds
	error         TEXT NOT NULL DEFAULT '' -- why the item kept its summary
);
-- Counting a source's items that kept their summary, for `sources`.
CREATE INDEX item_pages_failed ON item_pages(source_id) WHERE error <> '';

-- The last page failure of a source ('' once a page worked again).
ALTER TABLE sources ADD COLUMN page_error TEXT NOT NULL DEFAULT '';

-- WebSub subscriptions (refresh/websub.go): one per source, to the hub
-- its feed advertises. token names the callback URL; secret signs pushes.
CREATE TABLE websub (
	source_id INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
	token     TEXT NOT NULL UNIQUE,
	hub       TEXT NOT NULL,
	topic     TEXT NOT NULL,
	secret    TEXT NOT NULL,
	state     TEXT NOT NULL, -- pending, active, failed, denied
	error     TEXT NOT NULL DEFAULT '',
	failures  INTEGER NOT NULL DEFAULT 0,
	requested INTEGER NOT NULL DEFAULT 0, -- unix seconds, as every time here
	lease_end INTEGER NOT NULL DEFAULT 0,
	renew_at  INTEGER NOT NULL DEFAULT 0, -- when to subscribe again
	last_push INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX websub_renew ON websub(renew_at);
