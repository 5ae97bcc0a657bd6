package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// FetchState is what a fetch learnt about a source.
type FetchState struct {
	MovedTo      string // new URL after a permanent redirect or autodiscovery; "" keeps it
	ETag         string
	LastModified string
	Status       int
	Error        string // "" on success
	Failures     int
	NextFetch    time.Time
	Disabled     bool
	Fetched      time.Time
	// Poll, when set, is the interval NextFetch was chosen with and why;
	// nil keeps the stored one (an error backs off without forgetting it).
	Poll *Poll
}

// Poll is a source's chosen poll interval and the reason for it, with
// what the last parsed document said of its pace: the newest item date
// and the median gap between item dates (zero when unknown). A 304 keeps
// these, and tells from them a source gone quiet.
type Poll struct {
	Interval time.Duration
	Reason   string
	Newest   time.Time
	Gap      time.Duration
}

// Origins of a source.
const (
	OriginConfig = "config" // from the config file: trusted
	OriginAPI    = "api"    // added through the admin API: untrusted URLs
)

// SourceInfo is a source as stored, for `topicfeed sources` and /sources.
type SourceInfo struct {
	feed.Source
	FetchState
	Origin string
	Items  int

	// PollInterval is the interval chosen for the next poll and PollReason
	// why (e.g. "publishes every ~6h", "Cache-Control max-age"); PollNewest
	// and PollGap are the newest item date and the median gap between
	// item dates that the last parsed document had (see Poll).
	PollInterval time.Duration
	PollReason   string
	PollNewest   time.Time
	PollGap      time.Duration
	// PageError is the last failure fetching or extracting an item's page
	// for a full_content source ("" when the last page worked); PageFailures
	// counts items that kept their summary for that reason.
	PageError    string
	PageFailures int
	// WebSub is the push subscription's state ("" when none): its hub,
	// whether verified, and when the lease ends.
	WebSub string
}

func ensureSource(ctx context.Context, tx *sql.Tx, name string, now int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM sources WHERE name = ?`, name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO sources (name, created) VALUES (?, ?) RETURNING id`, name, now).Scan(&id)
	return id, err
}

func saveFetchState(ctx context.Context, tx *sql.Tx, id int64, f *FetchState) error {
	_, err := tx.ExecContext(ctx, `UPDATE sources SET
		url = CASE WHEN ?1 <> '' THEN ?1 ELSE url END,
		etag = ?2, last_modified = ?3, last_status = ?4, last_error = ?5, failures = ?6,
		next_fetch = ?7, disabled = ?8, last_fetch = ?9, lease_owner = '', lease_until = 0,
		poll_interval = coalesce(?11, poll_interval), poll_reason = coalesce(?12, poll_reason),
		poll_newest = coalesce(?13, poll_newest), poll_gap = coalesce(?14, poll_gap) WHERE id = ?10`,
		f.MovedTo, f.ETag, f.LastModified, f.Status, f.Error, f.Failures,
		unix(f.NextFetch), f.Disabled, unix(f.Fetched), id, pollSeconds(f.Poll), pollReason(f.Poll),
		pollNewest(f.Poll), pollGap(f.Poll))
	if err != nil {
		return err
	}
	return recordFetchError(ctx, tx, id, f) // console.go: the error history /sources shows
}

// pollSeconds and pollReason are a Poll's columns, NULL for nil.
func pollSeconds(p *Poll) any {
	if p == nil {
		return nil
	}
	return int64(p.Interval / time.Second)
}

func pollReason(p *Poll) any {
	if p == nil {
		return nil
	}
	return p.Reason
}

func pollNewest(p *Poll) any {
	if p == nil {
		return nil
	}
	return unix(p.Newest)
}

