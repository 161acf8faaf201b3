//go:build unix

package card

import (
	"syscall"
	"time"
)

// cpuTime is the process's CPU time (user and system) so far; it is
// bottest.CPUTime, which this package cannot import (both define -update).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
