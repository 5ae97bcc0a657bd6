package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

func runExplain(ctx context.Context, e *env, args []string) error {
	fs := e.flags("explain")
	itemID := fs.Int64("item", 0, "explain one item: its copies and why they were merged")
	limit := fs.Int("limit", 500, "items at most")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if (*itemID == 0) == (len(pos) != 1) {
		return &exitError{exitBadConfig, errors.New("want a TOPIC or -item ID")}
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if *itemID != 0 {
		return e.explainItem(ctx, db, *itemID)
	}
	t := e.topic(pos[0])
	if t == nil {
		return fmt.Errorf("unknown topic %q (see topicfeed topics)", pos[0])
	}
	items, err := db.TopicItems(ctx, t.Name, *limit)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "topic %s: %d items\n", t.Name, len(items))
	if t.Match != nil {
		fmt.Fprintf(e.stdout, "match: %s\n", t.Match)
	}
	if t.Exclude != nil {
		fmt.Fprintf(e.stdout, "exclude: %s\n", t.Exclude)
	}
	for _, it := range items {
		why := "pinned or matches everything"
		if t.Match != nil {
			if hits := t.Match.Explain(feed.ItemDoc(it)); len(hits) > 0 {
				why = "matched " + strings.Join(hits, ", ")
			}
		}
		fmt.Fprintf(e.stdout, "%6d  %s  %s\n        %s\n", it.ID, it.Published.Format("2006-01-02"), it.Title, why)
	}
	return nil
}

func (e *env) explainItem(ctx context.Context, db *store.DB, id int64) error {
	it, err := db.Item(ctx, id)
	if err != nil {
		return err
	}
	copies, err := db.Sightings(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "item %d: %s\n", it.ID, it.Title)
	for i, c := range copies {
		ref := c.GUID
		if ref == "" {
			ref = c.URL
		}
		fmt.Fprintf(e.stdout, "  copy %d from %s (%s): %s\n", i+1, c.Source, ref, c.Reason)
	}
	return nil
}
