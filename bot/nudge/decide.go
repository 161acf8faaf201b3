package nudge

import "time"

// Outcome is what the policy decides for one due nudge.
type Outcome int

// Outcomes of Decide.
const (
	Send       Outcome = iota // on time
	SendLate                  // late after downtime, within grace
	SkipMissed                // due longer ago than grace
	SkipRepeat                // the member was already nudged on this local date
	SkipClosed                // the member's direct messages are closed
	SkipOff                   // the nudge was turned off
)

// Sends reports whether the outcome delivers a nudge.
func (o Outcome) Sends() bool { return o == Send || o == SendLate }

// Due is one member's due nudge as the store's schedule has it.
type Due struct {
	Slot     Slot
	At       time.Time // the instant their slot came due
	LastDate string    // their own last nudge date where it differs from the slot's
	DMClosed bool
	Off      bool
}

// Decision is Decide's answer: the outcome, where the member's schedule moves
// (zero turns the nudge off) and the last nudge date to keep with them.
type Decision struct {
	Outcome  Outcome
	Next     time.Time
	LastDate string
}

// Decider applies the policy to due nudges at one instant after another. It
// remembers the last slot it saw: members come slot by slot, and everyone in
// a slot shares the zone, today's date and the next instant, so a normal
// minute's ~700 members cost a few time zone computations instead of three
// each. A Decider is not safe for concurrent use; the zero value uses
// DefaultGrace.
type Decider struct {
	Grace time.Duration
	memo  memo
}

type memo struct {
	now      time.Time
	slot     Slot
	loc      *time.Location
	today    string
	next     time.Time // Next(now, slot) in UTC
	nextDate string    // its local date
	valid    bool
	zoneOK   bool
}

// Decide applies the policy to d at now.
func (p *Decider) Decide(d Due, now time.Time) Decision {
	if d.Off {
		return Decision{Outcome: SkipOff}
	}
	grace := p.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	m := p.update(d.Slot, now)
	late := now.Sub(d.At)
	if late > grace {
		// Down for longer than grace: today's firing may still be recent
		// enough even though the stored one is not.
		if last := LastAt(now, d.Slot.Hour, d.Slot.Minute, m.loc); !last.IsZero() && now.Sub(last) <= grace {
			late = now.Sub(last)
		}
	}
	var o Outcome
	switch {
	case d.DMClosed:
		// Keep rescheduling (one write a day) so nudges resume by themselves
		// once the member uses the bot again.
		o = SkipClosed
	case d.LastDate == m.today:
		o = SkipRepeat
	case late > grace:
		o = SkipMissed
	case late >= time.Minute:
		o = SendLate
	default:
		o = Send
	}
	last := d.LastDate
	if o.Sends() {
		last = m.today
	}
	next := m.next
	if last != "" && last == m.nextDate {
		next = d.Slot.NextAfter(now, last) // skips a date already nudged
	}
	return Decision{Outcome: o, Next: next, LastDate: last}
}

func (p *Decider) update(s Slot, now time.Time) *memo {
	m := &p.memo
	if m.valid && m.now.Equal(now) && m.slot == s {
		return m
	}
	if !m.valid || !m.now.Equal(now) || m.slot.Zone != s.Zone {
		m.loc = s.Loc()
		m.today = now.In(m.loc).Format(DateLayout)
	}
	m.now, m.slot, m.valid = now, s, true
	next := Next(now, s.Hour, s.Minute, m.loc)
	m.next, m.nextDate = next.UTC(), next.In(m.loc).Format(DateLayout)
	return m
}
