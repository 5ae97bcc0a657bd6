-- The newest n items whose terms match q (store/search.go). The planner
-- prices testing a row's tsvector as cheap, but each is a TOASTed value
-- of a few KB: for a word in most items it read every one in a
-- sequential scan (6–9 s at 1M items) where the GIN bitmap, which never
-- opens them, takes 0.4 s. A function's own SET keeps that choice to
-- this query; ordering by id + 0 keeps it off a backward walk of the
-- primary key, which opens a tsvector per row too.
CREATE FUNCTION search_hits(q tsquery, n bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE SET enable_seqscan = off
AS $$ SELECT id FROM search WHERE terms @@ q ORDER BY id + 0 DESC LIMIT n $$;
