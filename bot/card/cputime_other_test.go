//go:build !unix

package card

import "time"

func cpuTime() time.Duration { return 0 }
