//go:build !unix

package store

// newKeys returns an empty slice of capacity n for the duplicate index's
// sorted entries; see keyarena_unix.go for why unix maps them.
func newKeys(n int) []uint64 { return make([]uint64, 0, n) }

// freeKeys leaves a to the collector.
func freeKeys(a []uint64) {}
