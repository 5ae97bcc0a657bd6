package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/topicfeed/topicfeed/feed"
)

func runRender(ctx context.Context, e *env, args []string) error {
	fs := e.flags("render")
	format := fs.String("format", "rss", "rss, atom or json")
	out := fs.String("o", "", "write to FILE instead of stdout")
	limit := fs.Int("limit", 0, "items at most (default: the topic's limit)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &exitError{exitBadConfig, errors.New("want exactly one TOPIC")}
	}
	f, err := feed.ParseFormat(*format)
	if err != nil {
		return &exitError{exitBadConfig, err}
	}
	if err := e.load(); err != nil {
		return err
	}
	t := e.topic(pos[0])
	if t == nil {
		return fmt.Errorf("unknown topic %q (see topicfeed topics)", pos[0])
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	n := t.Limit
	if *limit > 0 {
		n = min(*limit, 500)
	}
	items, err := db.TopicItems(ctx, t.Name, n)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := feed.Render(&buf, f, e.channel(t, f), items); err != nil {
		return err
	}
	if *out == "" {
		_, err = e.stdout.Write(buf.Bytes())
		return err
	}
	return os.WriteFile(*out, buf.Bytes(), 0o644)
}

func (e *env) topic(name string) *feed.Topic {
	for _, t := range e.cfg.FeedTopics() {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// channel describes a topic's feed with absolute links from base_url.
func (e *env) channel(t *feed.Topic, f feed.Format) feed.Channel {
	base := e.cfg.BaseURL
	return feed.Channel{
		Title:       t.Title,
		Description: t.Description,
		Link:        base + "/topics/" + t.Name,
		Self:        base + "/topics/" + t.Name + "." + string(f),
		BaseURL:     base,
		MaxBytes:    int(e.cfg.Refresh.MaxBody), // what a reader, and topicfeed, reads at most
	}
}
