-- Where a source came from: 'config' sources are trusted; 'api' sources
-- were added through the admin API and may not reach private addresses.
ALTER TABLE sources ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
