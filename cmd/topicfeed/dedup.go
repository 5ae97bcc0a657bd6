package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// Editors correct dedup from the command line; the admin API does the
// same (POST /api/items/{id}/split and /merge).

func runSplit(ctx context.Context, e *env, args []string) error {
	pos, err := parse(e.flags("split"), args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return &exitError{exitBadConfig, errors.New("want ITEM COPY (a copy id or source name, see topicfeed explain -item ITEM)")}
	}
	id, err := itemArg(pos[0])
	if err != nil {
		return err
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	topics, err := e.topicsInForce(ctx, db)
	if err != nil {
		return err
	}
	edit, err := db.SplitCopy(ctx, id, pos[1], topics)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "item %d: copy %d (%s) split off as item %d\n", edit.Item, edit.Copy, edit.Source, edit.NewItem)
	return nil
}

func runMerge(ctx context.Context, e *env, args []string) error {
	pos, err := parse(e.flags("merge"), args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return &exitError{exitBadConfig, errors.New("want ITEM OTHER: the item to keep, then the item to merge into it")}
	}
	var ids [2]int64
	for i, a := range pos {
		if ids[i], err = itemArg(a); err != nil {
			return err
		}
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	topics, err := e.topicsInForce(ctx, db)
	if err != nil {
		return err
	}
	edit, err := db.MergeItems(ctx, ids[0], ids[1], topics)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "item %d: item %d merged in (%d %s moved)\n", edit.Item, edit.Merged, edit.Copies, plural(edit.Copies, "copy", "copies"))
	return nil
}

// itemArg parses an item id argument; a malformed one is a usage error,
// as for pin and hide.
func itemArg(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, &exitError{exitBadConfig, fmt.Errorf("item %q: want a numeric item id (see topicfeed search or explain)", s)}
	}
	return id, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// howJoined says how a copy came to be in its item, for explain -item:
// the matcher's reason, or the editor's split or merge that moved it.
func howJoined(c feed.Copy) string {
	m := c.Editor
	if m == nil {
		return c.Reason
	}
	at := m.At.Format(time.RFC3339)
	switch {
	case m.Action == "split":
		return fmt.Sprintf("split by editor at %s from item %d", at, m.From)
	case strings.HasPrefix(c.Reason, "editor:"): // the merged item's first copy
		return fmt.Sprintf("merged by editor at %s from item %d", at, m.From)
	}
	return fmt.Sprintf("merged by editor at %s from item %d, which it had joined as %s", at, m.From, c.Reason)
}
