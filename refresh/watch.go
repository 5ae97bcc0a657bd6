package refresh

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/fetch"
	"github.com/topicfeed/topicfeed/store"
)

// fileStamp is what tells a changed file without reading it.
type fileStamp struct {
	mod  time.Time
	size int64
}

// Watch ingests new and changed files under the path sources, polling
// every interval until ctx ends. Polling works the same on every OS and
// file system (network mounts included) and costs one stat per file.
func (g *Ingester) Watch(ctx context.Context, every time.Duration, stored func(FilesResult)) {
	seen := map[string]fileStamp{}
	scans := map[string]scanState{}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		g.scan(ctx, seen, scans, stored)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scanRecordEvery is how often a scan that found nothing new is
// recorded for /sources: often enough to show the watcher is alive, not
// so often that every poll is a database commit (which drops feed caches).
const scanRecordEvery = time.Minute

// scanState is what the watcher last recorded of a folder source.
type scanState struct {
	at    time.Time
	files int
	errs  string
}

func (g *Ingester) scan(ctx context.Context, seen map[string]fileStamp, scans map[string]scanState, stored func(FilesResult)) {
	// Files under several roots (a source's folder inside another's) are
	// listed once and belong to the source SourceFor names, as in Files.
	listed := map[string]bool{}
	files := map[string]int{}
	changed := map[string][]string{}
	listErrs := map[string][]string{}
	var order []string
	for _, s := range g.Sources {
		if s.Path == "" {
			continue
		}
		order = append(order, s.Name)
		names, errs := fetch.ListFiles([]string{s.Path})
		for _, err := range errs {
			listErrs[s.Name] = append(listErrs[s.Name], err.Error())
		}
		for _, n := range names {
			if listed[n] {
				continue
			}
			listed[n] = true
			st, err := os.Stat(n)
			if err != nil {
				continue
			}
			src := g.SourceFor(n)
			files[src]++
			stamp := fileStamp{st.ModTime(), st.Size()}
			if seen[n] != stamp {
				changed[src] = append(changed[src], n)
				seen[n] = stamp
			}
		}
	}
	for _, name := range order {
		g.scanned(ctx, name, files[name], changed[name], listErrs[name], seen, scans, stored)
	}
}

// scanned ingests a source's new and changed files and records the scan.
func (g *Ingester) scanned(ctx context.Context, source string, files int, changed, listErrs []string,
	seen map[string]fileStamp, scans map[string]scanState, stored func(FilesResult)) {
	now := time.Now().UTC()
	rec := store.FolderScan{Source: source, Scanned: now, Files: files, Rejected: listErrs}
	if len(changed) > 0 {
		res, err := g.Files(ctx, changed, nil, func(err error) {
			g.Log.Warn("rejected", "err", err)
			rec.Rejected = append(rec.Rejected, err.Error())
		}, nil)
		if err != nil {
			g.Log.Error("ingest", "source", source, "err", err)
			rec.Rejected = append(rec.Rejected, "ingest: "+err.Error())
			// Forget the batch so the next scan tries it again.
			for _, n := range changed {
				delete(seen, n)
			}
		}
		rec.Ingested, rec.Added, rec.Updated, rec.Merged = res.Files, res.New, res.Updated, res.Merged
		if stored != nil {
			stored(res)
		}
	}
	last, errs := scans[source], strings.Join(listErrs, "\n")
	found := len(changed) > 0 || errs != last.errs
	if !found && files == last.files && now.Sub(last.at) < scanRecordEvery {
		return
	}
	if err := g.DB.RecordScan(ctx, rec, found); err != nil {
		if ctx.Err() == nil {
			g.Log.Warn("record folder scan", "source", source, "err", err)
		}
		return
	}
	scans[source] = scanState{at: now, files: files, errs: errs}
}
