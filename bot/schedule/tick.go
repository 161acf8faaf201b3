package schedule

import (
	"context"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/nudge"
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

// claim claims one batch of nudges due at now, committing their reschedule,
// and returns those to send.
func (s *Scheduler) claim(ctx context.Context, now time.Time) (all int, toSend []*bot.Due, st TickStats, err error) {
	// The store returns the very Dues it handed fn, in the same order
	// (bot.Store), so the decisions line up by index.
	type decision struct {
		d *bot.Due
		o nudge.Outcome
	}
	decided := make([]decision, 0, min(s.cfg.BatchSize, 1024))
	p := nudge.Decider{Grace: s.cfg.Grace}
	ds, err := s.due.ClaimDue(ctx, now, s.cfg.BatchSize, func(d *bot.Due) error {
		dec := p.Decide(nudge.Due{
			Slot: d.Nudge.Slot(), At: d.Nudge.Next, LastDate: d.Nudge.LastDate,
			DMClosed: d.DMClosed, Off: !d.Nudge.On,
		}, now)
		d.Nudge.Next, d.Nudge.LastDate = dec.Next, dec.LastDate
		decided = append(decided, decision{d, dec.Outcome})
		return nil
	})
	if err != nil {
		return 0, nil, st, err
	}
	st.Due = len(ds)
	toSend = ds[:0:0]
	for i, d := range ds {
		var o nudge.Outcome
		if i < len(decided) && decided[i].d == d {
			o = decided[i].o
		} else {
			// Not what the store promised; not sending is the at-most-once side.
			s.log.Error("claimed nudge without a decision", "space", d.Space.Key(), "member", d.Member)
			o = nudge.SkipRepeat
		}
		switch o {
		case nudge.Send, nudge.SendLate:
			if o == nudge.SendLate {
				st.Late++
			}
			toSend = append(toSend, d)
		case nudge.SkipMissed:
			st.Missed++
		case nudge.SkipRepeat:
			st.Repeat++
		case nudge.SkipClosed:
			st.Closed++
		case nudge.SkipOff:
			st.Off++
		}
	}
	return len(ds), toSend, st, nil
}

// anyDue reports whether any member is due at now: a read, so that a quiet minute
// costs no write transaction (and no fsync).
func (s *Scheduler) anyDue(ctx context.Context, now time.Time) (bool, error) {
	next, err := s.due.NextDue(ctx)
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
		if ok, err := s.anyDue(ctx, now); err != nil || !ok {
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

// Send delivers claimed nudges through the engine, one after another; each
// adapter's Messenger paces its platform's requests (one knob per platform).
// A member deleted, turned off or marked DMClosed since the claim is skipped;
// one whose platform refuses direct messages is marked DMClosed by the
// engine, so later ticks skip them until they use the bot again.
func (s *Scheduler) Send(ctx context.Context, ds []*bot.Due) TickStats {
	var st TickStats
	for _, d := range ds {
		if ctx.Err() != nil {
			return st
		}
		res, err := s.eng.DeliverNudge(ctx, d.Space, d.Member)
		switch res {
		case bot.Delivered:
			st.Sent++
		case bot.NotWanted:
			st.Off++
		case bot.DMsClosed:
			st.Closed++
		case bot.NowClosed:
			st.Unreachable++
		default:
			st.Failed++
		}
		if err != nil {
			s.log.Warn("deliver nudge", "space", d.Space.Key(), "member", d.Member, "err", err)
		}
	}
	return st
}
