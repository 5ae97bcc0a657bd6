-- The interval a source's next poll was chosen with (seconds) and why:
-- how often it publishes, bounded by refresh.min_interval/max_interval,
-- lengthened where the server asks for fewer polls.
ALTER TABLE sources ADD COLUMN poll_interval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN poll_reason TEXT NOT NULL DEFAULT '';
