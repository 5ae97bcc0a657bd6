package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// File is one input found on disk (or stdin) with the items parsed from it.
type File struct {
	Name  string // path as given, or "-" for stdin
	Items []feed.Item
	Empty int   // entries left out for having no title, text or link
	Err   error // why the file was rejected; other files go on
}

// MaxFileSize caps a local input, like max_body caps a download.
const MaxFileSize = 64 << 20

// ListFiles expands paths into the files to ingest: folders recursively
// (hidden entries skipped), in a stable order.
func ListFiles(paths []string) ([]string, []error) {
	var out []string
	var errs []error
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, unwrapPath(err)))
			continue
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", path, unwrapPath(err)))
				return nil
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && Ingestible(path) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, errs
}

// Ingestible says whether a file in a folder looks like something to read.
func Ingestible(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt", ".md", ".markdown", ".html", ".htm", ".xml", ".rss", ".atom", ".json", ".rdf":
		return true
	}
	return false
}

// ReadFile reads and parses one input; "-" reads r (stdin).
func ReadFile(ctx context.Context, name string, stdin io.Reader) File {
	if err := ctx.Err(); err != nil {
		return File{Name: name, Err: err}
	}
	data, mod, err := readInput(name, stdin)
	if err != nil {
		return File{Name: name, Err: err}
	}
	items, isFeed, empty, err := parseFile(name, data, mod)
	if err != nil {
		return File{Name: name, Err: err}
	}
	if !isFeed && len(items) == 1 && items[0].GUID == "" && name != "-" {
		// A plain article's identity is its file, so editing the file
		// updates the item instead of adding another; it is its own feed.
		items[0].GUID = fileScope(name)
		items[0].Feed = items[0].GUID
	}
	return File{Name: name, Items: items, Empty: empty}
}

func readInput(name string, stdin io.Reader) ([]byte, time.Time, error) {
	if name == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, MaxFileSize+1))
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("-: %w", err)
		}
		if len(b) > MaxFileSize {
			return nil, time.Time{}, fmt.Errorf("-: larger than %d MiB, the limit on an input file", MaxFileSize>>20)
		}
		return b, time.Now(), nil
	}
	st, err := os.Stat(name)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	if st.Size() > MaxFileSize {
		return nil, time.Time{}, fmt.Errorf("%s: larger than %d MiB, the limit on an input file", name, MaxFileSize>>20)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	return b, st.ModTime(), nil
}

// ParseFile turns one input's bytes into items: a feed document through
// gofeed, anything else as a plain article. The document is converted to
// UTF-8 first, and what it is comes from parsing its start: a JSON object
// or an XML document that is not a feed is refused, not stored as an
// article (unless the file is named as one: .txt, .md, .html).
func ParseFile(name string, data []byte, modTime time.Time) ([]feed.Item, error) {
	items, _, _, err := parseFile(name, data, modTime)
	return items, err
}

func parseFile(name string, data []byte, modTime time.Time) (items []feed.Item, isFeed bool, empty int, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, false, 0, fmt.Errorf("%s: empty file", name)
	}
	doc, err := toUTF8(data, "", htmlHint(name, data))
	if err != nil {
		return nil, false, 0, fmt.Errorf("%s: %v", name, err)
	}
	article := articleExt(name)
	switch firstByte(doc) {
	case '{':
		f, err := parseJSONFeed(doc)
		if err == nil {
			items, empty := feedItems(name, f, doc, "")
			return items, true, empty, nil
		}
		var syn jsonSyntaxError
		text := errors.As(err, &syn) && !strings.EqualFold(filepath.Ext(name), ".json") &&
			!bytes.Contains(doc, []byte("jsonfeed.org"))
		if !article && !text {
			return nil, false, 0, fmt.Errorf("%s: not a feed: %v", name, err)
		}
	case '[':
		if !article && json.Valid(doc) {
			return nil, false, 0, fmt.Errorf("%s: not a feed: %v", name, errNoJSONFeedVersion)
		}
	case '<':
		root := findXMLRoot(doc)
		if root.isFeed() || (root.name != "" && !root.isHTML()) {
			f, err := parseXMLFeed(doc, &root)
			if err == nil {
				items, empty := feedItems(name, f, doc, "")
				return items, true, empty, nil
			}
			if root.isFeed() || !article {
				return nil, false, 0, fmt.Errorf("%s: not a feed: %v", name, err)
			}
		} else if !article && !root.isHTML() && (root.decl || root.err == nil) {
			// A declaration, or only comments and the like: XML, and no feed.
			return nil, false, 0, fmt.Errorf("%s: not a feed: %s", name, root.refusal())
		}
	}
	it, err := ParseArticle(name, doc, modTime)
	if err != nil {
		return nil, false, 0, err
	}
	return []feed.Item{it}, false, 0, nil
}

// unwrapPath drops the *fs.PathError wrapper, whose path we print already.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
