-- The operator's console (#20).
--
-- A topic rule saved from the console wins over the config file's rule
-- for that topic until the file's own rule changes: config_match and
-- config_exclude are the file's rule (canonical form) when it was saved.
-- IF NOT EXISTS: tests that rewind user_version replay this file.
CREATE TABLE IF NOT EXISTS console_rules (
	topic          TEXT PRIMARY KEY,
	match          TEXT NOT NULL DEFAULT '',
	exclude        TEXT NOT NULL DEFAULT '',
	config_match   TEXT NOT NULL DEFAULT '',
	config_exclude TEXT NOT NULL DEFAULT '',
	saved          INTEGER NOT NULL -- unix seconds
);

-- Each configured topic's rule as the config file had it at the last
-- sync, so a save from the console can record it.
CREATE TABLE IF NOT EXISTS config_rules (
	topic   TEXT PRIMARY KEY,
	match   TEXT NOT NULL DEFAULT '',
	exclude TEXT NOT NULL DEFAULT ''
);

-- What the last scans of a path source's folder found, for /sources.
CREATE TABLE IF NOT EXISTS folder_scans (
	source_id INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
	scanned   INTEGER NOT NULL DEFAULT 0, -- last scan, unix seconds
	files     INTEGER NOT NULL DEFAULT 0, -- files in the folder then
	changed   INTEGER NOT NULL DEFAULT 0, -- last scan that found new or changed files
	ingested  INTEGER NOT NULL DEFAULT 0, -- files read by that scan
	added     INTEGER NOT NULL DEFAULT 0, -- items it stored as new
	updated   INTEGER NOT NULL DEFAULT 0,
	merged    INTEGER NOT NULL DEFAULT 0,
	rejected  TEXT NOT NULL DEFAULT ''    -- one line per rejected file: path and reason
);

-- The last few fetch errors of each source, newest last.
CREATE TABLE IF NOT EXISTS fetch_errors (
	id        INTEGER PRIMARY KEY,
	source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
	at        INTEGER NOT NULL, -- unix seconds
	status    INTEGER NOT NULL DEFAULT 0,
	error     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fetch_errors_source ON fetch_errors(source_id, id);
