package schedule

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/studybot/studybot/bot"
)

// TickStats counts what one tick did.
type TickStats struct {
	Due         int // nudges claimed and rescheduled
	Sent        int // nudges delivered
	Late        int // of Sent, delivered after their time (within grace)
	Missed      int // skipped: due longer ago than the grace window
	Repeat      int // skipped: already nudged on the member's local date
	Closed      int // skipped: the member's direct messages are closed
	Off         int // skipped: nudges turned off, or the member deleted, since the claim
	Unreachable int // delivery refused; the member is now marked DMClosed
	Failed      int // delivery failed otherwise
}

func (t *TickStats) add(o TickStats) {
	t.Due += o.Due
	t.Sent += o.Sent
	t.Late += o.Late
	t.Missed += o.Missed
	t.Repeat += o.Repeat
	t.Closed += o.Closed
	t.Off += o.Off
	t.Unreachable += o.Unreachable
	t.Failed += o.Failed
}

// outcome is what the policy decided for one claimed nudge.
type outcome int

const (
	send outcome = iota
	sendLate
	skipMissed
	skipRepeat
	skipClosed
	skipOff
)

// decide applies the nudge policy to a due nudge at now and reschedules it:
// the caller commits the change before anything is sent. d.Nudge.LastDate is
// the member's as of their last change of slot (see bot.Due).
//
// m carries what the previous member of the claim computed: members come
// slot by slot, and everyone in a slot shares the zone, today's date and the
// next instant, so a normal minute's ~700 members cost a few time zone
// computations instead of three each.
func (s *Scheduler) decide(d *bot.Due, now time.Time, m *slotMemo) outcome {
	n := &d.Nudge
	if !n.On {
		n.Next = time.Time{}
		return skipOff
	}
	m.update(s, n, now)
	loc, today := m.loc, m.today
	late := now.Sub(n.Next)
	if late > s.cfg.Grace {
		// Down for longer than grace: today's slot may still be recent enough
		// even though the stored one is not.
		if last := lastSlot(now, n.Hour, n.Minute, loc); !last.IsZero() && now.Sub(last) <= s.cfg.Grace {
			late = now.Sub(last)
		}
	}
	var o outcome
	switch {
	case d.DMClosed:
		// Keep rescheduling (one write a day) so nudges resume by themselves
		// once the member uses the bot again and DMClosed is cleared.
		o = skipClosed
	case n.LastDate == today:
		o = skipRepeat
	case late > s.cfg.Grace:
		o = skipMissed
	case late >= time.Minute:
		o = sendLate
	default:
		o = send
	}
	if o == send || o == sendLate {
		n.LastDate = today
	}
	if n.LastDate != "" && n.LastDate == m.nextDate {
		n.Next = n.NextAfter(now, loc).UTC() // skips a date already nudged
	} else {
		n.Next = m.next // = n.NextAfter(now, loc)
	}
	return o
}

// slotMemo is decide's memo of the last slot it saw at one instant.
type slotMemo struct {
	now          time.Time
	zone         string
	loc          *time.Location
	today        string
	hour, minute int
	next         time.Time // bot.NextNudge(now, hour, minute, loc), in UTC
	nextDate     string    // its local date
	valid        bool
}

func (m *slotMemo) update(s *Scheduler, n *bot.Nudge, now time.Time) {
	if m.valid && m.now.Equal(now) && m.zone == n.Zone && m.hour == n.Hour && m.minute == n.Minute {
		return
	}
	if !m.valid || !m.now.Equal(now) || m.zone != n.Zone {
		m.zone, m.loc = n.Zone, s.zone(n.Zone)
		m.today = now.In(m.loc).Format(bot.DateLayout)
	}
	m.now, m.hour, m.minute, m.valid = now, n.Hour, n.Minute, true
	next := bot.NextNudge(now, n.Hour, n.Minute, m.loc)
	m.next, m.nextDate = next.UTC(), next.In(m.loc).Format(bot.DateLayout)
}

// lastSlot is the latest nudge instant at or before now, zero if none in the
// last two days.
func lastSlot(now time.Time, hour, minute int, loc *time.Location) time.Time {
	var last time.Time
	for t := bot.NextNudge(now.Add(-49*time.Hour), hour, minute, loc); !t.After(now); t = bot.NextNudge(t, hour, minute, loc) {
		last = t
	}
	return last
}

