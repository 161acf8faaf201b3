//go:build race

package schedule_test

// raceEnabled shrinks the longest fake-clock runs under the race detector,
// which slows them several times over; the full sizes run without it.
const raceEnabled = true
