package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// ConsoleRule is a topic rule saved from the operator's console. It wins
// over the config file's rule for the topic until the file's own rule
// changes: ConfigMatch and ConfigExclude are the file's rule when it was
// saved, and a sync that finds the file saying something else drops it.
type ConsoleRule struct {
	Topic                      string
	Match, Exclude             string // canonical rule text; "" for none
	ConfigMatch, ConfigExclude string
	Saved                      time.Time
}

// TopicRule is where a topic's rule in force comes from.
type TopicRule struct {
	ConfigMatch, ConfigExclude string       // the config file's rule at the last sync
	Console                    *ConsoleRule // nil when the config file's rule is in force
}

func ruleText(r *feed.Rule) string {
	if r == nil {
		return ""
	}
	return r.String()
}

func parseText(topic, field, src string) (*feed.Rule, error) {
	if src == "" {
		return nil, nil
	}
	r, err := feed.ParseRule(src)
	if err != nil {
		return nil, fmt.Errorf("topic %s: console %s rule: %w", topic, field, err)
	}
	return r, nil
}

// syncConsoleRules records each configured topic's rule as the config
// file has it, drops console rules the file has since changed (the file
// wins then) or whose topic is gone, and puts the remaining console rules
// into topics, in place, so they are stored and classified with them.
func syncConsoleRules(ctx context.Context, tx *sql.Tx, topics []*feed.Topic) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM config_rules`); err != nil {
		return err
	}
	for _, t := range topics {
		if _, err := tx.ExecContext(ctx, `INSERT INTO config_rules (topic, match, exclude) VALUES (?, ?, ?)`,
			t.Name, ruleText(t.Match), ruleText(t.Exclude)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM console_rules WHERE NOT EXISTS (
		SELECT 1 FROM config_rules c WHERE c.topic = console_rules.topic
			AND c.match = console_rules.config_match AND c.exclude = console_rules.config_exclude)`); err != nil {
		return err
	}
	return applyConsoleRules(ctx, tx, topics)
}

// applyConsoleRules replaces, in place, the rule of every topic that has
// a console rule saved against the config rule it now has.
func applyConsoleRules(ctx context.Context, q queryer, topics []*feed.Topic) error {
	rules, err := consoleRules(ctx, q)
	if err != nil {
		return err
	}
	for _, t := range topics {
		c, ok := rules[t.Name]
		if !ok || c.ConfigMatch != ruleText(t.Match) || c.ConfigExclude != ruleText(t.Exclude) {
			continue
		}
		m, err := parseText(t.Name, "match", c.Match)
		if err != nil {
			return err
		}
		x, err := parseText(t.Name, "exclude", c.Exclude)
		if err != nil {
			return err
		}
		t.Match, t.Exclude = m, x
	}
	return nil
}

// ApplyConsoleRules puts saved console rules into topics compiled from
// the config file, in place, as SyncTopics does: for a caller holding
// topics of its own (an ingester) beside the ones it synced.
func (d *DB) ApplyConsoleRules(ctx context.Context, topics []*feed.Topic) error {
	return applyConsoleRules(ctx, d.db, topics)
}

func consoleRules(ctx context.Context, q queryer) (map[string]ConsoleRule, error) {
	rows, err := q.QueryContext(ctx, `SELECT topic, match, exclude, config_match, config_exclude, saved FROM console_rules`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]ConsoleRule{}
	for rows.Next() {
		var c ConsoleRule
		var saved int64
		if err := rows.Scan(&c.Topic, &c.Match, &c.Exclude, &c.ConfigMatch, &c.ConfigExclude, &saved); err != nil {
			return nil, err
		}
		c.Saved = time.Unix(saved, 0).UTC()
		out[c.Topic] = c
	}
	return out, rows.Err()
}

