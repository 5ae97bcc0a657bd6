package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

func runCheck(_ context.Context, e *env, args []string) error {
	if _, err := parse(e.flags("check"), args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	where := e.cfg.File
	if where == "" {
		where = "built-in defaults (no " + "topicfeed.yaml" + ")"
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d sources, %d topics)\n", where, len(e.cfg.Sources), len(e.cfg.FeedTopics()))
	return nil
}

func runTopics(ctx context.Context, e *env, args []string) error {
	if _, err := parse(e.flags("topics"), args); err != nil {
		return err
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	topics := e.cfg.FeedTopics()
	stats, err := db.TopicStats(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TOPIC\tITEMS\tLAST ITEM\tTITLE")
	for _, t := range topics {
		s := stats[t.Name]
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", t.Name, s.Items, when(s.LastUpdate), t.Title)
	}
	return w.Flush()
}

func runSources(ctx context.Context, e *env, args []string) error {
	if _, err := parse(e.flags("sources"), args); err != nil {
		return err
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	srcs, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	scans, err := db.FolderScans(ctx) // what serve's watcher saw of folders
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SOURCE\tITEMS\tLAST FETCH\tSTATUS\tNEXT DUE\tPOLLED\tLAST ERROR\tLOCATION")
	for _, s := range srcs {
		loc := s.URL
		if s.Path != "" {
			loc = s.Path
		}
		status := fmt.Sprint(s.Status)
		if s.Disabled {
			status = "disabled"
		} else if s.Status == 0 {
			status = "-"
		}
		last := when(s.Fetched)
		if sc, ok := scans[s.Name]; ok && s.Path != "" {
			last, status = when(sc.Scanned), fmt.Sprintf("scanned, %d files", sc.Files)
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, s.Items, last, status,
			when(s.NextFetch), polled(s), dash(s.Error), loc)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, s := range srcs {
		for _, r := range scans[s.Name].Rejected {
			fmt.Fprintf(e.stdout, "%s: rejected %s\n", s.Name, r)
		}
	}
	return printPagesWebSub(e.stdout, srcs) // websub.go
}

// polled is a source's poll interval and why: "every 6h (publishes ~every 5h40m)".
func polled(s store.SourceInfo) string {
	if s.PollInterval <= 0 {
		return "-"
	}
	out := "every " + fetch.FormatInterval(s.PollInterval)
	if s.PollReason != "" {
		out += " (" + s.PollReason + ")"
	}
	return out
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
