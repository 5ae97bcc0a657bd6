package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to path with VACUUM
// INTO: one read transaction, so the copy is a snapshot even while other
// connections or processes (serve, a cron refresh) write. It never
// overwrites: an existing path is an error. The copy is written to a
// temporary file beside path and linked into place only when complete, so
// a crash or a full disk never leaves a half-written backup under path.
func (d *DB) Backup(ctx context.Context, path string) error {
	if d.pg != nil {
		return fmt.Errorf("backup %s: the database is on PostgreSQL; back it up with pg_dump (docs/SCALING.md)", path)
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup %s: file already exists (will not overwrite)", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	name := tmp.Name()
	tmp.Close()
	// VACUUM INTO wants a file that does not exist or is empty; the empty
	// temporary file reserves a unique name.
	defer os.Remove(name)
	if _, err := d.db.ExecContext(ctx, `VACUUM INTO ?`, name); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	// A hard link fails if path appeared meanwhile; rename would replace it.
	if err := os.Link(name, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("backup %s: file already exists (will not overwrite)", path)
		}
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("backup %s: file already exists (will not overwrite)", path)
		}
		// Some file systems have no hard links.
		if err := os.Rename(name, path); err != nil {
			return fmt.Errorf("backup %s: %w", path, err)
		}
	}
	return nil
}
