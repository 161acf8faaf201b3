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
// next step too); a topic's mark is looked up only for a done one, for its
// date.
func (s study) estimate(m *Member, tr *Track, x roadmap.Reading, now time.Time) (left int, text string) {
	var pace int // hours of topics done in the window
	for _, t := range s.rm.Topics() {
		if t.Optional {
			continue
		}
		st := x.Status(t)
		finished := st.Finished()
		if t.Group() != nil {
			if !x.Counts(t) {
				continue
			}
			finished = x.Finished(t) // a pick not chosen from yet stays ahead
		}
		if !finished {
			left += t.Hours
			continue
		}
		if st == roadmap.Done {
			if mk := tr.Topics[t.ID]; mk != nil && now.Sub(mk.At) <= paceWindow {
				pace += t.Hours
			}
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
