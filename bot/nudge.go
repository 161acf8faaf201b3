package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// DateLayout is how local dates are stored (Nudge.LastDate, Streak.Last).
const DateLayout = "2006-01-02"

// NextNudge returns the first instant strictly after after at which a clock in loc
// shows hour:minute. On a day when that local time does not exist (the clock
// springs forward over it) it is the first instant after the gap; on a day when it
// occurs twice (the clock falls back) only the first occurrence counts. A day on
// which the gap swallows the time and its whole remaining date (a zone skipping a
// day) has no nudge, so no local date ever gets two.
func NextNudge(after time.Time, hour, minute int, loc *time.Location) time.Time {
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
	var ps []period
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
		if t := wall - int64(p.offset); inside(p, t) && (!found || t < best) {
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

// NextAfter returns the member's next nudge instant strictly after after, skipping
// LastDate (the local date of the last nudge sent), so that no local date gets two
// nudges even when the member changes their time or zone after today's nudge.
// Both the scheduler and the commands pass the LastDate the store keeps with
// the member's slot, which commands set from LastDateAt.
func (n Nudge) NextAfter(after time.Time, loc *time.Location) time.Time {
	t := NextNudge(after, n.Hour, n.Minute, loc)
	if n.LastDate != "" && t.In(loc).Format(DateLayout) == n.LastDate {
		t = NextNudge(t, n.Hour, n.Minute, loc)
	}
	return t
}

// A claim moves the member's slot in the store's schedule without rewriting
// the member, so Member.Nudge.Next and LastDate are only as new as the
// member's last change of their nudge. Commands therefore work out what they
// need from the settings and the clock:
//
//   - LastDateAt: if the nudge was on and its slot today (the member's local
//     date) is at or before now, today counts as nudged, whether or not the
//     nudge was actually sent (it may have been skipped, or be about to be
//     claimed). Guessing "nudged" can cost one nudge; guessing "not nudged"
//     could send two on one date, and at most one per local date wins.
//   - Setting a nudge (nudge at) starts from that date, so a new time later
//     today waits for tomorrow once today's slot has passed.
//   - nudge status shows Next computed from the settings, now and that date
//     (NextFrom), not the stored Next, which may lie in the past.
//
// The rest of the policy is the scheduler's (bot/schedule): one nudge per
// local date, the spring-forward gap firing at its end, a repeated hour firing
// once, the grace window after downtime, the reschedule committed before the
// send, and no nudge for members with closed DMs, nudges off, or no data.
// Known gap: a nudge sent late after downtime, just past local midnight, counts
// for the new date, but LastDateAt cannot see it; setting a
// nudge for later that same date can then send a second one.

// LastDateAt returns the local date (DateLayout) of the member's last nudge as
// far as the settings and now tell: LastDate, or today in the nudge's zone when
// the nudge is on and today's slot is at or before now (see above).
func (n Nudge) LastDateAt(now time.Time) string {
	if !n.On {
		return n.LastDate
	}
	loc, err := LoadZone(n.Zone)
	if err != nil {
		loc = time.UTC
	}
	y, mo, d := now.In(loc).Date()
	slot, ok := localInstant(y, mo, d, n.Hour, n.Minute, loc)
	if !ok || slot.After(now) {
		return n.LastDate
	}
	if today := now.In(loc).Format(DateLayout); today > n.LastDate {
		return today
	}
	return n.LastDate
}

// NextFrom returns the next nudge instant after now for these settings in loc,
// counting today as nudged by the rule of LastDateAt. It is what the scheduler
// will do, without the store's due index.
func (n Nudge) NextFrom(now time.Time, loc *time.Location) time.Time {
	n.LastDate = n.LastDateAt(now)
	return n.NextAfter(now, loc)
}

// nudgeZone picks the zone for a nudge: what the member typed, else their platform
// profile's zone, else the configured default, else UTC.
func (e *Engine) nudgeZone(req *Request) (*time.Location, error) {
	for _, z := range []string{req.Args["zone"], req.Zone, e.DefaultZone} {
		if z = strings.TrimSpace(z); z != "" {
			return LoadZone(z)
		}
	}
	return time.UTC, nil
}

func (e *Engine) cmdNudgeAt(ctx context.Context, req *Request) (*Reply, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(req.Args["time"]), ":")
	hour, err1 := strconv.Atoi(hh)
	minute, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return nil, Errorf(Invalid, "%q is not a time; use HH:MM in 24-hour form, such as 08:30.", clip(req.Args["time"], 20))
	}
	loc, err := e.nudgeZone(req)
	if err != nil {
		return nil, err
	}
	now := e.now()
	m, err := e.Store.UpdateMember(ctx, req.Space, req.Member, func(m *Member) error {
		if req.Name != "" {
			m.Name = req.Name
		}
		// From the old settings, before they change: today may already be
		// nudged (see LastDateAt).
		m.Nudge.LastDate = m.Nudge.LastDateAt(now)
		m.Nudge.On = true
		m.Nudge.Hour, m.Nudge.Minute = hour, minute
		m.Nudge.Zone = loc.String()
		m.Nudge.Next = m.Nudge.NextAfter(now, loc).UTC()
		// Asking for nudges is using the bot again: try direct messages anew.
		m.DMClosed = false
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "set nudge")
	}
	r := &Reply{
		Title:  "Daily nudge set",
		Text:   []string{fmt.Sprintf("I will nudge you every day at %02d:%02d %s with your next topic.", hour, minute, m.Nudge.Zone)},
		Fields: nudgeFields(m.Nudge, loc),
		Footer: "Stop any time with: nudge off",
	}
	if req.Args["zone"] == "" && req.Zone == "" {
		r.Text = append(r.Text, fmt.Sprintf("Not your zone? Add it: nudge at %02d:%02d Europe/Berlin", hour, minute))
	}
	return r, nil
}

