package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

// Hand curation from the command line; the admin API does the same.
var (
	runPin    = curateCommand("pin", store.Pin, false)
	runHide   = curateCommand("hide", store.Hide, false)
	runUnpin  = curateCommand("unpin", store.Pin, true)
	runUnhide = curateCommand("unhide", store.Hide, true)
)

// curateCommand returns the run function of pin, hide, unpin or unhide.
// Undoing needs the choice being undone, so "unpin" never clears a hide.
func curateCommand(name, action string, undo bool) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		pos, err := parse(e.flags(name), args)
		if err != nil {
			return err
		}
		if len(pos) != 2 {
			return &exitError{exitBadConfig, errors.New("want TOPIC ITEM (an item id, see topicfeed explain TOPIC)")}
		}
		id, err := strconv.ParseInt(pos[1], 10, 64)
		if err != nil || id <= 0 {
			return &exitError{exitBadConfig, fmt.Errorf("item %q: want a numeric item id (see topicfeed explain TOPIC)", pos[1])}
		}
		db, t, err := e.openTopic(ctx, pos[0])
		if err != nil {
			return err
		}
		defer db.Close()
		it, err := db.Item(ctx, id)
		if err != nil {
			return err
		}
		set := action
		if undo {
			cur, err := curation(ctx, db, t.Name, id)
			if err != nil {
				return err
			}
			if cur != action {
				return fmt.Errorf("item %d is not %s in topic %s", id, past(action), t.Name)
			}
			set = ""
		}
		if err := db.Curate(ctx, t.Name, id, set); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s item %d (%s) in topic %s\n", past(name), id, it.Title, t.Name)
		return nil
	}
}

func past(verb string) string {
	if strings.HasSuffix(verb, "pin") {
		return verb + "ned"
	}
	return strings.TrimSuffix(verb, "e") + "den" // hide, unhide
}

// curation returns the current choice for an item in a topic, or "".
func curation(ctx context.Context, db *store.DB, topic string, id int64) (string, error) {
	cs, err := db.Curations(ctx, topic)
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.ItemID == id {
			return c.Action, nil
		}
	}
	return "", nil
}

// openTopic loads the config, opens the database and syncs topics, so a
// topic just added to the config can be curated at once.
func (e *env) openTopic(ctx context.Context, name string) (*store.DB, *feed.Topic, error) {
	if err := e.load(); err != nil {
		return nil, nil, err
	}
	t := e.topic(name)
	if t == nil {
		return nil, nil, fmt.Errorf("unknown topic %q (see topicfeed topics)", name)
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return db, t, nil
}

func runSearch(ctx context.Context, e *env, args []string) error {
	fs := e.flags("search")
	format := fs.String("format", "table", "table, rss, atom or json")
	limit := fs.Int("limit", feed.DefaultSearchLimit, "items at most (up to 500)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &exitError{exitBadConfig, errors.New(`want exactly one QUERY (quote it: topicfeed search 'Pakistan AND "trade deal"')`)}
	}
	var f feed.Format
	if *format != "table" {
		if f, err = feed.ParseFormat(*format); err != nil {
			return &exitError{exitBadConfig, fmt.Errorf("unknown format %q (want table, rss, atom or json)", *format)}
		}
	}
	rule, err := feed.ParseRule(pos[0])
	if err != nil {
		return &exitError{exitBadConfig, fmt.Errorf("query: %w", err)}
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	items, err := db.Search(ctx, rule, min(max(*limit, 1), feed.MaxLimit))
	if err != nil {
		return err
	}
	if f == "" {
		return printItems(e, items)
	}
	var buf bytes.Buffer
	if err := feed.Render(&buf, f, feed.SearchChannel(e.cfg.BaseURL, pos[0], f), items); err != nil {
		return err
	}
	_, err = e.stdout.Write(buf.Bytes())
	return err
}

func printItems(e *env, items []*feed.Item) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPUBLISHED\tSOURCES\tTITLE")
	for _, it := range items {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", it.ID, it.Published.Format("2006-01-02"), strings.Join(it.Sources, ","), it.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "%d items\n", len(items))
	return err
}
