package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/store"
)

// runCopyDB moves a SQLite database into an empty PostgreSQL one: every
// table, ids kept, in one transaction, then checks the counts.
func runCopyDB(ctx context.Context, e *env, args []string) error {
	fs := e.flags("copy-db")
	from := fs.String("from", "", "the SQLite database `FILE` to copy (required)")
	to := fs.String("to", "", "the empty PostgreSQL database to copy into, a postgres:// `URL` (default the config's database, if it is one)")
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{exitBadConfig, err}
	}
	switch {
	case len(pos) > 0:
		return &exitError{exitBadConfig, fmt.Errorf("unexpected argument %q (want -from FILE -to URL)", pos[0])}
	case *from == "":
		return &exitError{exitBadConfig, errors.New("want -from FILE, the SQLite database to copy")}
	case *to == "":
		// Moving to PostgreSQL usually means the config names it already.
		if err := e.load(); err != nil {
			return err
		}
		if !store.IsPostgres(e.cfg.Database) {
			return &exitError{exitBadConfig, errors.New("want -to postgres://…, the database to copy into (the config's database is not PostgreSQL)")}
		}
		*to = e.cfg.Database
	case !store.IsPostgres(*to):
		return &exitError{exitBadConfig, fmt.Errorf("-to %s is not a PostgreSQL URL (postgres://…)", store.Redact(*to))}
	}
	start := time.Now()
	counts, err := store.CopyDatabase(ctx, *from, *to, func(table string, rows int64) {
		fmt.Fprintf(e.stdout, "%s: %d rows\n", table, rows)
	})
	if err != nil {
		return err
	}
	var parts []string
	for _, c := range counts {
		switch {
		case c.Table == "search":
			parts = append(parts, fmt.Sprintf("%d indexed for search", c.Rows))
		case c.Rows > 0:
			parts = append(parts, fmt.Sprintf("%d %s", c.Rows, c.Table))
		}
	}
	fmt.Fprintf(e.stdout, "copied %s to %s: %s; counts checked (%s)\n", *from, store.Redact(*to),
		strings.Join(parts, ", "), time.Since(start).Round(time.Millisecond))
	return nil
}
