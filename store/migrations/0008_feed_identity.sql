-- A GUID names an entry within the feed document it came from, not
-- within the whole source: two feed files in one folder may both say
-- guid "0". Rows stored before keep feed '' and are matched as before
-- until an entry of theirs is seen again (ingest then records its feed).
ALTER TABLE sightings ADD COLUMN feed TEXT NOT NULL DEFAULT '';
-- The hashes of the sentences at this copy's start and end, from which
-- ingest learns what its source repeats (boilerplate); 8 bytes each.
ALTER TABLE sightings ADD COLUMN units BLOB;
-- guid before feed: a batch looks its guids up in every feed at once
-- (rows from before have feed '').
DROP INDEX sightings_guid;
CREATE UNIQUE INDEX sightings_guid ON sightings(source_id, guid, feed) WHERE guid <> '';
-- A source's latest sightings, for learning its boilerplate.
CREATE INDEX sightings_source ON sightings(source_id, id);

-- What pruning removed, so no re-fetch or rescan brings it back.
CREATE TABLE tombstones (
	source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
	feed      TEXT NOT NULL DEFAULT '',
	guid      TEXT NOT NULL DEFAULT '',
	url       TEXT NOT NULL DEFAULT '',
	at        INTEGER NOT NULL
);
CREATE INDEX tombstones_guid ON tombstones(source_id, guid) WHERE guid <> '';
CREATE INDEX tombstones_url ON tombstones(source_id, url) WHERE url <> '';
