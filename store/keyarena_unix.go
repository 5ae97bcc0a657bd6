//go:build unix

package store

import (
	"syscall"
	"unsafe"
)

// newKeys returns an empty slice of capacity n for the duplicate index's
// sorted entries, in memory mapped outside the Go heap. The index is the
// one large thing a process keeps (136 MB at 1M items) and it holds no
// pointers: on the heap, the collector's target (twice the live heap at
// GOGC 100) made it cost twice its size in RSS, and each array a merge
// replaced stayed resident until the next collection. Mapped pages are
// resident only once written, so spare capacity costs address space, not
// memory; freeKeys returns an array at once.
func newKeys(n int) []uint64 {
	if n <= 0 {
		return nil
	}
	b, err := syscall.Mmap(-1, 0, n*8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]uint64, 0, n) // no mapping to be had: the heap will do
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), n)[:0]
}

// freeKeys unmaps an array newKeys mapped; the caller holds no other
// reference to it. Munmap knows its own mappings and refuses anything
// else, so an array from the heap is left to the collector.
func freeKeys(a []uint64) {
	if cap(a) == 0 {
		return
	}
	_ = syscall.Munmap(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(a[:1]))), cap(a)*8))
}
