package main

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// runBackup writes a consistent copy of the database to FILE, safe while
// serve or a refresh is writing; it refuses to overwrite FILE.
func runBackup(ctx context.Context, e *env, args []string) error {
	pos, err := parse(e.flags("backup"), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &exitError{exitBadConfig, errors.New("want one FILE to write the backup to")}
	}
	db, err := e.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, pos[0]); err != nil {
		return err
	}
	var size int64
	if fi, err := os.Stat(pos[0]); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (%d bytes)\n", e.cfg.Database, pos[0], size)
	return nil
}
