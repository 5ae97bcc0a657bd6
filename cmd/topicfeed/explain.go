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
	// Judge by the rule in force: one saved from the console wins over
	// the file's until the file's rule changes (openStore synced that).
	if err := db.ApplyConsoleRules(ctx, []*feed.Topic{t}); err != nil {
		return err
	}
	if r, err := db.TopicRule(ctx, t.Name); err == nil && r.Console != nil {
		fmt.Fprintf(e.stdout, "rule saved from the console %s; the config file's is %q\n",
			r.Console.Saved.Format("2006-01-02 15:04 UTC"), r.ConfigMatch)
	}
	return e.explainTopic(ctx, db, t, *limit)
}

// explainTopic judges the newest stored items against a topic and prints,
// for each one the rule or a curator touched, why it is in or out: the
// rule terms that matched, the exclude terms that dropped it, a source
// filter, or a pin or hide.
func (e *env) explainTopic(ctx context.Context, db *store.DB, t *feed.Topic, limit int) error {
	items, err := db.Recent(ctx, limit)
	if err != nil {
		return err
	}
	curations, err := db.Curations(ctx, t.Name)
	if err != nil {
		return err
	}
	curated := map[int64]string{}
	for _, c := range curations {
		curated[c.ItemID] = c.Action
	}
	fmt.Fprintf(e.stdout, "topic %s, judged over the newest %d items\n", t.Name, len(items))
	if t.Match != nil {
		fmt.Fprintf(e.stdout, "match:   %s\n", t.Match)
	}
	if t.Exclude != nil {
		fmt.Fprintf(e.stdout, "exclude: %s\n", t.Exclude)
	}
	for _, it := range items {
		if verdict := topicVerdict(t, it, curated[it.ID]); verdict != "" {
			fmt.Fprintf(e.stdout, "%6d  %s  %s\n        %s\n", it.ID, it.Published.Format("2006-01-02"), it.Title, verdict)
		}
	}
	return nil
}

// topicVerdict says why an item is in or out of a topic; "" when the
// rule does not concern it at all.
func topicVerdict(t *feed.Topic, it *feed.Item, curation string) string {
	doc := feed.ItemDoc(it)
	matched := t.Match == nil || t.Match.Match(doc)
	var why []string
	if t.Match != nil && matched {
		why = append(why, "matched "+strings.Join(t.Match.Explain(doc), ", "))
	}
	switch {
	case curation == store.Pin:
		return "IN (pinned by hand) " + strings.Join(why, "; ")
	case curation == store.Hide:
		return "OUT (hidden by hand) " + strings.Join(why, "; ")
	case !matched:
		return ""
	case t.Exclude != nil && t.Exclude.Match(doc):
		return "OUT: " + strings.Join(why, "; ") + "; excluded by " + strings.Join(t.Exclude.Explain(doc), ", ")
	case !t.Accepts(doc, it.Sources):
		return "OUT: " + strings.Join(why, "; ") + "; not from " + strings.Join(t.Sources, ", ")
	case len(why) == 0:
		return "IN: the topic takes every item"
	}
	return "IN: " + strings.Join(why, "; ")
}

func (e *env) explainItem(ctx context.Context, db *store.DB, id int64) error {
	it, err := db.Item(ctx, id)
	if err != nil {
		return err
	}
	copies, err := db.Copies(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "item %d: %s\n", it.ID, it.Title)
	for _, c := range copies {
		ref := c.GUID
		if ref == "" {
			ref = c.URL
		}
		// The copy id is what topicfeed split takes.
		fmt.Fprintf(e.stdout, "  copy %d from %s (%s): %s\n", c.ID, c.Source, ref, howJoined(c))
	}
	if len(copies) > 1 {
		fmt.Fprintf(e.stdout, "a wrong copy: topicfeed split %d COPY; a missed one: topicfeed merge %d ITEM\n", it.ID, it.ID)
	}
	return nil
}
