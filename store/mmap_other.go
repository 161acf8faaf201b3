//go:build !linux

package store

// mmapFlags: MAP_POPULATE is Linux's (see mmap_linux.go).
const mmapFlags = 0
