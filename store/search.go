package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"modernc.org/sqlite"

	"github.com/topicfeed/topicfeed/feed"
)

// The search index holds hashed terms of the words rules match
// (migration 0007, feed.SearchTerms). topicfeed_terms makes them from an
// items row for the migration; topicfeed_fold (feed.Fold) is what
// migrations 0003 and 0004 indexed text with, kept so an old database can
// still be migrated. Registering a pure function with the driver is
// process-wide but stateless.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("topicfeed_fold", 1, foldSQL)
	sqlite.MustRegisterDeterministicScalarFunction("topicfeed_terms", 5, termsSQL)
}

// termsSQL is topicfeed_terms(title, text, sources, author, categories):
// feed.SearchTerms of an items row, categories newline-separated as
// stored. It makes what the index holds since migration 0007;
// topicfeed_fold is left for migrations 0003 and 0004.
func termsSQL(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	var d searchDoc
	for i, p := range []*string{&d.title, &d.text, &d.source, &d.author, &d.categories} {
		switch v := args[i].(type) {
		case string:
			*p = v
		case []byte:
			*p = string(v)
		}
	}
	return d.terms(), nil
}

// searchDoc is a row of the search_docs view: an item's fields as the
// index reads them.
type searchDoc struct {
	title, text, source, author, categories string
}

// terms are the doc's search terms; categories are stored one a line.
func (d searchDoc) terms() string {
	var cats []string
	if d.categories != "" {
		cats = strings.Split(d.categories, "\n")
	}
	return feed.SearchTerms(d.title, d.text, d.source, d.author, cats)
}

func foldSQL(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case string:
		if isASCII(v) {
			return v, nil // FTS5 folds ASCII case exactly as Go does
		}
		return feed.Fold(v), nil
	case []byte:
		return feed.Fold(string(v)), nil
	case nil:
		return nil, nil
	}
	return args[0], nil
}

// flushSearch indexes every item queued in search_queue (migration 0004:
// the triggers on sightings and items queue new, merged and edited items)
// and empties the queue. Terms come from known, those of new items made
// from the words tokenised for topic rules, or else are made from the stored
// item, in Go on every core (calling topicfeed_terms from an INSERT ran
// them one at a time), then written in rowid order. Ingest calls it
// before committing, so a committed batch is searchable.
func (d *DB) flushSearch(ctx context.Context, tx *sql.Tx, known map[int64]string) error {
	if _, err := tx.ExecContext(ctx, d.pick(`DELETE FROM search WHERE rowid IN (SELECT id FROM search_queue WHERE reindex)`,
		`DELETE FROM search WHERE id IN (SELECT id FROM search_queue WHERE reindex <> 0)`)); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	type entry struct {
		id    int64
		known bool // terms given; else doc is read from search_docs
		terms string
		doc   searchDoc
	}
	ids, err := queryIDs(ctx, tx, `SELECT id FROM search_queue ORDER BY id`)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	queue := make([]entry, len(ids))
	at := make(map[int64]int, len(ids))
	var load []int64
	for i, id := range ids {
		terms, ok := known[id]
		queue[i], at[id] = entry{id: id, known: ok, terms: terms}, i
		if !ok {
			load = append(load, id)
		}
	}
	if len(load) > 0 {
		list, err := json.Marshal(load)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, title, text, coalesce(source, ''), author, categories
			FROM search_docs WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`, string(list))
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		for rows.Next() {
			var id int64
			var d searchDoc
			if err := rows.Scan(&id, &d.title, &d.text, &d.source, &d.author, &d.categories); err != nil {
				rows.Close()
				return fmt.Errorf("search index: %w", err)
			}
			queue[at[id]].doc = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	parallel(len(queue), 16, func(i int) {
		if e := &queue[i]; !e.known {
			e.terms = e.doc.terms()
		}
	})
	if len(queue) > 0 && d.pg != nil {
		// One statement for the batch: a round trip per row would cost
		// more than indexing it. The terms are whole lexemes, not text
		// for a parser.
		ids, terms := make([]int64, len(queue)), make([]string, len(queue))
		for i, e := range queue {
			ids[i], terms[i] = e.id, e.terms
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search (id, terms)
			SELECT id, array_to_tsvector(array_remove(string_to_array(terms, ' '), ''))
			FROM unnest(?::bigint[], ?::text[]) AS q(id, terms)`, ids, terms); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	} else if len(queue) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT INTO search (rowid, terms) VALUES (?, ?)`)
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		defer st.Close()
		for _, e := range queue {
			if _, err := st.ExecContext(ctx, e.id, e.terms); err != nil {
				return fmt.Errorf("search index: item %d: %w", e.id, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_queue`); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}

