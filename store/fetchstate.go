package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FetchFilter selects the sources a refresh pass fetches. The zero value
// selects every source.
type FetchFilter struct {
	Names        []string  // only these sources; none means all
	DueBy        time.Time // only sources whose next fetch is at or before; zero means any
	SkipDisabled bool      // leave out disabled sources
}

// FetchList lists sources with their fetch state, by name, for the
// scheduler. Unlike Sources it does not count items, which would scan every
// sighting on each scheduling tick; Items is left zero.
func (d *DB) FetchList(ctx context.Context, f FetchFilter) ([]SourceInfo, error) {
	q := `SELECT ` + sourceColumns + ` FROM sources s WHERE 1 = 1`
	var args []any
	if len(f.Names) > 0 {
		q += ` AND s.name IN (?` + strings.Repeat(",?", len(f.Names)-1) + `)`
		for _, n := range f.Names {
			args = append(args, n)
		}
	}
	if !f.DueBy.IsZero() {
		q += ` AND s.next_fetch <= ?`
		args = append(args, f.DueBy.Unix())
	}
	if f.SkipDisabled {
		q += ` AND s.disabled = 0`
	}
	return d.querySources(ctx, q+` ORDER BY s.name`, false, args...)
}

// CountItems returns how many items are stored, duplicates merged.
func (d *DB) CountItems(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&n)
	return n, err
}

// IsBusy reports whether err is SQLite giving up on a lock that another
// connection, or another process, held past the busy timeout, or
// PostgreSQL losing a connection (a restart, a failover) or a lock. The
// transaction it ended was rolled back whole and may be retried.
func IsBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return pgTransient(err)
}
