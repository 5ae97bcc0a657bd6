-- items_url indexed every item's link but no query reads it: links are
-- matched through sightings_url, which holds every copy's link. Each
-- insert paid for a B-tree it never used.
DROP INDEX IF EXISTS items_url;
