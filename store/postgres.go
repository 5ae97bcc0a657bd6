package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// IsPostgres reports whether a configured database names a PostgreSQL
// server rather than a SQLite file.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Redact is database as it may be logged: a PostgreSQL URL loses its
// password.
func Redact(database string) string {
	if !IsPostgres(database) {
		return database
	}
	u, err := url.Parse(database)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// PGOptions tune the PostgreSQL pool; zero fields keep the defaults.
type PGOptions struct {
	MaxConns         int           // open connections at most (default 16)
	ConnectTimeout   time.Duration // to establish one connection (default 10s)
	StatementTimeout time.Duration // server-side limit per statement (default none)
}

// pgOptions are the options Open uses for PostgreSQL; the daemon sets them
// from its config before opening.
var (
	pgOptionsMu sync.Mutex
	pgOptions   PGOptions
)

// SetPGOptions sets the pool options later Opens of PostgreSQL use.
func SetPGOptions(o PGOptions) {
	pgOptionsMu.Lock()
	pgOptions = o
	pgOptionsMu.Unlock()
}

// writeLockSQL takes the advisory lock every write transaction takes first.
// It makes PostgreSQL's writers take turns as SQLite's do, which the
// store's dedup relies on: an ingest sees every item committed before it
// (two replicas storing copies of one story at once still merge them), and
// item_keys rows commit in seq order, so a replica that has read up to seq
// N finds every later row as seq > N. Fetching, parsing and preparing
// items, most of a refresh, happen outside it and run on every replica.
const writeLockSQL = "SELECT pg_advisory_xact_lock(500085844323)" // "topic"

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	return openPostgresAt(ctx, dsn, len(pgMigrationNames()))
}

// openPostgresAt opens dsn migrated to version (tests open earlier ones).
func openPostgresAt(ctx context.Context, dsn string, version int) (*DB, error) {
	pgOptionsMu.Lock()
	o := pgOptions
	pgOptionsMu.Unlock()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	cfg.ConnectTimeout = cmpOr(o.ConnectTimeout, 10*time.Second)
	if o.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	}
	cfg.RuntimeParams["application_name"] = "topicfeed"
	sdb := sql.OpenDB(&pgConnector{inner: stdlib.GetConnector(*cfg)})
	maxConns := cmpOr(o.MaxConns, 16)
	sdb.SetMaxOpenConns(maxConns)
	sdb.SetMaxIdleConns(maxConns)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	d := &DB{db: sdb, path: dsn, pg: &pgState{cfg: cfg}, near: newNearIndex(), Now: time.Now}
	if err := d.migrateTo(ctx, version); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	return d, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// pgState is what a DB on PostgreSQL keeps beside its pool.
type pgState struct {
	cfg *pgx.ConnConfig // for the LISTEN connection
}

// pgConnector hands database/sql connections that translate the store's
// SQL (written for SQLite) to PostgreSQL's as they run it.
type pgConnector struct{ inner driver.Connector }

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: cn.(*stdlib.Conn)}, nil
}

func (c *pgConnector) Driver() driver.Driver { return c.inner.Driver() }

type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(q string) (driver.Stmt, error) {
	return c.Conn.Prepare(pgSQL(q))
}

func (c *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, pgSQL(q))
}

func (c *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.Conn.ExecContext(ctx, pgSQL(q), args)
	return r, pgErr(err, q)
}

func (c *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := c.Conn.QueryContext(ctx, pgSQL(q), args)
	return r, pgErr(err, q)
}

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx takes the write lock (writeLockSQL) in every transaction that
// may write; it is released when the transaction ends.
func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil || opts.ReadOnly {
		return tx, err
	}
	if _, err := c.Conn.ExecContext(ctx, writeLockSQL, nil); err != nil {
		tx.Rollback()
		if pgconn.SafeToRetry(err) {
			return nil, driver.ErrBadConn
		}
		return nil, err
	}
	return tx, nil
}

// CheckNamedValue stores Go values as the store's SQLite driver did:
// booleans as 0 and 1 in integer columns. PostgreSQL text cannot hold NUL
// or invalid UTF-8, which SQLite kept; they are dropped and replaced.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case bool:
		nv.Value = int64(0)
		if v {
			nv.Value = int64(1)
		}
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			v = strings.ReplaceAll(v, "\x00", "")
		}
		nv.Value = strings.ToValidUTF8(v, "\uFFFD")
	case uint64:
		nv.Value = int64(v)
	case int:
		nv.Value = int64(v)
	}
	return nil
}

// pgTransient reports whether err is PostgreSQL (or the way to it) failing
// in a way a retry on a new connection may not: a lost or refused
// connection, a server shutting down or starting, a deadlock or a
// serialization failure.
func pgTransient(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001", pe.Code == "40P01", // serialization failure, deadlock
			strings.HasPrefix(pe.Code, "08"),                           // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutdown, crash, starting up
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed")
}

// pgErr adds the SQL text to a PostgreSQL error that names no statement,
// so a failing translation is found from its message.
func pgErr(err error, q string) error {
	var pe *pgconn.PgError
	if err != nil && errors.As(err, &pe) && pe.Code == "42601" { // syntax_error
		return fmt.Errorf("%w (in %q)", err, strings.Join(strings.Fields(pgSQL(q)), " "))
	}
	return err
}

var pgCache sync.Map // SQLite statement → PostgreSQL statement

