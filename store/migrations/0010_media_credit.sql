-- What an entry carries beside its text, passed on to every published
-- format (issue 15): its enclosures (a podcast's audio), main image,
-- authors where a name alone does not say it all, and comments page, as
-- one JSON object (store/media.go). '' for the many items with none, so
-- they pay one empty string each.
ALTER TABLE items ADD COLUMN media TEXT NOT NULL DEFAULT '';

-- Who published each copy, to credit them: the site's name (its feed's
-- title) and home page. '' for copies stored before this and for plain
-- article files; the source's name stands in for the site's.
ALTER TABLE sightings ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE sightings ADD COLUMN site_url TEXT NOT NULL DEFAULT '';
