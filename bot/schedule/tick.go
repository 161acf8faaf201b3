package schedule

import (
	"context"
	"runtime/debug"
	"sync"
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
	RateLimited int // of Failed, refused for rate limits even after waiting

	// FirstClaim is the wall time from the tick's start to its first
	// claim's commit (Tick only): how long the minute's claim waited, which
	// another tick's sending must not lengthen.
	FirstClaim time.Duration
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
	t.RateLimited += o.RateLimited
}

// claimed is a nudge whose reschedule is committed, with the instant its
// slot came due (the claim moved Due.Nudge.Next past it), for the delay
// metric.
type claimed struct {
	due *bot.Due
	at  time.Time
}

// claim claims one batch of nudges due at now, committing their reschedule,
// and returns those to send.
func (s *Scheduler) claim(ctx context.Context, now time.Time) (all int, toSend []claimed, st TickStats, err error) {
	// The store returns the very Dues it handed fn, in the same order
	// (bot.Store), so the decisions line up by index.
	type decision struct {
		d  *bot.Due
		at time.Time
		o  nudge.Outcome
	}
	decided := make([]decision, 0, min(s.cfg.BatchSize, 1024))
	p := nudge.Decider{Grace: s.cfg.Grace}
	ds, err := s.due.ClaimDue(ctx, now, s.cfg.BatchSize, func(d *bot.Due) error {
		dec := p.Decide(nudge.Due{
			Slot: d.Nudge.Slot(), At: d.Nudge.Next, LastDate: d.Nudge.LastDate,
			DMClosed: d.DMClosed, Off: !d.Nudge.On,
		}, now)
		at := d.Nudge.Next
		d.Nudge.Next, d.Nudge.LastDate = dec.Next, dec.LastDate
		decided = append(decided, decision{d, at, dec.Outcome})
		return nil
	})
	if err != nil {
		return 0, nil, st, err
	}
	st.Due = len(ds)
	toSend = make([]claimed, 0, len(ds))
	for i, d := range ds {
		var o nudge.Outcome
		var at time.Time
		if i < len(decided) && decided[i].d == d {
			o, at = decided[i].o, decided[i].at
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
			toSend = append(toSend, claimed{d, at})
		case nudge.SkipMissed:
			st.Missed++
			s.obs.Nudge(ResultSkipped, ReasonMissed, 0)
		case nudge.SkipRepeat:
			st.Repeat++
			s.obs.Nudge(ResultSkipped, ReasonRepeat, 0)
		case nudge.SkipClosed:
			st.Closed++
			s.obs.Nudge(ResultSkipped, ReasonClosed, 0)
		case nudge.SkipOff:
			st.Off++
			s.obs.Nudge(ResultSkipped, ReasonOff, 0)
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
func (s *Scheduler) run(ctx context.Context, deliver func([]claimed)) (TickStats, error) {
	var st TickStats
	for {
		// Read the clock per batch: sending makes later members of the
		// same tick later, and the grace check should see that.
		now := s.clock.Now()
		if ok, err := s.anyDue(ctx, now); err != nil || !ok {
			return st, err
		}
		n, cs, bst, err := s.claim(ctx, now)
		st.add(bst)
		if err != nil {
			return st, err
		}
		deliver(cs)
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
	st, err := s.run(ctx, func(cs []claimed) {
		for _, c := range cs {
			out = append(out, c.due)
		}
	})
	return out, st, err
}

// Tick claims the members due at the clock's now, batch by batch, and hands
// each batch, once its reschedule is committed, to the scheduler's bounded
// pool of senders (Config.Workers, shared by every tick). It returns when
// its own nudges are sent, with the counts; early, with the counts so far,
// when ctx is done or the store fails. Failed deliveries are counted, not
// returned.
//
// A tick waits for a free sender before claiming its next batch, so claimed
// but unsent nudges (what a crash loses) stay bounded by about a batch plus
// the pool; but it never waits for another tick: the next minute's tick
// claims at once, even while this one is still sending.
func (s *Scheduler) Tick(ctx context.Context) (TickStats, error) {
	began := s.wall()
	var sends sending
	var first time.Duration
	st, err := s.run(ctx, func(cs []claimed) {
		if first == 0 {
			first = s.wall().Sub(began)
		}
		s.dispatch(ctx, &sends, cs)
	})
	st.FirstClaim = first
	sends.wg.Wait()
	st.add(sends.st)
	took := s.wall().Sub(began)
	s.obs.Tick(st.Due, took, s.cfg.SendRate, achieved(st.Sent, took))
	return st, err
}

// achieved is a send rate per second, 0 when nothing was timed.
func achieved(sent int, took time.Duration) float64 {
	if sent == 0 || took <= 0 {
		return 0
	}
	return float64(sent) / took.Seconds()
}

// sending collects one tick's deliveries as the pool finishes them.
type sending struct {
	wg sync.WaitGroup
	mu sync.Mutex
	st TickStats
}

// dispatch hands each claimed nudge to the pool, waiting for a free sender;
// once ctx is done it stops handing them out (those nudges are lost, never
// doubled).
func (s *Scheduler) dispatch(ctx context.Context, sends *sending, cs []claimed) {
	for _, c := range cs {
		select {
		case s.senders <- struct{}{}:
		case <-ctx.Done():
			return
		}
		sends.wg.Add(1)
		go func() {
			defer func() { <-s.senders; sends.wg.Done() }()
			st := s.deliverSafely(ctx, c)
			sends.mu.Lock()
			sends.st.add(st)
			sends.mu.Unlock()
		}()
	}
}

// Send delivers claimed nudges through the engine on the scheduler's pool of
// senders and returns when all are done; each adapter's Messenger paces its
// platform's requests. A member deleted, turned off or marked DMClosed since
// the claim is skipped; one whose platform refuses direct messages is marked
// DMClosed by the engine, so later ticks skip them until they use the bot
// again.
func (s *Scheduler) Send(ctx context.Context, ds []*bot.Due) TickStats {
	cs := make([]claimed, len(ds))
	for i, d := range ds {
		cs[i] = claimed{due: d}
	}
	var sends sending
	s.dispatch(ctx, &sends, cs)
	sends.wg.Wait()
	return sends.st
}

// deliverSafely is deliver on a sender goroutine, which cron's Recover does
// not cover: a panic (a rendering bug, say) fails that one nudge, logged,
// instead of the process.
func (s *Scheduler) deliverSafely(ctx context.Context, c claimed) (st TickStats) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("deliver nudge panicked", "space", c.due.Space.Key(), "member", c.due.Member, "panic", p, "stack", string(debug.Stack()))
			s.obs.Nudge(ResultFailed, ReasonPlatformError, 0)
			st = TickStats{Failed: 1}
		}
	}()
	return s.deliver(ctx, c)
}

// deliver sends one claimed nudge and counts and reports what became of it.
func (s *Scheduler) deliver(ctx context.Context, c claimed) TickStats {
	var st TickStats
	if ctx.Err() != nil {
		return st
	}
	d := c.due
	res, err := s.eng.DeliverNudge(ctx, d.Space, d.Member)
	switch res {
	case bot.Delivered:
		st.Sent++
		var delay time.Duration
		if !c.at.IsZero() {
			delay = max(0, s.clock.Now().Sub(c.at))
		}
		s.obs.Nudge(ResultSent, ReasonDelivered, delay)
	case bot.NotWanted:
		st.Off++
		s.obs.Nudge(ResultSkipped, ReasonOff, 0)
	case bot.DMsClosed:
		st.Closed++
		s.obs.Nudge(ResultSkipped, ReasonClosed, 0)
	case bot.NowClosed:
		st.Unreachable++
		s.obs.Nudge(ResultFailed, ReasonClosedDMs, 0)
	default:
		st.Failed++
		if bot.RateLimited(err) {
			st.RateLimited++
			s.obs.Nudge(ResultFailed, ReasonRateLimited, 0)
		} else {
			s.obs.Nudge(ResultFailed, ReasonPlatformError, 0)
		}
	}
	if err != nil && ctx.Err() == nil {
		s.log.Warn("deliver nudge", "space", d.Space.Key(), "member", d.Member, "err", err)
	}
	return st
}
