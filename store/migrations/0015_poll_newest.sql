-- What the last parsed document said of a source's pace, kept with its
-- poll state so that a 304, which brings no items, can still tell a
-- source that went quiet: the newest item date seen (Unix seconds, 0 when
-- none was dated) and the median gap between recent item dates (seconds,
-- 0 when the rate is unknown).
ALTER TABLE sources ADD COLUMN poll_newest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN poll_gap INTEGER NOT NULL DEFAULT 0;
