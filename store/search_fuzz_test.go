package store

import (
	"database/sql"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// FuzzSearchSuperset: for any rule and any item, when the rule matches
// the item, the item's search terms satisfy the rule's FTS query in a real
// FTS5 table made as migration 0007 makes it; Search relies on that to
// return everything Match accepts.
//
//	go test ./store -run '^$' -fuzz '^FuzzSearchSuperset$' -fuzztime 2m -parallel 1
func FuzzSearchSuperset(f *testing.F) {
	for _, r := range devsetRules {
		f.Add(r, "Pakistan, US weigh tariffs", "Shehbāz met the United States envoy in Washington; Müller's steel, IT exports.")
	}
	f.Add(`title:"trade deal" OR body:ﬁnance`, "The trade deal", "ＦＵＮＤ and ﬁnance, x²")
	f.Add("\u20dd AND Ⴀ", "Ⴀ", "a \u20dd b")
	insert, count, query := `INSERT INTO search (rowid, terms) VALUES (1, ?)`, `SELECT count(*) FROM search WHERE search MATCH ?`, func(q string) string { return q }
	var db *sql.DB
	if onPostgres {
		db = mustOpenDB(f).db
		insert = `INSERT INTO search (id, terms) VALUES (1, array_to_tsvector(array_remove(string_to_array(?, ' '), '')))`
		count, query = `SELECT count(*) FROM search WHERE terms @@ CAST(? AS tsquery)`, tsquery
	} else {
		var err error
		if db, err = sql.Open("sqlite", "file::memory:"); err != nil {
			f.Fatal(err)
		}
		db.SetMaxOpenConns(1) // one connection: one in-memory database
		defer db.Close()
		if _, err := db.Exec(`CREATE VIRTUAL TABLE search USING fts5(terms, content = '', contentless_delete = 1,
		detail = none, tokenize = 'ascii')`); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, src, title, body string) {
		r, err := feed.ParseRule(src)
		if err != nil {
			return
		}
		q := r.FTSQuery()
		if q == "" || !r.Match(feed.NewDoc(title, body, "wire", "", nil)) {
			return
		}
		if _, err := db.Exec(`DELETE FROM search`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(insert, feed.SearchTerms(title, body, "wire", "", nil)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(count, query(q)).Scan(&n); err != nil {
			t.Fatalf("rule %q: FTS query %q: %v", src, q, err)
		}
		if n != 1 {
			t.Errorf("rule %q matches title %q body %q, but its FTS query %q does not find the item", src, title, body, q)
		}
	})
}
