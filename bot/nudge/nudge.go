// Package nudge answers "when's next" for daily nudges, as roadmap answers
// "what's next": the pure policy over a member's local time, their zone and the
// clock. It imports nothing of ours, so the engine (bot), the store and the
// scheduler (bot/schedule) all apply the same rules:
//
//   - at most one nudge per member per local date;
//   - a local time that does not exist on a day (spring forward) fires at the
//     first instant after the gap; a repeated one (fall back) fires once;
//   - after downtime, a nudge missed by up to a grace window is sent once, an
//     older one is skipped and the member rescheduled;
//   - the reschedule is committed before the send (the caller's part): a crash
//     can lose a nudge, never double it.
//
// The facts (each slot's next instant, each member's last nudge date where it
// differs from their slot's) are the store's; this package only computes.
package nudge

import (
	"strings"
	"sync"
	"time"
)

// DateLayout is how local dates are written (a member's last nudge date,
// streak days).
const DateLayout = "2006-01-02"

// DefaultGrace is how late a nudge may still go out after downtime.
const DefaultGrace = 2 * time.Hour

// Slot is what members due at the same instants share: a local time of day
// and an IANA zone ("" means UTC).
type Slot struct {
	Hour, Minute int
	Zone         string
}

// zones caches loaded locations: time.LoadLocation parses tzdata on every
// call (~15 µs and 5 KB), and members, claims and commands ask for the same
// few zones all day. It is bounded because names come from members.
var zones struct {
	sync.RWMutex
	m map[string]*time.Location
}

const maxZones = 1000

// Location loads an IANA zone by its exact name through the one cache every
// caller shares. "" and "UTC" are UTC. ok is false for an unknown name, and for
// "Local", which would mean the server's zone rather than a member's.
func Location(name string) (loc *time.Location, ok bool) {
	if name == "" || name == "UTC" {
		return time.UTC, true
	}
	zones.RLock()
	loc, ok = zones.m[name]
	zones.RUnlock()
	if ok {
		return loc, true
	}
	if name == "Local" || strings.ContainsAny(name, " \\") || strings.Contains(name, "..") {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Lock()
	if zones.m == nil || len(zones.m) >= maxZones {
		zones.m = map[string]*time.Location{}
	}
	zones.m[name] = loc
	zones.Unlock()
	return loc, true
}

// Loc is Location with UTC for an unknown name: stored slots were valid when
// they were set, and a zone that disappears from tzdata must not stop nudges.
func (s Slot) Loc() *time.Location {
	if loc, ok := Location(s.Zone); ok {
		return loc
	}
	return time.UTC
}

// Next returns the first instant strictly after after at which a clock in loc
// shows hour:minute. On a day when that local time does not exist (the clock
// springs forward over it) it is the first instant after the gap; on a day when
// it occurs twice (the clock falls back) only the first occurrence counts. A day
// on which the gap swallows the time and its whole remaining date (a zone
// skipping a day) has no nudge, so no local date ever gets two.
func Next(after time.Time, hour, minute int, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := after.In(loc).Date()
	// Local dates never run backwards (a fall-back repeats an hour of the same
	// date), so the answer is on after's local date or one of the next few.
	for i := 0; i <= 3; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		t, ok := localInstant(day.Year(), day.Month(), day.Day(), hour, minute, loc)
		if ok && t.After(after) {
			return t
		}
	}
	// Unreachable for real zones (no zone skips four days); keep a sane answer.
	return after.Add(24 * time.Hour).Truncate(time.Minute)
}

// Prev returns the latest firing instant strictly before t, zero if there is
// none in the two days before it.
func Prev(t time.Time, hour, minute int, loc *time.Location) time.Time {
	var last time.Time
	for f := Next(t.Add(-49*time.Hour), hour, minute, loc); f.Before(t); f = Next(f, hour, minute, loc) {
		last = f
	}
	return last
}

// LastAt is the latest firing instant at or before now, zero if none in the
// last two days.
func LastAt(now time.Time, hour, minute int, loc *time.Location) time.Time {
	return Prev(now.Add(time.Nanosecond), hour, minute, loc)
}

// localInstant is the first instant at which loc's clock shows hour:minute on the
// given date, or the end of the gap when the clock skips that time. ok is false
// when the gap ends on another date.
func localInstant(y int, mo time.Month, d, hour, minute int, loc *time.Location) (time.Time, bool) {
	wall := time.Date(y, mo, d, hour, minute, 0, 0, time.UTC).Unix() // the wall clock read as UTC
	// An instant showing wall is wall-offset for some offset in effect within
	// ±15h of it; walk the zone periods overlapping that window.
	const span = 15 * 3600
	type period struct {
		start, end int64 // unix seconds, end exclusive; 0 means unbounded
		offset     int64
	}
	var buf [4]period
	ps := buf[:0]
	for t := wall - span; t <= wall+span; {
		at := time.Unix(t, 0).In(loc)
		_, off := at.Zone()
		start, end := at.ZoneBounds()
		p := period{offset: int64(off)}
		if !start.IsZero() {
			p.start = start.Unix()
		}
		if !end.IsZero() {
			p.end = end.Unix()
		}
		ps = append(ps, p)
		if end.IsZero() || end.Unix() <= t {
			break
		}
		t = end.Unix()
	}
	inside := func(p period, t int64) bool {
		return (p.start == 0 || t >= p.start) && (p.end == 0 || t < p.end)
	}
	best, found := int64(0), false
	for _, p := range ps {
		if t := wall - p.offset; inside(p, t) && (!found || t < best) {
			best, found = t, true
		}
	}
	if found {
		return time.Unix(best, 0).In(loc), true
	}
	// A gap: find the transition whose skipped wall-clock range holds wall.
	for i := 0; i+1 < len(ps); i++ {
		tr := ps[i].end
		if tr == 0 {
			continue
		}
		before, after := ps[i].offset, ps[i+1].offset
		if after > before && tr+before <= wall && wall < tr+after {
			t := time.Unix(tr, 0).In(loc)
			ty, tm, td := t.Date()
			return t, ty == y && tm == mo && td == d
		}
	}
	return time.Time{}, false
}

// NextAfter is the slot's next firing strictly after after, skipping lastDate
// (the member's local date of their last nudge), so that no local date gets
// two nudges even when a member changes their time or zone after today's.
func (s Slot) NextAfter(after time.Time, lastDate string) time.Time {
	loc := s.Loc()
	t := Next(after, s.Hour, s.Minute, loc)
	if lastDate != "" && t.In(loc).Format(DateLayout) == lastDate {
		t = Next(t, s.Hour, s.Minute, loc)
	}
	return t.UTC()
}

// LastDate is a member's last nudge date from the store's facts: recorded,
// their own date where the store keeps one, and due, the instant their slot
// comes due next (zero when it has no schedule). The slot fired last at the
// firing before due, so that firing's local date counts as nudged (it may have
// been skipped, or the member may have joined the slot after it: counting it
// can cost one nudge, not counting it could send two on one date, and at most
// one per local date wins). The later of the two dates is the answer.
func (s Slot) LastDate(due time.Time, recorded string) string {
	if due.IsZero() {
		return recorded
	}
	loc := s.Loc()
	prev := Prev(due, s.Hour, s.Minute, loc)
	if prev.IsZero() {
		return recorded
	}
	if d := prev.In(loc).Format(DateLayout); d > recorded {
		return d
	}
	return recorded
}
