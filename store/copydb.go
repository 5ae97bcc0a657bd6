package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// copyTables are the tables CopyDatabase copies, each after those its
// foreign keys name. The search index is not copied but rebuilt from the
// copied items (its SQLite and PostgreSQL forms differ), and the queue
// feeding it is emptied by that rebuild.
var copyTables = []string{
	"sources", "items", "sightings", "topics", "topic_items", "curation", "item_keys",
	"tombstones", "dedup_decisions", "item_pages", "websub", "console_rules",
	"config_rules", "folder_scans", "fetch_errors",
}

// notCopied are PostgreSQL tables CopyDatabase fills otherwise: the schema
// version (Open), the search index and its queue (rebuilt).
var notCopied = []string{"topicfeed_schema", "search", "search_queue"}

// searchRebuildBatch is how many items one flushSearch indexes while
// rebuilding, bounding the memory a batch's documents take.
const searchRebuildBatch = 5000

// TableCount is how many rows a table holds.
type TableCount struct {
	Table string
	Rows  int64
}

// CopyDatabase copies the SQLite database at from into the empty
// PostgreSQL database at to and checks every table's row count on both
// sides, in one transaction, so that a failure leaves the target empty.
// Ids are kept, so links to /items/ID keep working. progress, if not nil,
// is told each table's rows as it is copied. It returns the rows checked,
// table by table, "search" (the rebuilt index, one row per item) last.
func CopyDatabase(ctx context.Context, from, to string, progress func(table string, rows int64)) ([]TableCount, error) {
	if progress == nil {
		progress = func(string, int64) {}
	}
	if !IsPostgres(to) {
		return nil, fmt.Errorf("%s is not a PostgreSQL URL (postgres://…)", Redact(to))
	}
	if err := checkSQLiteFile(from); err != nil {
		return nil, err
	}
	src, err := Open(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := Open(ctx, to)
	if err != nil {
		return nil, err
	}
	defer dst.Close()

	// One read transaction: every table comes from the same snapshot even
	// if a daemon is still writing the file.
	stx, err := src.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from, err)
	}
	defer stx.Rollback()
	want := make([]TableCount, len(copyTables))
	for i, t := range copyTables {
		want[i].Table = t
		if err := stx.QueryRowContext(ctx, `SELECT count(*) FROM "`+t+`"`).Scan(&want[i].Rows); err != nil {
			return nil, fmt.Errorf("read %s: table %s: %w", from, t, err)
		}
	}

	// COPY goes through pgx itself, on the connection holding the
	// transaction; database/sql has no COPY.
	conn, err := dst.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil) // takes the store's write lock
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := copyInto(ctx, stx, tx, conn, to, want, progress); err != nil {
		return nil, err
	}
	indexed, err := dst.rebuildSearch(ctx, tx)
	if err != nil {
		return nil, err
	}
	progress("search", indexed)
	// The check counts anew rather than trusting COPY's own counts, and
	// before the commit, so that a difference leaves the target empty.
	var items int64
	for _, w := range want {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM "`+w.Table+`"`).Scan(&n); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
		if n != w.Rows {
			return nil, fmt.Errorf("check: table %s has %d rows in %s but %d in %s", w.Table, w.Rows, from, n, Redact(to))
		}
		if w.Table == "items" {
			items = n
		}
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM search`).Scan(&n); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	if n != items {
		return nil, fmt.Errorf("check: the search index of %s holds %d items of %d", Redact(to), n, items)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return append(want, TableCount{"search", n}), nil
}

