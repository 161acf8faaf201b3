//go:build !unix

package bottest

import "time"

// CPUTime is 0 where getrusage is not available; benchmarks then report no
// CPU figures.
func CPUTime() time.Duration { return 0 }
