package schedule

import (
	"time"

	"github.com/studybot/studybot/bot"
)

// RunChallengeJob runs the space's installed challenge job as cron would, so
// tests need not wait for real time. It reports whether the space has one.
func RunChallengeJob(s *Scheduler, sp bot.Space) bool {
	s.mu.Lock()
	e, ok := s.spaces[sp]
	s.mu.Unlock()
	if !ok {
		return false
	}
	s.cron.Entry(e.id).WrappedJob.Run()
	return true
}

// CronEntries is how many entries cron holds (the tick plus one per space).
func CronEntries(s *Scheduler) int { return len(s.cron.Entries()) }

// RunCloser runs the challenge closer job once, as cron does every minute.
func RunCloser(s *Scheduler) { s.runClose() }

// FiredAt exposes firedAt for a spec.
func FiredAt(spec string, now time.Time) time.Time {
	sched, err := parseSpec(spec)
	if err != nil {
		panic(err)
	}
	return firedAt(sched, now)
}

// RunTickJob runs the minute tick's cron job as cron would (with whatever
// wrappers Start gave it), so tests need not wait for real minutes.
func RunTickJob(s *Scheduler) {
	s.mu.Lock()
	id := s.tickID
	s.mu.Unlock()
	s.cron.Entry(id).WrappedJob.Run()
}

// RunTick runs the minute tick as cron does, log line included.
func RunTick(s *Scheduler) { s.runTick() }
