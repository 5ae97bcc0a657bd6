-- Claims of due sources, as SQLite's migration 0016: see there.
ALTER TABLE sources ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sources_due ON sources(next_fetch) WHERE disabled = 0;