// claim claims one batch of nudges due at now, committing their reschedule,
// and returns those to send.
func (s *Scheduler) claim(ctx context.Context, now time.Time) (all int, toSend []*bot.Due, st TickStats, err error) {
	// The store returns the very Dues it handed fn, in the same order
	// (bot.Store), so the decisions line up by index.
	type decision struct {
		d *bot.Due
		o outcome
	}
	decided := make([]decision, 0, min(s.cfg.BatchSize, 1024))
	var memo slotMemo
	ds, err := s.store.ClaimDue(ctx, now, s.cfg.BatchSize, func(d *bot.Due) error {
		decided = append(decided, decision{d, s.decide(d, now, &memo)})
		return nil
	})
	if err != nil {
		return 0, nil, st, err
	}
	st.Due = len(ds)
	toSend = ds[:0:0]
	for i, d := range ds {
		var o outcome
		if i < len(decided) && decided[i].d == d {
			o = decided[i].o
		} else {
			// Not what the store promised; not sending is the at-most-once side.
			s.log.Error("claimed nudge without a decision", "space", d.Space.Key(), "member", d.Member)
			o = skipRepeat
		}
		switch o {
		case send, sendLate:
			if o == sendLate {
				st.Late++
			}
			toSend = append(toSend, d)
		case skipMissed:
			st.Missed++
		case skipRepeat:
			st.Repeat++
		case skipClosed:
			st.Closed++
		case skipOff:
			st.Off++
		}
	}
	return len(ds), toSend, st, nil
}

// due reports whether any member is due at now: a read, so that a quiet minute
// costs no write transaction (and no fsync).
func (s *Scheduler) due(ctx context.Context, now time.Time) (bool, error) {
	next, err := s.store.NextDue(ctx)
	if err != nil {
		return false, err
	}
	return !next.IsZero() && !next.After(now), nil
}

// run claims batches of members due at the clock's now until none is left,
// calling deliver after each batch's reschedule is committed.
func (s *Scheduler) run(ctx context.Context, deliver func([]*bot.Due) TickStats) (TickStats, error) {
	var st TickStats
	for {
		// Read the clock per batch: a long paced send makes later members of
		// the same tick later, and the grace check should see that.
		now := s.clock.Now()
		if ok, err := s.due(ctx, now); err != nil || !ok {
			return st, err
		}
		n, ds, bst, err := s.claim(ctx, now)
		st.add(bst)
		if err != nil {
			return st, err
		}
		st.add(deliver(ds))
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if n == 0 {
			return st, nil // only stale index entries, now repaired
		}
	}
}

// Claim is the first half of a tick, for tests and benchmarks: it claims every
// nudge due at the clock's now and commits their reschedule, and returns those
// that should now be sent, without sending. A crash after Claim loses those
// nudges; it can never double them.
func (s *Scheduler) Claim(ctx context.Context) ([]*bot.Due, TickStats, error) {
	var out []*bot.Due
	st, err := s.run(ctx, func(ds []*bot.Due) TickStats {
		out = append(out, ds...)
		return TickStats{}
	})
	return out, st, err
}

// Tick claims the members due at the clock's now, batch by batch, and sends
// each batch after its reschedule is committed. A minute with nobody due costs
// one read. It returns early, with the counts so far, when ctx is done or the
// store fails; failed deliveries are counted, not returned.
func (s *Scheduler) Tick(ctx context.Context) (TickStats, error) {
	return s.run(ctx, func(ds []*bot.Due) TickStats { return s.Send(ctx, ds) })
}

// errNoNudge stops marking a member who no longer wants nudges (or was deleted:
// UpdateMember would otherwise create an empty record).
var errNoNudge = errors.New("member has no nudge")

// Send delivers claimed nudges, paced at Config.SendRate. Each member's record
// is read to build the nudge (their next topic and streak); a member deleted,
// turned off or marked DMClosed since the claim is skipped. A member whose
// platform refuses direct messages is marked DMClosed, so later ticks skip them
// until they use the bot again.
func (s *Scheduler) Send(ctx context.Context, ds []*bot.Due) TickStats {
	var st TickStats
	var gap time.Duration
	if !math.IsInf(s.cfg.SendRate, 1) {
		gap = time.Duration(float64(time.Second) / s.cfg.SendRate)
	}
	for i, d := range ds {
		if i > 0 && gap > 0 {
			if err := bot.Sleep(ctx, gap); err != nil {
				return st
			}
		}
		if ctx.Err() != nil {
			return st
		}
		m, err := s.store.Member(ctx, d.Space, d.Member)
		switch {
		case bot.ErrorCode(err) == bot.NotFound || err == nil && !m.Nudge.On:
			st.Off++
			continue
		case err != nil:
			st.Failed++
			s.log.Warn("read member for nudge", "space", d.Space.Key(), "member", d.Member, "err", err)
			continue
		case m.DMClosed:
			st.Closed++
			continue
		}
		err = s.msg.Direct(ctx, d.Space, d.Member, s.eng.NudgeReply(m))
		switch bot.ErrorCode(err) {
		case "":
			st.Sent++
		case bot.Unreachable:
			st.Unreachable++
			// A rare write: it changes the nudges record's DMClosed and leaves
			// the schedule where the claim put it.
			_, uerr := s.store.UpdateMember(ctx, d.Space, d.Member, func(m *bot.Member) error {
				if !m.Nudge.On {
					return errNoNudge
				}
				m.DMClosed = true
				return nil
			})
			if uerr != nil && !errors.Is(uerr, errNoNudge) {
				s.log.Error("mark DMs closed", "space", d.Space.Key(), "member", d.Member, "err", uerr)
			}
		default:
			st.Failed++
			s.log.Warn("send nudge", "space", d.Space.Key(), "member", d.Member, "err", err)
		}
	}
	return st
}
