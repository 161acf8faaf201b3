package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/studybot/studybot/bot/nudge"
	"github.com/studybot/studybot/roadmap"
)

// DateLayout is how local dates are stored (Nudge.LastDate, Streak.Last).
const DateLayout = nudge.DateLayout

// Slot is the part of the settings the member shares with everyone due at the
// same instants.
func (n Nudge) Slot() nudge.Slot { return nudge.Slot{Hour: n.Hour, Minute: n.Minute, Zone: n.Zone} }

// nudgeZone picks the zone for a nudge: what the member typed, else their platform
// profile's zone, else the configured default, else UTC.
func (e *Engine) nudgeZone(req *Request, set string) (*time.Location, error) {
	for _, z := range []string{req.Args["zone"], set, req.Zone, e.DefaultZone} {
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
		return nil, Errorf(Invalid, "%q is not a time; use HH:MM in 24-hour form, such as 08:30.", Clip(req.Args["time"], 20))
	}
	// Checked before the write, so a bad zone changes nothing; the zone the
	// member set (nudge zone) is read in the write, below.
	if _, err := e.nudgeZone(req, ""); err != nil {
		return nil, err
	}
	now := e.now()
	var loc *time.Location
	hadZone := false
	m, err := e.update(ctx, req, func(m *Member) error {
		hadZone = m.Nudge.Zone != ""
		var err error
		if loc, err = e.nudgeZone(req, m.Nudge.Zone); err != nil {
			return err
		}
		// The store gives Nudge.LastDate as its schedule has it in this very
		// transaction (a nudge sent late after local midnight included), so
		// a new time later on a date already nudged waits for the next date.
		m.Nudge.On = true
		m.Nudge.Hour, m.Nudge.Minute = hour, minute
		m.Nudge.Zone = loc.String()
		m.Nudge.Next = m.Nudge.Slot().NextAfter(now, m.Nudge.LastDate)
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
	if req.Args["zone"] == "" && req.Zone == "" && !hadZone {
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

// cmdNudgeZone sets the member's time zone, for streak days and for their
// nudge, without turning a nudge on; a nudge that is on moves with it.
func (e *Engine) cmdNudgeZone(ctx context.Context, req *Request) (*Reply, error) {
	loc, err := LoadZone(req.Args["zone"])
	if err != nil {
		return nil, err
	}
	now := e.now()
	m, err := e.update(ctx, req, func(m *Member) error {
		m.Nudge.Zone = loc.String()
		if m.Nudge.On {
			m.Nudge.Next = m.Nudge.Slot().NextAfter(now, m.Nudge.LastDate)
		}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "set zone")
	}
	r := &Reply{
		Title: "Your time zone is " + loc.String(),
		Text:  []string{"Streak days are counted in it: " + now.In(loc).Format("Mon 2 Jan 15:04") + " there now."},
	}
	if m.Nudge.On {
		r.Text = append(r.Text, fmt.Sprintf("Your daily nudge stays at %02d:%02d, now in %s.", m.Nudge.Hour, m.Nudge.Minute, loc))
		r.Fields = nudgeFields(m.Nudge, loc)
	} else {
		r.Footer = "No nudge is on; get one with: nudge at 08:30"
	}
	return r, nil
}

func (e *Engine) cmdNudgeOff(ctx context.Context, req *Request) (*Reply, error) {
	_, err := e.update(ctx, req, func(m *Member) error {
		if !m.Nudge.On {
			return errNoNudge // nothing to stop, and no record to create
		}
		// Nudge.LastDate stays: it is the schedule's as of this transaction,
		// so "nudge at" later today does not send a second one.
		m.Nudge.On = false
		m.Nudge.Next = time.Time{}
		return nil
	})
	if errors.Is(err, errNoNudge) {
		return &Reply{Title: "No daily nudge", Text: []string{"You have no daily nudge; nothing to stop."}}, nil
	}
	if err != nil {
		return nil, Wrap(err, "stop nudge")
	}
	return &Reply{
		Title: "Daily nudge stopped",
		Text:  []string{"No more nudges. Start again with: nudge at 08:30"},
	}, nil
}

func (e *Engine) cmdNudgeStatus(ctx context.Context, req *Request) (*Reply, error) {
	// A plain read: the engine touches the member after this reply (see
	// TouchAfter), so a closed-DMs note still shows once.
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
	// Next is the store's schedule as of this read. A slot overdue since
	// before now (the bot was down, or the tick has not run yet this minute)
	// moves to its next firing at the coming claim: show that one.
	n := m.Nudge
	if now := e.now(); !n.Next.After(now) {
		n.Next = n.Slot().NextAfter(now, n.LastDate)
	}
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

// Delivery is what DeliverNudge did with one claimed nudge.
type Delivery int

// Deliveries.
const (
	Delivered Delivery = iota
	NotWanted          // nudges turned off, or the member deleted (or gone from the platform) since the claim
	DMsClosed          // the member's direct messages were already marked closed
	NowClosed          // the platform refused: the member is now marked DMClosed
	NotSent            // reading the member or sending failed; the error says why
)

// DeliverNudge sends a claimed nudge: it reads the member, renders their
// nudge and sends it through the Messenger. A member whose platform refuses
// direct messages is marked DMClosed through the engine's one member write
// path, so later nudges skip them until they use the bot again. The error,
// with NotSent, is for the caller's log.
func (e *Engine) DeliverNudge(ctx context.Context, sp Space, id string) (Delivery, error) {
	m, err := e.Store.Member(ctx, sp, id)
	switch {
	case ErrorCode(err) == NotFound || err == nil && !m.Nudge.On:
		return NotWanted, nil
	case err != nil:
		return NotSent, Wrap(err, "read member for nudge")
	case m.DMClosed:
		return DMsClosed, nil
	case e.Messenger == nil:
		return NotSent, Errorf(Internal, "No messenger is set to deliver nudges.")
	}
	rec, err := e.Store.Space(ctx, sp)
	if err != nil {
		return NotSent, Wrap(err, "read space for nudge")
	}
	st, err := e.followed(ctx, rec, m)
	if err != nil {
		return NotSent, err
	}
	r := st.nudgeReply(m)
	if t, _ := st.dueReview(st.trackOf(m), e.now().In(e.zone(m)).Format(DateLayout)); t != nil {
		r.Text = append(r.Text, "Also due for review: "+t.Title+" (review next).")
	}
	err = e.Messenger.Direct(ctx, sp, id, r)
	switch ErrorCode(err) {
	case "":
		return Delivered, nil
	case Unreachable:
		_, uerr := e.writeMember(ctx, sp, id, func(m *Member) error {
			if !m.Nudge.On {
				return errNoNudge // off or deleted meanwhile: nothing to mark, no record to create
			}
			m.DMClosed = true
			return nil
		})
		if uerr != nil && !errors.Is(uerr, errNoNudge) {
			return NowClosed, fmt.Errorf("mark DMs closed: %w", uerr)
		}
		return NowClosed, nil
	case Gone:
		// The platform says this member is gone (Discord: unknown member or
		// user), which no other failure means: clean up when first met, so
		// they leave the leaderboard and the schedule instead of failing
		// every day.
		if derr := e.Store.DeleteMember(ctx, sp, id); derr != nil {
			return NotSent, fmt.Errorf("clean up a member the platform does not know: %w", derr)
		}
		e.log().Info("member gone: their data is removed", "space", sp.Key(), "member", id, "err", err)
		return NotWanted, nil
	}
	return NotSent, err
}

var errNoNudge = errors.New("member has no nudge")

// NudgeReply is the daily nudge for a member on the built-in roadmap; see
// nudgeReply.
func (e *Engine) NudgeReply(m *Member) *Reply {
	return study{BuiltinRoadmap, e.Roadmap}.nudgeReply(m)
}

// nudgeReply is the daily nudge for a member: their next topic on the
// roadmap they follow, with its summary, one resource, buttons to mark it,
// and their streak. The scheduler sends it.
func (s study) nudgeReply(m *Member) *Reply {
	tr := s.trackOf(m)
	res := s.rm.Next(tr)
	r := &Reply{Footer: "Stop these with: nudge off"}
	switch {
	case res.Topic != nil:
		t := res.Topic
		r.Title = "Today: " + t.Title
		if tr.Status(t.ID) == roadmap.Learning {
			r.Title = "Keep going: " + t.Title
		}
		if t.Summary != "" {
			r.Text = append(r.Text, t.Summary)
		}
		if res := pickResource(t.Resources); res != nil {
			r.Links = []Link{{Title: res.Title, URL: res.URL, Kind: res.Kind}}
		}
		r.Buttons = []Button{
			{Label: "Done", Action: Action("done", t.ID), Style: ButtonSuccess},
			{Label: "Learning", Action: Action("start", t.ID), Style: ButtonPrimary},
			{Label: "Skip", Action: Action("skip", t.ID), Style: ButtonSecondary},
		}
	case res.Pick != nil:
		p := res.Pick
		r.Title = "Time to choose: " + p.Title
		names := make([]string, len(p.Options))
		for i, o := range p.Options {
			names[i] = roadmap.OptionName(o)
			if t := s.rm.Topic(o); t != nil {
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
