package refresh

import (
	"context"
	"os"
	"time"

	"github.com/topicfeed/topicfeed/fetch"
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
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		g.scan(ctx, seen, stored)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (g *Ingester) scan(ctx context.Context, seen map[string]fileStamp, stored func(FilesResult)) {
	var roots []string
	for _, s := range g.Sources {
		if s.Path != "" {
			roots = append(roots, s.Path)
		}
	}
	if len(roots) == 0 {
		return
	}
	names, _ := fetch.ListFiles(roots)
	var changed []string
	for _, n := range names {
		st, err := os.Stat(n)
		if err != nil {
			continue
		}
		stamp := fileStamp{st.ModTime(), st.Size()}
		if seen[n] != stamp {
			changed = append(changed, n)
			seen[n] = stamp
		}
	}
	if len(changed) == 0 {
		return
	}
	res, err := g.Files(ctx, changed, nil, func(err error) { g.Log.Warn("rejected", "err", err) }, nil)
	if err != nil {
		g.Log.Error("ingest", "err", err)
		// Forget the batch so the next scan tries it again.
		for _, n := range changed {
			delete(seen, n)
		}
	}
	if stored != nil {
		stored(res)
	}
}
