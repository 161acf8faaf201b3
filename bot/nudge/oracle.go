package nudge

import (
	"sync"
	"time"
)

// Oracle judges a run of sends against the policy: a second nudge on a
// member's local date is a duplicate; a local date whose firing came before
// the end, outside downtime, with no nudge, is a miss. `studybot simulate`
// and the scheduler's tests count with it, so both hold the scheduler to the
// same definition.
//
// It keeps a few bytes per member (a million members cost ~7 MB), so it
// counts as sends arrive instead of keeping them. It has no clock: every
// instant is given. Sent is safe for concurrent use.
type Oracle struct {
	end              time.Time
	downFrom, downTo time.Time

	zoneIdx map[string]uint8
	locs    []*time.Location
	zone    []uint8
	hm      []uint16 // hour*60 + minute
	mu      sync.Mutex
	lastDay []int32 // civil day of the last local date nudged (or the day before the first due)
	dups    int64
	misses  int64
}

// NewOracle returns an oracle for a run that ends at end, with the bot down
// in [downFrom, downTo) (zero for none): firings in downtime may be missed.
func NewOracle(end, downFrom, downTo time.Time) *Oracle {
	return &Oracle{end: end, downFrom: downFrom, downTo: downTo, zoneIdx: map[string]uint8{}}
}

// Add registers the next member, who is first due at first, and returns their
// number for Sent. At most 256 distinct zones.
func (o *Oracle) Add(s Slot, first time.Time) int {
	zi, ok := o.zoneIdx[s.Zone]
	if !ok {
		zi = uint8(len(o.locs))
		o.zoneIdx[s.Zone] = zi
		o.locs = append(o.locs, s.Loc())
	}
	o.zone = append(o.zone, zi)
	o.hm = append(o.hm, uint16(s.Hour*60+s.Minute))
	o.lastDay = append(o.lastDay, civilDay(first.In(o.locs[zi]))-1)
	return len(o.zone) - 1
}

// Sent records a nudge to member i at instant at.
func (o *Oracle) Sent(i int, at time.Time) {
	day := civilDay(at.In(o.locs[o.zone[i]]))
	o.mu.Lock()
	defer o.mu.Unlock()
	last := o.lastDay[i]
	o.lastDay[i] = max(last, day)
	switch {
	case day <= last:
		o.dups++
	case day > last+1:
		o.countMisses(i, last+1, day-1)
	}
}

// Finish counts, for every member, the local dates after their last nudge
// whose firing came before the end, and returns the totals.
func (o *Oracle) Finish() (duplicates, misses int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range o.zone {
		o.countMisses(i, o.lastDay[i]+1, civilDay(o.end.In(o.locs[o.zone[i]])))
		o.lastDay[i] = civilDay(o.end.In(o.locs[o.zone[i]]))
	}
	return o.dups, o.misses
}

// countMisses counts member i's local dates from..to (civil days) whose firing
// fell before the end and outside downtime: each should have had a nudge.
func (o *Oracle) countMisses(i int, from, to int32) {
	loc := o.locs[o.zone[i]]
	h, mi := int(o.hm[i]/60), int(o.hm[i]%60)
	for d := from; d <= to; d++ {
		f := firingOn(d, h, mi, loc)
		if f.IsZero() || f.After(o.end) {
			continue
		}
		if !o.downFrom.IsZero() && !f.Before(o.downFrom) && f.Before(o.downTo) {
			continue
		}
		o.misses++
	}
}

// firingOn is the firing on civil day d in loc, zero when that date has none
// (a zone skipping the date).
func firingOn(d int32, hour, minute int, loc *time.Location) time.Time {
	y, mo, dd := time.Unix(int64(d)*86400, 0).UTC().Date()
	t := Next(time.Date(y, mo, dd, 0, 0, 0, 0, loc).Add(-30*time.Hour), hour, minute, loc)
	for civilDay(t.In(loc)) < d {
		t = Next(t, hour, minute, loc)
	}
	if civilDay(t.In(loc)) != d {
		return time.Time{}
	}
	return t
}

// civilDay is the day number (days since 1970-01-01) of t's date in t's
// location.
func civilDay(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}