// TopicRule says where the rule in force for a topic comes from.
func (d *DB) TopicRule(ctx context.Context, topic string) (TopicRule, error) {
	var r TopicRule
	err := d.db.QueryRowContext(ctx, `SELECT match, exclude FROM config_rules WHERE topic = ?`, topic).
		Scan(&r.ConfigMatch, &r.ConfigExclude)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("topic %q: %w", topic, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	rules, err := consoleRules(ctx, d.db)
	if err != nil {
		return r, err
	}
	if c, ok := rules[topic]; ok {
		r.Console = &c
	}
	return r, nil
}

// SaveRule makes t's rule the topic's rule in force: stored as a console
// rule against the config file's current rule, or, when it is the config
// file's rule, by dropping the console rule. The topic's membership is
// recomputed over every stored item in the same transaction.
func (d *DB) SaveRule(ctx context.Context, t *feed.Topic) (TopicRule, error) {
	match, exclude := ruleText(t.Match), ruleText(t.Exclude)
	err := d.transact(ctx, func(tx *sql.Tx) error {
		var cm, cx string
		err := tx.QueryRowContext(ctx, `SELECT match, exclude FROM config_rules WHERE topic = ?`, t.Name).Scan(&cm, &cx)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("topic %q: %w", t.Name, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if match == cm && exclude == cx {
			_, err = tx.ExecContext(ctx, `DELETE FROM console_rules WHERE topic = ?`, t.Name)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO console_rules (topic, match, exclude, config_match, config_exclude, saved)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(topic) DO UPDATE SET match = excluded.match,
				exclude = excluded.exclude, config_match = excluded.config_match,
				config_exclude = excluded.config_exclude, saved = excluded.saved`,
				t.Name, match, exclude, cm, cx, d.Now().Unix())
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE topics SET signature = ? WHERE name = ?`, t.Signature(), t.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM topic_items WHERE topic = ?`, t.Name); err != nil {
			return err
		}
		return reclassifyAll(ctx, tx, []*feed.Topic{t})
	})
	if err != nil {
		return TopicRule{}, err
	}
	return d.TopicRule(ctx, t.Name)
}

// TopicMembers returns up to limit of the items a topic's rule holds,
// newest first, without pins and hides: what the rule playground
// compares a draft rule with.
func (d *DB) TopicMembers(ctx context.Context, topic string, limit int) ([]*feed.Item, error) {
	ids, err := d.ids(ctx, `SELECT item_id FROM topic_items WHERE topic = ?
		ORDER BY published DESC, item_id DESC LIMIT ?`, topic, limit)
	if err != nil {
		return nil, err
	}
	return d.itemsByID(ctx, ids)
}

// FolderScan is what a scan of a path source's folder found.
type FolderScan struct {
	Source  string
	Scanned time.Time // the last scan
	Files   int       // files in the folder then
	// The last scan that found new or changed files, and what came of them.
	Changed                time.Time
	Ingested               int
	Added, Updated, Merged int
	Rejected               []string // path and reason, one per rejected file (or the folder)
}

// maxRejectedKept bounds the rejections kept of one scan.
const maxRejectedKept = 20

// RecordScan stores a folder scan. With found false (nothing new or
// changed) only the scan time and file count are updated, so the last
// findings stay on show.
func (d *DB) RecordScan(ctx context.Context, s FolderScan, found bool) error {
	rej := s.Rejected
	if len(rej) > maxRejectedKept {
		rej = append(rej[:maxRejectedKept:maxRejectedKept], fmt.Sprintf("… and %d more", len(s.Rejected)-maxRejectedKept))
	}
	return d.transact(ctx, func(tx *sql.Tx) error {
		id, err := ensureSource(ctx, tx, s.Source, d.Now().Unix())
		if err != nil {
			return err
		}
		if !found {
			_, err = tx.ExecContext(ctx, `INSERT INTO folder_scans (source_id, scanned, files) VALUES (?1, ?2, ?3)
				ON CONFLICT(source_id) DO UPDATE SET scanned = excluded.scanned, files = excluded.files`,
				id, unix(s.Scanned), s.Files)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO folder_scans (source_id, scanned, files, changed, ingested, added, updated, merged, rejected)
			VALUES (?1, ?2, ?3, ?2, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(source_id) DO UPDATE SET scanned = excluded.scanned,
			files = excluded.files, changed = excluded.changed, ingested = excluded.ingested, added = excluded.added,
			updated = excluded.updated, merged = excluded.merged, rejected = excluded.rejected`,
			id, unix(s.Scanned), s.Files, s.Ingested, s.Added, s.Updated, s.Merged, strings.Join(rej, "\n"))
		return err
	})
}

// FolderScans returns the last scan of every path source that has one.
func (d *DB) FolderScans(ctx context.Context) (map[string]FolderScan, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT s.name, f.scanned, f.files, f.changed, f.ingested, f.added,
		f.updated, f.merged, f.rejected FROM folder_scans f JOIN sources s ON s.id = f.source_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]FolderScan{}
	for rows.Next() {
		var s FolderScan
		var scanned, changed int64
		var rej string
		if err := rows.Scan(&s.Source, &scanned, &s.Files, &changed, &s.Ingested, &s.Added, &s.Updated, &s.Merged, &rej); err != nil {
			return nil, err
		}
		s.Scanned, s.Changed = fromUnix(scanned), fromUnix(changed)
		if rej != "" {
			s.Rejected = strings.Split(rej, "\n")
		}
		out[s.Source] = s
	}
	return out, rows.Err()
}

// FetchError is one failed fetch of a source.
type FetchError struct {
	At     time.Time
	Status int
	Error  string
}

// fetchErrorsKept is how many failures of each source are kept.
const fetchErrorsKept = 5

// recordFetchError keeps a failed fetch in the source's error history,
// dropping all but the newest fetchErrorsKept.
func recordFetchError(ctx context.Context, tx *sql.Tx, id int64, f *FetchState) error {
	if f.Error == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fetch_errors (source_id, at, status, error) VALUES (?, ?, ?, ?)`,
		id, unix(f.Fetched), f.Status, f.Error); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM fetch_errors WHERE source_id = ?1 AND id NOT IN (
		SELECT id FROM fetch_errors WHERE source_id = ?1 ORDER BY id DESC LIMIT ?2)`, id, fetchErrorsKept)
	return err
}