// pgSQL translates a statement of the store, written for SQLite, into
// PostgreSQL's dialect. The store writes its SQL in the subset where the two
// agree, so this is a few spellings: numbered and bare ? parameters,
// INSERT OR IGNORE, INDEXED BY, SQLite's JSON and group_concat functions.
// Statements that differ in more than spelling are written twice (see
// d.pick). Translations are kept: the store's statements are constants.
func pgSQL(q string) string {
	if v, ok := pgCache.Load(q); ok {
		return v.(string)
	}
	out := translate(q)
	pgCache.Store(q, out)
	return out
}

var (
	reOrIgnore  = regexp.MustCompile(`(?i)\bINSERT\s+OR\s+IGNORE\s+INTO\b`)
	reIndexedBy = regexp.MustCompile(`(?i)\s+INDEXED\s+BY\s+\w+`)
	reReturning = regexp.MustCompile(`(?i)\s+RETURNING\s`)
	reJSONEach  = regexp.MustCompile(`(?i)\bjson_each\((\$\d+)\)`)
	reJSONEachT = regexp.MustCompile(`(?i)\bjson_each\(([\w.]+)\) (\w+)`) // a column, with an alias
	reCastInt   = regexp.MustCompile(`(?i)\bAS\s+INTEGER\)`)
	reFuncs     = strings.NewReplacer("json_group_array(", "json_agg(", "json_array(", "json_build_array(", "group_concat(", "string_agg(")
)

func translate(q string) string {
	q = bindParams(q)
	if reOrIgnore.MatchString(q) {
		q = reOrIgnore.ReplaceAllString(q, "INSERT INTO")
		if loc := reReturning.FindStringIndex(q); loc != nil {
			q = q[:loc[0]] + " ON CONFLICT DO NOTHING" + q[loc[0]:]
		} else {
			q = strings.TrimRight(q, " \t\n;") + " ON CONFLICT DO NOTHING"
		}
	}
	q = reIndexedBy.ReplaceAllString(q, "")
	// SQLite reads JSON null as an empty list; PostgreSQL refuses it.
	q = reJSONEach.ReplaceAllString(q, "json_array_elements_text(coalesce(nullif(${1}, 'null'), '[]')::json) AS value")
	q = reJSONEachT.ReplaceAllString(q, "json_array_elements_text(${1}::json) AS ${2}(value)")
	q = reCastInt.ReplaceAllString(q, "AS BIGINT)")
	return reFuncs.Replace(q)
}

// bindParams rewrites SQLite's ?NNN and ? parameters as $NNN, outside
// string literals, quoted names and comments. A bare ? is one more than
// the largest number before it, as in SQLite.
func bindParams(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	last := 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '\'', '"':
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+j+2])
			i += j + 1
		case '-':
			if i+1 < len(q) && q[i+1] == '-' {
				j := strings.IndexByte(q[i:], '\n')
				if j < 0 {
					j = len(q) - i
				}
				b.WriteString(q[i : i+j])
				i += j - 1
				continue
			}
			b.WriteByte(c)
		case '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := last + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			last = max(last, n)
			b.WriteString("$" + strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// pick returns the SQLite or the PostgreSQL statement for this database,
// for the few statements that differ in more than spelling.
func (d *DB) pick(sqlite, postgres string) string {
	if d.pg != nil {
		return postgres
	}
	return sqlite
}

// Postgres reports whether the database is on PostgreSQL.
func (d *DB) Postgres() bool { return d.pg != nil }

// migrateTo applies the PostgreSQL migrations up to version, keeping the
// version in topicfeed_schema. Each runs under the write lock, so two
// replicas starting at once apply each migration once.
func (d *DB) migrateTo(ctx context.Context, version int) error {
	return d.applyMigrations(ctx, pgMigrations, version, func(tx *sql.Tx) (int, error) {
		// A migration may take longer than postgres.statement_timeout,
		// which is for the daemon's statements.
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS topicfeed_schema (version INTEGER NOT NULL)`); err != nil {
			return 0, err
		}
		var v int
		err := tx.QueryRowContext(ctx, `SELECT version FROM topicfeed_schema`).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, `INSERT INTO topicfeed_schema (version) VALUES (0)`)
		}
		return v, err
	}, func(tx *sql.Tx, v int) error {
		_, err := tx.ExecContext(ctx, `UPDATE topicfeed_schema SET version = ?`, v)
		return err
	})
}

const pgMigrations = "migrations/postgres"

func pgMigrationNames() []string {
	names, _ := globSorted(pgMigrations + "/*.sql")
	return names
}

// changesPG is Changes on PostgreSQL: writes to what feeds show notify
// topicfeed_changes (statement triggers, migration 0001), and a connection
// of its own listens, so a commit on any replica reaches every other at
// once. A lost connection is reopened and counted as a change, since
// notifications sent meanwhile are gone.
func (d *DB) changesPG(ctx context.Context) (<-chan struct{}, error) {
	listen := func() (*pgx.Conn, error) {
		c, err := pgx.ConnectConfig(ctx, d.pg.cfg)
		if err != nil {
			return nil, err
		}
		if _, err := c.Exec(ctx, "LISTEN topicfeed_changes"); err != nil {
			c.Close(context.Background())
			return nil, err
		}
		return c, nil
	}
	conn, err := listen()
	if err != nil {
		return nil, err
	}
	out := make(chan struct{}, 1)
	signal := func() {
		select {
		case out <- struct{}{}:
		default: // a change is already pending
		}
	}
	go func() {
		defer func() {
			if conn != nil {
				conn.Close(context.Background())
			}
		}()
		for ctx.Err() == nil {
			if conn == nil {
				if conn, err = listen(); err != nil {
					conn = nil
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
					continue
				}
				signal()
			}
			if _, err := conn.WaitForNotification(ctx); err != nil {
				conn.Close(context.Background())
				conn = nil
				continue
			}
			signal()
		}
	}()
	return out, nil
}
