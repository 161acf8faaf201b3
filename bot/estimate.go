package bot

import (
	"fmt"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// Pace and estimate windows.
const (
	paceWindow   = 28 * 24 * time.Hour // the pace is the hours done in the last 4 weeks
	paceMinAfter = 14 * 24 * time.Hour // below 2 weeks of history an estimate says it needs more
)

// estimate is what progress says about the road ahead: the hours left on
// the member's path (from the roadmap's estimates) and, from their pace over
// the last four weeks, when they would finish. Hours of optional topics and
// of options not on their path count for nothing.
func (s study) estimate(m *Member, tr *Track, now time.Time) (left int, text string) {
	// The member's marks by topic index, from one pass over them: the walk
	// below then asks the roadmap (map lookups) only for pick options.
	topics := s.rm.Topics()
	var buf [256]*Mark
	marks := buf[:0]
	if len(topics) <= len(buf) {
		marks = buf[:len(topics)]
	} else {
		marks = make([]*Mark, len(topics))
	}
	for id, mk := range tr.Topics {
		if t := s.rm.Topic(id); t != nil && mk != nil {
			marks[t.Index] = mk
		}
	}
	var pace int // hours of topics done in the window
	for _, t := range topics {
		if t.Optional {
			continue
		}
		mk := marks[t.Index]
		finished := mk != nil && mk.Status.Finished()
		if t.Group() != nil {
			if !s.rm.Counts(tr, t) {
				continue
			}
			finished = s.rm.Finished(tr, t) // a pick not chosen from yet stays ahead
		}
		if !finished {
			left += t.Hours
			continue
		}
		if mk != nil && mk.Status == roadmap.Done && now.Sub(mk.At) <= paceWindow {
			pace += t.Hours
		}
	}
	switch {
	case left == 0:
		return 0, "Nothing left on your path."
	case m.Created.IsZero() || now.Sub(m.Created) < paceMinAfter:
		return left, "An estimated finish date needs 2 weeks of your history; keep going."
	case pace == 0:
		return left, "No topics done in the last 4 weeks, so no finish date yet."
	}
	perDay := float64(pace) / paceWindow.Hours() * 24
	days := int(float64(left)/perDay + 0.999)
	finish := now.AddDate(0, 0, days)
	return left, fmt.Sprintf("At your pace (%d hours of topics in 4 weeks) you would finish around %s.", pace, finish.Format("2 Jan 2006"))
}