// checkSQLiteFile refuses anything but an existing SQLite file: Open
// would create a missing one, and copy an empty database.
func checkSQLiteFile(path string) error {
	if IsPostgres(path) {
		return fmt.Errorf("%s is not a SQLite file (copy-db copies from SQLite)", Redact(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 16)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return fmt.Errorf("%s is not a SQLite database", path)
	}
	return nil
}

// pgColumn is a column of a PostgreSQL table.
type pgColumn struct {
	name, typ string
	identity  bool
}

// copyInto copies every table in want from the SQLite transaction stx into
// the PostgreSQL transaction tx, held by conn, refusing a database that
// already holds data, and moves each identity sequence past the copied ids.
func copyInto(ctx context.Context, stx, tx *sql.Tx, conn *sql.Conn, to string, want []TableCount, progress func(string, int64)) error {
	// The daemon's statement timeout is for requests, not for a copy.
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return err
	}
	var items int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&items); err != nil {
		return err
	}
	if items > 0 {
		return fmt.Errorf("%s already holds %d items; copy into an empty database", Redact(to), items)
	}
	tables, err := queryStrings(ctx, tx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if !slices.Contains(copyTables, t) && !slices.Contains(notCopied, t) {
			// A table added by a migration must be added to copyTables.
			return fmt.Errorf("%s has table %s, which copy-db does not know", Redact(to), t)
		}
	}
	for _, w := range want {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM "`+w.Table+`"`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%s already holds %d rows in %s; copy into an empty database", Redact(to), n, w.Table)
		}
	}
	for _, w := range want {
		n, err := copyTable(ctx, stx, tx, conn, w.Table)
		if err != nil {
			return fmt.Errorf("copy table %s: %w", w.Table, err)
		}
		if n != w.Rows {
			return fmt.Errorf("copy table %s: copied %d rows of %d", w.Table, n, w.Rows)
		}
		progress(w.Table, n)
	}
	return nil
}

// copyTable copies one table's rows with COPY, the columns both sides
// have. A column only PostgreSQL has takes its default; one only SQLite
// has is refused, as its data would be lost.
func copyTable(ctx context.Context, stx, tx *sql.Tx, conn *sql.Conn, table string) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT column_name, data_type, is_identity = 'YES' FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table)
	if err != nil {
		return 0, err
	}
	var pgCols []pgColumn
	for rows.Next() {
		var c pgColumn
		if err := rows.Scan(&c.name, &c.typ, &c.identity); err != nil {
			rows.Close()
			return 0, err
		}
		pgCols = append(pgCols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(pgCols) == 0 {
		return 0, errors.New("no such table on PostgreSQL")
	}
	liteCols, err := queryStrings(ctx, stx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return 0, err
	}
	var names, types, quoted []string
	for _, c := range pgCols {
		if slices.Contains(liteCols, c.name) {
			names, types, quoted = append(names, c.name), append(types, c.typ), append(quoted, `"`+c.name+`"`)
		}
	}
	for _, c := range liteCols {
		if !slices.Contains(names, c) {
			return 0, fmt.Errorf("column %s is not on PostgreSQL", c)
		}
	}

	src, err := stx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+table+`"`)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	var n int64
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(*pgConn)
		if !ok {
			return fmt.Errorf("connection is a %T, not PostgreSQL's", dc)
		}
		n, err = pc.Conn.Conn().CopyFrom(ctx, pgx.Identifier{table}, names, newRowSource(src, names, types))
		return err
	})
	if err != nil {
		return n, err
	}
	for _, c := range pgCols {
		if c.identity {
			// With explicit ids the sequence stayed at 1; the next row
			// stored must get an id after the copied ones. setval of NULL
			// (an empty table) changes nothing.
			q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), max("%s")) FROM "%s"`, table, c.name, c.name, table)
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// rowSource feeds SQLite rows to pgx's CopyFrom, converted to the
// PostgreSQL columns' types.
type rowSource struct {
	rows        *sql.Rows
	names, typs []string
	vals, ptrs  []any
}

func newRowSource(rows *sql.Rows, names, typs []string) *rowSource {
	s := &rowSource{rows: rows, names: names, typs: typs, vals: make([]any, len(names)), ptrs: make([]any, len(names))}
	for i := range s.vals {
		s.ptrs[i] = &s.vals[i]
	}
	return s
}

func (s *rowSource) Next() bool { return s.rows.Next() }
func (s *rowSource) Err() error { return s.rows.Err() }

func (s *rowSource) Values() ([]any, error) {
	if err := s.rows.Scan(s.ptrs...); err != nil {
		return nil, err
	}
	out := make([]any, len(s.vals))
	for i, v := range s.vals {
		var err error
		if out[i], err = pgValue(v, s.typs[i]); err != nil {
			return nil, fmt.Errorf("column %s: %w", s.names[i], err)
		}
	}
	return out, nil
}

// pgValue is a SQLite value as the PostgreSQL column of type typ takes
// it: SQLite's columns hold any type, PostgreSQL's do not. SQLite text may
// hold NUL bytes and invalid UTF-8, which PostgreSQL refuses; COPY
// bypasses pgConn.CheckNamedValue, so text is cleaned here as it does.
func pgValue(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "text":
		switch x := v.(type) {
		case string:
			return strings.ToValidUTF8(strings.ReplaceAll(x, "\x00", ""), "\uFFFD"), nil
		case []byte:
			return pgValue(string(x), typ)
		case int64:
			return strconv.FormatInt(x, 10), nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case "bigint", "integer":
		switch x := v.(type) {
		case int64:
			return x, nil
		case string:
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return n, nil
			}
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("%T %.40q does not fit a %s column", v, fmt.Sprint(v), typ)
}

// rebuildSearch indexes every item, as ingest would have, in batches:
// it queues them and flushes the queue. It returns the items indexed.
func (d *DB) rebuildSearch(ctx context.Context, tx *sql.Tx) (int64, error) {
	// The sightings trigger queued each item as its first copy came in.
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_queue`); err != nil {
		return 0, fmt.Errorf("search index: %w", err)
	}
	var total int64
	for last := int64(-1 << 63); ; {
		var n int64
		var top sql.NullInt64
		err := tx.QueryRowContext(ctx, `WITH q AS (
				INSERT INTO search_queue (id, reindex) SELECT id, 0 FROM items WHERE id > ? ORDER BY id LIMIT ? RETURNING id
			) SELECT count(*), max(id) FROM q`, last, searchRebuildBatch).Scan(&n, &top)
		if err != nil {
			return total, fmt.Errorf("search index: %w", err)
		}
		if n == 0 {
			return total, nil
		}
		if err := d.flushSearch(ctx, tx, nil); err != nil {
			return total, err
		}
		total, last = total+n, top.Int64
	}
}

// queryStrings runs a query of one text column.
func queryStrings(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	return scanColumn[string](tx.QueryContext(ctx, q, args...))
}