// queryIDs runs a query of one integer column, on the database or in a
// transaction.
func queryIDs(ctx context.Context, db interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}, q string, args ...any) ([]int64, error) {
	return scanIDs(db.QueryContext(ctx, q, args...))
}

// scanIDs reads the rows of a query of one integer column.
func scanIDs(rows *sql.Rows, err error) ([]int64, error) { return scanColumn[int64](rows, err) }

// scanColumn reads the rows of a query of one column.
func scanColumn[T any](rows *sql.Rows, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Search bounds. FTS5 candidates are a superset of the rule's matches
// (FTSQuery drops NOT and the case of ALL-CAPS words), so the exact filter
// may reject many of them; the caps keep one query's cost bounded when the
// index is unselective.
const (
	// SearchMaxLimit caps how many items one search returns.
	SearchMaxLimit = 500
	// searchCandidates is how many index hits, the most recently stored
	// first, are ranked by date. Queries with more hits than this rank
	// only the newest ones.
	searchCandidates = 5000
	// searchChecks is how many candidates at most are loaded and matched
	// exactly; a rule FTS5 cannot narrow (NOT-only) scans this many of the
	// newest items.
	searchChecks = 5000
)

// Search returns up to limit items the rule matches, newest first. FTS5
// proposes candidates with rule.FTSQuery(); each is then checked with
// rule.Match, loading candidates in pages until limit items match or the
// candidates (at most searchChecks) run out. The first page comes with
// its rows and credits in one statement, so a search that one page
// answers (most do) runs one. The statements run outside a transaction:
// an explicit read transaction cost more than it saved, and a candidate
// deleted meanwhile is simply not loaded.
func (d *DB) Search(ctx context.Context, rule *feed.Rule, limit int) ([]*feed.Item, error) {
	switch {
	case limit <= 0:
		limit = 50
	case limit > SearchMaxLimit:
		limit = SearchMaxLimit
	}
	st, err := d.searchStatements(ctx)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", rule, err)
	}
	q, page := rule.FTSQuery(), max(2*limit, 64)
	var out []*feed.Item
	keep := func(batch []*feed.Item) {
		ok := matchAll(rule, batch)
		for i, it := range batch {
			if len(out) < limit && ok[i] {
				out = append(out, it)
			}
		}
	}
	start := 0
	if q != "" {
		first, err := st.firstPage(ctx, q, page)
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", rule, err)
		}
		keep(first)
		if len(first) < page || len(out) == limit {
			return out, nil
		}
		start = page
	}
	ids, err := st.candidates(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", rule, err)
	}
	for ; start < len(ids) && len(out) < limit; start += page {
		batch, err := st.items(ctx, ids[start:min(start+page, len(ids))])
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", rule, err)
		}
		keep(batch)
	}
	return out, nil
}

// searchStmts are a search's statements, prepared once: preparing them
// was ~40% of a one-hit search's CPU. database/sql keeps each prepared on
// every connection it has run on. Their shapes are fixed (id lists go in
// as one JSON array) so that nothing is prepared per search.
type searchStmts struct {
	newest, hits, first, rows *sql.Stmt
	pg                        bool // q is given as FTS5 and run as a tsquery
}

// searchHits are the ids of the FTS5 hits of ?1, newest first: the inner
// query walks the index by rowid, newest stored first, and stops at ?2;
// only those hits are ranked by date, and the first ?3 kept.
const searchHits = `SELECT i.id FROM items i INDEXED BY items_id_published JOIN (
		SELECT rowid AS id FROM search WHERE search MATCH ?1 ORDER BY rowid DESC LIMIT ?2
	) h ON h.id = i.id
	ORDER BY i.published DESC, i.id DESC LIMIT ?3`

// searchRow is an item's columns and its copies' credits, first copy
// first, as one JSON array of creditColumns arrays.
const searchRow = `SELECT ` + itemColumns + `, (SELECT coalesce(json_group_array(json_array(` + creditColumns + `) ORDER BY g.id), '[]')
		FROM sightings g JOIN sources s ON s.id = g.source_id WHERE g.item_id = i.id)
	FROM items i`

// searchHitsPG is searchHits on PostgreSQL: the GIN index of terms finds
// the hits of the tsquery ?1 (search_hits, PostgreSQL migration 0003,
// says why it is a function).
const searchHitsPG = `SELECT i.id FROM items i JOIN search_hits(CAST(?1 AS tsquery), ?2) h(id) ON h.id = i.id
	ORDER BY i.published DESC, i.id DESC LIMIT ?3`

// tsquery is an FTS5 query of FTSQuery's form (quoted base-32 terms, AND,
// OR, parentheses) as a PostgreSQL tsquery.
func tsquery(q string) string {
	return strings.NewReplacer(`"`, `'`, " AND ", " & ", " OR ", " | ").Replace(q)
}