// FetchErrors returns each source's last failed fetches, newest first.
func (d *DB) FetchErrors(ctx context.Context) (map[string][]FetchError, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT s.name, e.at, e.status, e.error FROM fetch_errors e
		JOIN sources s ON s.id = e.source_id ORDER BY e.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]FetchError{}
	for rows.Next() {
		var name string
		var e FetchError
		var at int64
		if err := rows.Scan(&name, &at, &e.Status, &e.Error); err != nil {
			return nil, err
		}
		e.At = fromUnix(at)
		out[name] = append(out[name], e)
	}
	return out, rows.Err()
}

// LastItems returns the publication time of each source's newest item
// among the last it stored, so /sources can say where a quiet source's
// items are.
func (d *DB) LastItems(ctx context.Context) (map[string]time.Time, error) {
	// The newest of each source's last 50 copies stored, found through
	// sightings_source: a max over every sighting was a full scan of the
	// table on each /sources request (public, reloaded every 30 s).
	rows, err := d.db.QueryContext(ctx, `SELECT name, pub FROM (SELECT s.name AS name, (SELECT max(i.published) FROM (
			SELECT g.item_id FROM sightings g WHERE g.source_id = s.id ORDER BY g.id DESC LIMIT 50
		) r JOIN items i ON i.id = r.item_id) AS pub FROM sources s) l WHERE pub IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name string
		var pub int64
		if err := rows.Scan(&name, &pub); err != nil {
			return nil, err
		}
		out[name] = time.Unix(0, pub).UTC()
	}
	return out, rows.Err()
}
