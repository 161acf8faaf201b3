//go:build unix

package bottest

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user and system) the process has used so far.
// Benchmarks on a shared machine compare it between two phases of one run:
// other processes stretch wall time, much less a process's own CPU time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