func (d *DB) searchStatements(ctx context.Context) (*searchStmts, error) {
	d.searchMu.Lock()
	defer d.searchMu.Unlock()
	if d.searchSt != nil {
		return d.searchSt, nil
	}
	st := &searchStmts{pg: d.pg != nil}
	hits := d.pick(searchHits, searchHitsPG)
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&st.newest, `SELECT id FROM items INDEXED BY items_published
			ORDER BY published DESC, id DESC LIMIT ?`},
		{&st.hits, hits},
		{&st.first, searchRow + ` WHERE i.id IN (` + hits + `)`},
		{&st.rows, searchRow + ` WHERE i.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?))`},
	} {
		var err error
		if *p.s, err = d.db.PrepareContext(ctx, p.q); err != nil {
			st.close()
			return nil, err
		}
	}
	d.searchSt = st
	return st, nil
}

func (st *searchStmts) close() {
	for _, s := range []*sql.Stmt{st.newest, st.hits, st.first, st.rows} {
		if s != nil {
			s.Close()
		}
	}
}

// candidates returns at most searchChecks item ids, newest first: the
// FTS5 hits of q, or with q == "" simply the newest items.
func (st *searchStmts) candidates(ctx context.Context, q string) ([]int64, error) {
	if q == "" {
		return scanIDs(st.newest.QueryContext(ctx, searchChecks))
	}
	return scanIDs(st.hits.QueryContext(ctx, st.query(q), searchCandidates, searchChecks))
}

func (st *searchStmts) query(q string) string {
	if st.pg {
		return tsquery(q)
	}
	return q
}

// firstPage loads the newest n candidates of q, newest first.
func (st *searchStmts) firstPage(ctx context.Context, q string, n int) ([]*feed.Item, error) {
	items, pub, err := scanRows(st.first.QueryContext(ctx, st.query(q), searchCandidates, n))
	if err != nil {
		return nil, err
	}
	// IN returns them in id order: put them back in the hits' order.
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(pub[b], pub[a]); c != 0 {
			return c
		}
		return cmp.Compare(items[b].ID, items[a].ID)
	})
	out := make([]*feed.Item, len(items))
	for i, j := range order {
		out[i] = items[j]
	}
	return out, nil
}

// items loads items with their sources, in the order of ids.
func (st *searchStmts) items(ctx context.Context, ids []int64) ([]*feed.Item, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	items, _, err := scanRows(st.rows.QueryContext(ctx, string(list)))
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*feed.Item, len(items))
	for _, it := range items {
		byID[it.ID] = it
	}
	out := make([]*feed.Item, 0, len(ids))
	for _, id := range ids {
		if it := byID[id]; it != nil { // deleted since the candidate query
			out = append(out, it)
		}
	}
	return out, nil
}

// scanRows reads searchRow's rows, with each item's published time as stored.
func scanRows(rows *sql.Rows, err error) ([]*feed.Item, []int64, error) {
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var items []*feed.Item
	var pubs []int64
	for rows.Next() {
		var credits []byte
		it, pub, err := scanItem(rows, &credits)
		if err != nil {
			return nil, nil, err
		}
		var copies [][6]string
		if err := json.Unmarshal(credits, &copies); err != nil {
			return nil, nil, fmt.Errorf("item %d: credits: %w", it.ID, err)
		}
		for _, c := range copies {
			addCopy(it, copyCredit{source: c[0], sourceURL: c[1], feed: c[2], site: c[3], siteURL: c[4], link: c[5]})
		}
		items, pubs = append(items, it), append(pubs, pub)
	}
	return items, pubs, rows.Err()
}

// matchAll checks items against the rule on every CPU: tokenising each
// candidate is most of a search's cost, so candidates that cannot match
// (Rule.MayMatch) are not tokenised, and the others keep only the rule's
// words.
func matchAll(rule *feed.Rule, items []*feed.Item) []bool {
	ok := make([]bool, len(items))
	v := feed.NewVocab(rule)
	parallel(len(items), 16, func(i int) {
		ok[i] = rule.MayMatch(items[i]) && rule.Match(v.ItemDoc(items[i]))
	})
	return ok
}

func (d *DB) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	return queryIDs(ctx, d.db, q, args...)
}

// searchCandidates is candidates outside a search, for tests.
func (d *DB) searchCandidates(ctx context.Context, q string) ([]int64, error) {
	st, err := d.searchStatements(ctx)
	if err != nil {
		return nil, err
	}
	return st.candidates(ctx, q)
}

// itemsByID loads items with their sources, in the order of ids.
func (d *DB) itemsByID(ctx context.Context, ids []int64) ([]*feed.Item, error) {
	st, err := d.searchStatements(ctx)
	if err != nil {
		return nil, err
	}
	return st.items(ctx, ids)
}
