package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/topicfeed/topicfeed/feed"
)

// File is one input found on disk (or stdin) with the items parsed from it.
type File struct {
	Name  string // path as given, or "-" for stdin
	Items []feed.Item
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
	items, err := ParseFile(name, data, mod)
	if err != nil {
		return File{Name: name, Err: err}
	}
	if name != "-" {
		if abs, err := filepath.Abs(name); err == nil {
			for i := range items {
				if items[i].GUID == "" && len(items) == 1 && !looksLikeFeed(name, data) {
					// A plain article's identity is its file, so editing the
					// file updates the item instead of adding another.
					items[i].GUID = "file://" + filepath.ToSlash(abs)
				}
			}
		}
	}
	return File{Name: name, Items: items}
}

func readInput(name string, stdin io.Reader) ([]byte, time.Time, error) {
	if name == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, MaxFileSize+1))
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("-: %w", err)
		}
		if len(b) > MaxFileSize {
			return nil, time.Time{}, fmt.Errorf("-: larger than %d MiB", MaxFileSize>>20)
		}
		return b, time.Now(), nil
	}
	st, err := os.Stat(name)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	if st.Size() > MaxFileSize {
		return nil, time.Time{}, fmt.Errorf("%s: larger than %d MiB", name, MaxFileSize>>20)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	return b, st.ModTime(), nil
}

// ParseFile turns one input's bytes into items: a feed document through
// gofeed, anything else as a plain article.
func ParseFile(name string, data []byte, modTime time.Time) ([]feed.Item, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	if looksLikeFeed(name, data) {
		return ParseFeed(name, data, "")
	}
	if !utf8.Valid(data) && bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("%s: not a text file (binary data)", name)
	}
	it, err := ParseArticle(name, data, modTime)
	if err != nil {
		return nil, err
	}
	return []feed.Item{it}, nil
}

// looksLikeFeed sniffs the start of a document for a feed's root element
// or JSON Feed's version key; extensions alone lie too often.
func looksLikeFeed(name string, data []byte) bool {
	head := data
	if len(head) > 2048 {
		head = head[:2048]
	}
	head = bytes.TrimPrefix(bytes.TrimSpace(head), []byte("\xef\xbb\xbf"))
	if len(head) > 0 && head[0] == '{' {
		return bytes.Contains(head, []byte("jsonfeed.org/version"))
	}
	lower := bytes.ToLower(head)
	for _, root := range []string{"<rss", "<feed", "<rdf:rdf"} {
		if bytes.Contains(lower, []byte(root)) {
			return true
		}
	}
	ext := strings.ToLower(filepath.Ext(name))
	return (ext == ".xml" || ext == ".rss" || ext == ".atom") && bytes.HasPrefix(lower, []byte("<?xml"))
}

// unwrapPath drops the *fs.PathError wrapper, whose path we print already.
func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