func pollGap(p *Poll) any {
	if p == nil {
		return nil
	}
	return int64(p.Gap / time.Second)
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// SyncSources makes sure every configured source has a row, keeping fetch
// state; a configured URL that changed replaces a stored one.
func (d *DB) SyncSources(ctx context.Context, srcs []feed.Source) error {
	return d.transact(ctx, func(tx *sql.Tx) error {
		for _, s := range srcs {
			_, err := tx.ExecContext(ctx, `INSERT INTO sources (name, url, config_url, path, created) VALUES (?1, ?2, ?2, ?3, ?4)
				ON CONFLICT(name) DO UPDATE SET path = excluded.path,
				url = CASE WHEN sources.config_url <> excluded.config_url THEN excluded.url ELSE sources.url END,
				config_url = excluded.config_url`, s.Name, s.URL, s.Path, d.Now().Unix())
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Sources lists every stored source with its fetch state and item count.
func (d *DB) Sources(ctx context.Context) ([]SourceInfo, error) {
	out, err := d.querySources(ctx, `SELECT `+sourceColumns+`,
		(SELECT count(DISTINCT item_id) FROM sightings g WHERE g.source_id = s.id)
		FROM sources s ORDER BY s.name`, true)
	if err != nil {
		return nil, err
	}
	return out, d.fillPagesWebSub(ctx, out) // store/pages.go
}

// sourceColumns are what querySources reads of a source (aliased s).
const sourceColumns = `s.name, s.url, s.path, s.etag, s.last_modified, s.last_status,
	s.last_error, s.failures, s.next_fetch, s.disabled, s.last_fetch, s.origin,
	s.poll_interval, s.poll_reason, s.poll_newest, s.poll_gap`

// querySources runs q, which selects sourceColumns and, withItems, an
// item count after them.
func (d *DB) querySources(ctx context.Context, q string, withItems bool, args ...any) ([]SourceInfo, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SourceInfo
	for rows.Next() {
		var s SourceInfo
		var next, last, poll, newest, gap int64
		dest := []any{&s.Name, &s.URL, &s.Path, &s.ETag, &s.LastModified, &s.Status, &s.Error,
			&s.Failures, &next, &s.Disabled, &last, &s.Origin, &poll, &s.PollReason, &newest, &gap}
		if withItems {
			dest = append(dest, &s.Items)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		s.NextFetch, s.Fetched = fromUnix(next), fromUnix(last)
		s.PollInterval = time.Duration(poll) * time.Second
		s.PollNewest, s.PollGap = fromUnix(newest), time.Duration(gap)*time.Second
		out = append(out, s)
	}
	return out, rows.Err()
}

// SaveFetchState records a fetch that stored no items (a 304 or an error).
func (d *DB) SaveFetchState(ctx context.Context, source string, f *FetchState) error {
	return d.transact(ctx, func(tx *sql.Tx) error {
		id, err := ensureSource(ctx, tx, source, d.Now().Unix())
		if err != nil {
			return err
		}
		return saveFetchState(ctx, tx, id, f)
	})
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// ErrExists is returned when adding a source whose name is taken.
var ErrExists = errors.New("already exists")

// AddSource stores a source added at run time (origin OriginAPI).
func (d *DB) AddSource(ctx context.Context, s feed.Source, origin string) error {
	return d.transact(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sources WHERE name = ?`, s.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("source %q: %w", s.Name, ErrExists)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sources (name, url, config_url, path, origin, created)
			VALUES (?1, ?2, ?2, ?3, ?4, ?5)`, s.Name, s.URL, s.Path, origin, d.Now().Unix())
		return err
	})
}

// RemoveSource deletes a source and its sightings; items seen only in it
// go too, items also seen elsewhere stay.
func (d *DB) RemoveSource(ctx context.Context, name string) error {
	return d.transact(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM sources WHERE name = ?`, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("source %q: %w", name, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id IN (
			SELECT item_id FROM sightings WHERE source_id = ?1
			EXCEPT SELECT item_id FROM sightings WHERE source_id <> ?1)`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sources WHERE id = ?`, id)
		return err
	})
}
