package store

import "syscall"

// mmapFlags pre-faults the whole map when the file is opened (and when bbolt
// remaps it to grow). Without it every page is faulted in on first touch, and
// a fault costs tens of microseconds on a virtual machine: a scheduler tick
// touches the pages of the minute's slots, which no earlier tick of the
// process has touched, so for the first day after a start each tick paid
// ~0.4 ms in faults (BenchmarkTick, a fresh process each run). Opening
// reads the file into the page cache instead, once.
const mmapFlags = syscall.MAP_POPULATE
