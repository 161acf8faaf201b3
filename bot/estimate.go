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
//
// x is the member's track read once (progress reads it for its tally and
// next step too). The pace, which needs each done topic's date from the
// marks, is counted only when the answer uses it.
func (s study) estimate(m *Member, tr *Track, x roadmap.Reading, now time.Time) (left int, text string) {
	// Topics on the path and finished: required ones, and of a pick group
	// only what counts (a pick not chosen from yet stays ahead).
	finished := func(t *roadmap.Topic) (counts, finished bool) {
		if t.Group() != nil {
			if !x.Counts(t) {
				return false, false
			}
			return true, x.Finished(t)
		}
		return true, x.Status(t).Finished()
	}
	for _, t := range s.rm.Topics() {
		if t.Optional {
			continue
		}
		if counts, fin := finished(t); counts && !fin {
			left += t.Hours
		}
	}
	switch {
	case left == 0:
		return 0, "Nothing left on your path."
	case m.Created.IsZero() || now.Sub(m.Created) < paceMinAfter:
		return left, "An estimated finish date needs 2 weeks of your history; keep going."
	}
	var pace int // hours of topics done in the window
	for _, t := range s.rm.Topics() {
		if t.Optional || x.Status(t) != roadmap.Done {
			continue
		}
		if counts, fin := finished(t); !counts || !fin {
			continue
		}
		if mk := tr.Topics.Get(t.ID); mk != nil && now.Sub(mk.At) <= paceWindow {
			pace += t.Hours
		}
	}
	if pace == 0 {
		return left, "No topics done in the last 4 weeks, so no finish date yet."
	}
	perDay := float64(pace) / paceWindow.Hours() * 24
	days := int(float64(left)/perDay + 0.999)
	finish := now.AddDate(0, 0, days)
	return left, fmt.Sprintf("At your pace (%d hours of topics in 4 weeks) you would finish around %s.", pace, finish.Format("2 Jan 2006"))
}