func nudgeFields(n Nudge, loc *time.Location) []Field {
	next := n.Next.In(loc)
	return []Field{
		{Name: "Next nudge", Value: next.Format("Mon 2 Jan 15:04 MST"), Inline: true},
		{Name: "In UTC", Value: n.Next.UTC().Format("Mon 2 Jan 15:04 UTC"), Inline: true},
	}
}

func (e *Engine) cmdNudgeOff(ctx context.Context, req *Request) (*Reply, error) {
	m, err := e.Store.Member(ctx, req.Space, req.Member)
	if ErrorCode(err) == NotFound || (err == nil && !m.Nudge.On) {
		return &Reply{Title: "No daily nudge", Text: []string{"You have no daily nudge; nothing to stop."}}, nil
	}
	if err != nil {
		return nil, Wrap(err, "read member")
	}
	now := e.now()
	_, err = e.Store.UpdateMember(ctx, req.Space, req.Member, func(m *Member) error {
		// Keep whether today was nudged (LastDateAt reads the settings, which
		// this turns off): "nudge at" later today must not send a second one.
		m.Nudge.LastDate = m.Nudge.LastDateAt(now)
		m.Nudge.On = false
		m.Nudge.Next = time.Time{}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "stop nudge")
	}
	return &Reply{
		Title: "Daily nudge stopped",
		Text:  []string{"No more nudges. Start again with: nudge at 08:30"},
	}, nil
}

func (e *Engine) cmdNudgeStatus(ctx context.Context, req *Request) (*Reply, error) {
	m, err := e.Store.Member(ctx, req.Space, req.Member)
	if ErrorCode(err) == NotFound || (err == nil && !m.Nudge.On) {
		return &Reply{Title: "No daily nudge", Text: []string{"Nudges are off. Get one every day with: nudge at 08:30 Europe/Berlin"}}, nil
	}
	if err != nil {
		return nil, Wrap(err, "read member")
	}
	loc, err := LoadZone(m.Nudge.Zone)
	if err != nil {
		loc = time.UTC
	}
	// The stored Next lags once the scheduler has claimed the member; compute.
	n := m.Nudge
	n.Next = n.NextFrom(e.now(), loc).UTC()
	r := &Reply{
		Title:  "Your daily nudge",
		Text:   []string{fmt.Sprintf("Every day at %02d:%02d %s.", m.Nudge.Hour, m.Nudge.Minute, loc)},
		Fields: nudgeFields(n, loc),
	}
	if m.DMClosed {
		r.Text = append(r.Text, "I could not send you a direct message last time, so nudges are paused. Allow direct messages from this server, then set your nudge again.")
	}
	return r, nil
}

// NudgeReply is the daily nudge for a member: their next topic with its summary,
// one resource, buttons to mark it, and their streak. The scheduler sends it.
func (e *Engine) NudgeReply(m *Member) *Reply {
	res := e.Roadmap.Next(m)
	r := &Reply{Footer: "Stop these with: nudge off"}
	switch {
	case res.Topic != nil:
		t := res.Topic
		r.Title = "Today: " + t.Title
		if m.Status(t.ID) == roadmap.Learning {
			r.Title = "Keep going: " + t.Title
		}
		if t.Summary != "" {
			r.Text = append(r.Text, t.Summary)
		}
		if res := pickResource(t.Resources); res != nil {
			r.Links = []Link{{Title: res.Title, URL: res.URL, Kind: res.Kind}}
		}
		r.Buttons = []Button{
			{Label: "Done", Action: Action("done", t.ID), Style: Success},
			{Label: "Learning", Action: Action("start", t.ID), Style: Primary},
			{Label: "Skip", Action: Action("skip", t.ID), Style: Secondary},
		}
	case res.Pick != nil:
		p := res.Pick
		r.Title = "Time to choose: " + p.Title
		names := make([]string, len(p.Options))
		for i, o := range p.Options {
			names[i] = roadmap.OptionName(o)
			if t := e.Roadmap.Topic(o); t != nil {
				names[i] = t.Title + " (" + roadmap.OptionName(o) + ")"
			}
		}
		r.Text = append(r.Text, "Your next step is a choice. Options: "+strings.Join(names, ", ")+".")
		example := p.Options[0]
		if res.Suggested != "" {
			example = res.Suggested
			r.Text = append(r.Text, "Your earlier picks suggest "+roadmap.OptionName(res.Suggested)+".")
		}
		r.Text = append(r.Text, fmt.Sprintf("Choose with: pick %s %s", p.ID, roadmap.OptionName(example)))
	default:
		r.Title = "You finished the roadmap"
		r.Text = append(r.Text, "Every topic on your path is done or skipped. Well done! Turn these off with: nudge off")
	}
	r.Fields = append(r.Fields, Field{Name: "Streak", Value: streakText(m.Streak.Days), Inline: true})
	return r
}

func streakText(days int) string {
	if days == 1 {
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}

// pickResource chooses the one resource a nudge shows: the first official one,
// else the first.
func pickResource(rs []roadmap.Resource) *roadmap.Resource {
	for i := range rs {
		if rs[i].Kind == "official" {
			return &rs[i]
		}
	}
	if len(rs) > 0 {
		return &rs[0]
	}
	return nil
}
