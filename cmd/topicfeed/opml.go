package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/store"
)

func runOPML(ctx context.Context, e *env, args []string) error {
	fs := e.flags("opml")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && pos[0] == "export":
	case len(pos) == 2 && pos[0] == "import":
	default:
		return &exitError{exitBadConfig, errors.New("want `opml export` or `opml import FILE`")}
	}
	db, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if pos[0] == "export" {
		return exportOPML(ctx, e, db)
	}
	return importOPML(ctx, e, db, pos[1])
}

// exportOPML writes every stored remote source, config and database alike,
// as one flat list; folders (path sources) have no feed URL to export.
func exportOPML(ctx context.Context, e *env, db *store.DB) error {
	srcs, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	var outlines []feed.Outline
	for _, s := range srcs {
		if s.URL == "" {
			continue
		}
		outlines = append(outlines, feed.Outline{Title: s.Name, Text: s.Name, Type: "rss", XMLURL: s.URL})
	}
	return feed.WriteOPML(e.stdout, "topicfeed sources", outlines)
}

// importOPML adds each feed of an OPML file (nested folders flattened) as a
// trusted source stored in the database, named after its title. Feeds
// already subscribed are skipped; outlines without an http(s) feed URL are
// named on stderr and make the exit status 1.
func importOPML(ctx context.Context, e *env, db *store.DB, file string) error {
	outlines, err := readOPMLFile(e, file)
	if err != nil {
		return err
	}
	srcs, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	names, urls := map[string]bool{}, map[string]string{}
	for _, s := range srcs {
		names[s.Name] = true
		if s.URL != "" {
			urls[s.URL] = s.Name
		}
	}
	var added, present, rejected int
	for _, o := range flatten(outlines) {
		label := strings.TrimSpace(firstNonBlank(o.Title, o.Text, o.XMLURL))
		if !isFeedURL(o.XMLURL) {
			rejected++
			fmt.Fprintf(e.stderr, "%s: outline %q: xmlUrl %q is not an absolute http(s) URL\n", file, label, o.XMLURL)
			continue
		}
		if name, ok := urls[o.XMLURL]; ok {
			present++
			fmt.Fprintf(e.stderr, "%s: outline %q: already a source, %s\n", file, label, name)
			continue
		}
		name := uniqueName(slug(label), names)
		if err := db.AddSource(ctx, feed.Source{Name: name, URL: o.XMLURL}, store.OriginConfig); err != nil {
			return fmt.Errorf("%s: outline %q: %w", file, label, err)
		}
		names[name], urls[o.XMLURL] = true, name
		added++
		fmt.Fprintf(e.stdout, "added %s %s\n", name, o.XMLURL)
	}
	fmt.Fprintf(e.stdout, "%d sources added, %d already present, %d rejected\n", added, present, rejected)
	if added > 0 {
		fmt.Fprintf(e.stdout, "Note: imported sources are stored in the database %s, not in the config file; "+
			"`topicfeed opml export` lists them.\n", store.Redact(e.cfg.Database))
	}
	if rejected > 0 {
		return errQuiet
	}
	return nil
}

func readOPMLFile(e *env, file string) ([]feed.Outline, error) {
	var r io.Reader = e.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	outlines, err := feed.ReadOPML(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return outlines, nil
}

// flatten lists the feeds of nested outlines, depth first: an outline with
// an xmlUrl is a feed; one without is a folder (or a note, skipped).
func flatten(outlines []feed.Outline) []feed.Outline {
	var out []feed.Outline
	for _, o := range outlines {
		if o.XMLURL != "" {
			out = append(out, o)
		}
		out = append(out, flatten(o.Children)...)
	}
	return out
}

func isFeedURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// slug turns a title into a source name as the config file allows it
// (a-z, 0-9, '.', '_', '-'): accents dropped, other runs of characters
// made one '-', at most 40 bytes. A URL keeps its host and path.
func slug(title string) string {
	if u, err := url.Parse(title); err == nil && u.Host != "" {
		title = u.Host + u.Path
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(feed.StripAccents(title)) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "feed"
	}
	return s
}

// uniqueName appends -2, -3, … to name until no source has it.
func uniqueName(name string, taken map[string]bool) string {
	if !taken[name] {
		return name
	}
	for i := 2; ; i++ {
		if n := name + "-" + strconv.Itoa(i); !taken[n] {
			return n
		}
	}
}

func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
