package store

import (
	"context"
	"encoding/json"
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

// ClaimDue claims up to n enabled sources (remote ones only, with
// remoteOnly) whose next fetch has come by now and that no process holds,
// for owner until now+lease, and returns them, the longest due first.
// Replicas on one database and a cron refresh beside the daemon claim
// before they fetch, so each due source is fetched once: saving its fetch
// state (with its items) clears the claim and sets the next fetch; a
// claim whose process died runs out after lease and the source is due
// again. On PostgreSQL, SKIP LOCKED lets replicas claim at once without
// waiting on each other's rows.
func (d *DB) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, n int, remoteOnly bool) ([]SourceInfo, error) {
	remote := ""
	if remoteOnly {
		remote = ` AND url <> '' AND path = ''`
	}
	at := now.Unix()
	// The daemon asks every second; a read answers most asks, where the
	// UPDATE would take SQLite's write lock each time.
	var due bool
	if err := d.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sources WHERE disabled = 0 AND next_fetch <= ?1
		AND lease_until <= ?1`+remote+`)`, at).Scan(&due); err != nil || !due {
		return nil, err
	}
	ids, err := d.ids(ctx, `UPDATE sources SET lease_owner = ?1, lease_until = ?2
		WHERE id IN (SELECT id FROM sources WHERE disabled = 0 AND next_fetch <= ?3 AND lease_until <= ?3`+remote+`
			ORDER BY next_fetch, id LIMIT ?4`+d.pick("", " FOR UPDATE SKIP LOCKED")+`)
		AND lease_until <= ?3 RETURNING id`, owner, at+int64(max(lease, time.Second)/time.Second), at, n)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	return d.querySources(ctx, `SELECT `+sourceColumns+` FROM sources s
		WHERE s.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?)) ORDER BY s.next_fetch, s.id`, false, string(list))
}

// ReleaseClaims gives up owner's claims on sources it did not fetch
// (a daemon stopping), so other replicas need not wait out the lease.
func (d *DB) ReleaseClaims(ctx context.Context, owner string) error {
	_, err := d.db.ExecContext(ctx, `UPDATE sources SET lease_owner = '', lease_until = 0 WHERE lease_owner = ? AND lease_until > 0`, owner)
	return err
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
