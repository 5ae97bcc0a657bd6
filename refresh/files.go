// Package refresh moves items from fetch to store: it ingests local files
// in batches, schedules remote sources, and records what each pass did.
// It is the one place that knows both how bytes are got and where items go.
package refresh

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// DefaultSource names items ingested from paths no configured source covers.
const DefaultSource = "local"

// batchSize bounds one transaction: large enough to amortise the commit,
// small enough that a crash loses little work and readers are not starved.
const batchSize = 500

// Ingester stores parsed items with the current topics and dedup settings.
type Ingester struct {
	DB           *store.DB
	Topics       []*feed.Topic
	NearDistance int
	MaxAge       time.Duration // retention.max_age: older items are not stored
	MaxContent   int           // retention.max_content: longer items are cut; 0 for the default
	Sources      []feed.Source // path sources claim the files under them
	Log          *slog.Logger

	swapped atomic.Pointer[[]*feed.Topic] // SetTopics's, when set: wins over Topics
}

// SetTopics makes ts the topics items are classified by from the next
// batch on, without stopping the fetches and folder watches under way (a
// rule saved from the console). Topics is left as it was.
func (g *Ingester) SetTopics(ts []*feed.Topic) { g.swapped.Store(&ts) }

// topics are the topics in force: SetTopics's, else Topics.
func (g *Ingester) topics() []*feed.Topic {
	if p := g.swapped.Load(); p != nil {
		return *p
	}
	return g.Topics
}

// FilesResult is what one ingest of files did.
type FilesResult struct {
	Files    int
	Rejected int
	store.IngestResult
}

// Files ingests every path (folders recursively, "-" from stdin), calling
// reject once per unreadable or unparsable input and progress after each
// file. Files are parsed in parallel and stored in batches, in order.
func (g *Ingester) Files(ctx context.Context, paths []string, stdin io.Reader,
	reject func(error), progress func(done, total int)) (FilesResult, error) {
	var res FilesResult
	names, errs := fetch.ListFiles(paths)
	for _, err := range errs {
		res.Rejected++
		reject(err)
	}
	if progress != nil {
		progress(0, len(names))
	}
	parsed, done := parseAll(ctx, names, stdin)
	var batch []feed.Item
	batchSource := ""
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		r, err := g.DB.Ingest(ctx, batchSource, batch, g.options())
		batch = batch[:0]
		res.Add(r)
		return err
	}
	for i, ch := range parsed {
		f := <-ch
		done()
		res.Files++
		if f.Err != nil {
			res.Rejected++
			reject(f.Err)
		} else {
			res.Empty += f.Empty
			src := g.SourceFor(f.Name)
			if src != batchSource || len(batch)+len(f.Items) > batchSize {
				if err := flush(); err != nil {
					return res, err
				}
				batchSource = src
			}
			batch = append(batch, f.Items...)
		}
		if progress != nil {
			progress(i+1, len(names))
		}
	}
	return res, flush()
}

// options are the dedup and retention settings every batch is stored with.
func (g *Ingester) options() store.IngestOptions {
	return store.IngestOptions{Topics: g.topics(), NearDistance: g.NearDistance, MaxAge: g.MaxAge, MaxContent: g.MaxContent}
}

// lookahead bounds how many parsed files wait for the store, which keeps
// memory flat on huge folders.
const lookahead = 64

// parseAll reads and parses files on every core, handing results back in
// input order through one channel per file. The consumer calls done after
// taking each result, freeing a look-ahead slot.
func parseAll(ctx context.Context, names []string, stdin io.Reader) (out []chan fetch.File, done func()) {
	out = make([]chan fetch.File, len(names))
	for i := range out {
		out[i] = make(chan fetch.File, 1)
	}
	slots := make(chan struct{}, lookahead)
	work := make(chan int)
	for range max(1, runtime.GOMAXPROCS(0)) {
		go func() {
			for i := range work {
				out[i] <- fetch.ReadFile(ctx, names[i], stdin)
			}
		}()
	}
	go func() {
		defer close(work)
		for i := range names {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				for ; i < len(names); i++ {
					out[i] <- fetch.File{Name: names[i], Err: ctx.Err()}
				}
				return
			}
			work <- i
		}
	}()
	// Non-blocking: after cancellation results arrive without a slot.
	return out, func() {
		select {
		case <-slots:
		default:
		}
	}
}

// SourceFor names the source a file belongs to: the configured path
// source whose folder holds it, else DefaultSource.
func (g *Ingester) SourceFor(name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		return DefaultSource
	}
	for _, s := range g.Sources {
		if s.Path == "" {
			continue
		}
		root, err := filepath.Abs(s.Path)
		if err == nil && (abs == root || strings.HasPrefix(abs, root+string(filepath.Separator))) {
			return s.Name
		}
	}
	return DefaultSource
}
