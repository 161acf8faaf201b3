package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// ActiveWindow is how recently a member must have used the bot to count towards
// the group's frontier topic.
const ActiveWindow = 14 * 24 * time.Hour

// NextRunner is implemented by challenge schedulers that can tell when a space's
// schedule fires next; `challenge list` shows it when available.
type NextRunner interface {
	NextRun(sp Space) time.Time
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// FriendlySchedule reads the friendly weekly form "MON 09:00" (three-letter or
// full day names, any case; 24-hour time) and returns the five cron fields
// ("0 9 * * 1"). ok is false when when does not start with a day name (it may be
// a cron spec); err, an Invalid error, explains a malformed friendly form.
func FriendlySchedule(when string) (fields string, ok bool, err error) {
	f := strings.Fields(when)
	if len(f) == 0 {
		return "", false, nil
	}
	day, isDay := weekdays[strings.ToLower(f[0])]
	if !isDay {
		return "", false, nil
	}
	if len(f) != 2 || !timePattern.MatchString(f[1]) {
		return "", true, Errorf(Invalid, "%q is not a schedule: after the day give a 24-hour time, such as \"MON 09:00\".", Clip(when, 40))
	}
	hh, mm, _ := strings.Cut(f[1], ":")
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	return fmt.Sprintf("%d %d * * %d", m, h, int(day)), true, nil
}

// OnOpen says what Store.OpenChallenge does when the space already has an open
// challenge.
type OnOpen int

const (
	// CloseCurrent closes the open challenge and opens the new one: each
	// weekly challenge replaces the last.
	CloseCurrent OnOpen = iota
	// RefuseWhileOpen refuses with a Conflict error while a challenge is open.
	RefuseWhileOpen
)

// Opening is what Store.OpenChallenge did.
type Opening struct {
	// Opened is the space's new current challenge; with Repeat, the one opened
	// earlier for the same scheduled instant.
	Opened *Challenge
	// Closed is the challenge this call closed, nil when none was open (or
	// with Repeat). Its summary is the caller's to post.
	Closed *Challenge
	// Repeat is set when a challenge was already opened for the scheduled
	// instant: nothing changed, and the caller posts nothing.
	Repeat bool
}

func (e *Engine) cmdChallengeSchedule(ctx context.Context, req *Request) (*Reply, error) {
	channel := strings.TrimSpace(req.Args["channel"])
	when := strings.TrimSpace(req.Args["when"])
	zone := strings.TrimSpace(req.Args["zone"])
	var spec string
	if e.Scheduler != nil {
		s, err := e.Scheduler.ParseSchedule(when, zone)
		if err != nil {
			return nil, err
		}
		spec = s
	} else {
		// No scheduler to validate with: translate the friendly form, and keep a
		// cron spec as typed; the scheduler checks it again when it starts.
		loc, err := LoadZone(zone)
		if err != nil {
			return nil, err
		}
		fields, ok, err := FriendlySchedule(when)
		switch {
		case err != nil:
			return nil, err
		case ok:
			spec = "CRON_TZ=" + loc.String() + " " + fields
		case strings.HasPrefix(strings.ToUpper(when), "CRON_TZ=") || strings.HasPrefix(strings.ToUpper(when), "TZ="):
			spec = when
		default:
			spec = "CRON_TZ=" + loc.String() + " " + strings.Join(strings.Fields(when), " ")
		}
	}
	now := e.now()
	_, err := e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		r.Challenge = ChallengeSchedule{Channel: channel, Spec: spec, Text: when, SetBy: req.Member, SetAt: now}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "save challenge schedule")
	}
	r := &Reply{
		Title: "Weekly challenge scheduled",
		Text:  []string{fmt.Sprintf("I will post the group's frontier topic challenge in %s on schedule %q.", channel, when)},
		Fields: []Field{
			{Name: "Schedule", Value: spec, Inline: true},
			{Name: "Channel", Value: channel, Inline: true},
		},
		Footer: "Each new challenge closes the previous one with a summary. Stop with: challenge stop",
	}
	if e.Scheduler != nil {
		if err := e.Scheduler.SetSchedule(req.Space, spec); err != nil {
			// Saved and validated; it will be installed at the next start.
			e.log().Error("install challenge schedule", "space", req.Space.Key(), "spec", spec, "err", err)
		}
		if nr, ok := e.Scheduler.(NextRunner); ok {
			if next := nr.NextRun(req.Space); !next.IsZero() {
				r.Fields = append(r.Fields, Field{Name: "First post", Value: next.Format("Mon 2 Jan 2006 15:04 MST"), Inline: true})
			}
		}
	}
	return r, nil
}

func (e *Engine) cmdChallengePost(ctx context.Context, req *Request) (*Reply, error) {
	what := strings.TrimSpace(req.Args["what"])
	channel := req.Channel
	if channel == "" || req.DM {
		rec, err := e.Store.Space(ctx, req.Space)
		if err != nil {
			return nil, Wrap(err, "read space")
		}
		channel = rec.Challenge.Channel
	}
	if channel == "" && e.Messenger != nil {
		return nil, Errorf(Invalid, "I do not know which channel to post in: type this in the channel, or set one with challenge schedule.")
	}
	var topicID, text string
	switch t := e.challengeTopic(what); {
	case what == "":
		f, err := e.Frontier(ctx, req.Space)
		if err != nil {
			return nil, err
		}
		topicID, text = f.ID, f.Challenge
		if text == "" {
			text = "Show what you learned about " + f.Title + ": build something small and share it."
		}
	case t != nil:
		topicID, text = t.ID, t.Challenge
		if text == "" {
			text = "Show what you learned about " + t.Title + ": build something small and share it."
		}
	default:
		text = what
	}
	res, err := e.PostChallenge(ctx, req.Space, &Challenge{
		Topic: topicID, Text: text, Channel: channel, PostedBy: req.Member,
	}, CloseCurrent)
	if err != nil {
		return nil, err
	}
	c := res.Opened
	if e.Messenger == nil {
		// Nothing else will show it: the reply is the post.
		return e.challengeReply(c), nil
	}
	return &Reply{
		Title: fmt.Sprintf("Challenge #%d posted", c.ID),
		Text:  []string{fmt.Sprintf("Posted in %s: %s", channel, Clip(c.Text, 200))},
	}, nil
}

// challengeTopic reads what as a topic when it names one clearly: an id, a
// title, a slug, or a few words that match exactly one topic. Longer text is a
// free-text challenge even when its words happen to match a topic.
func (e *Engine) challengeTopic(what string) *roadmap.Topic {
	if what == "" {
		return nil
	}
	if ms := e.Roadmap.Search(what, 1); len(ms) == 1 && ms[0].Score >= 90 {
		return ms[0].Topic
	}
	if len(strings.Fields(what)) > 3 {
		return nil
	}
	t, _ := e.Roadmap.Find(what)
	return t
}

// PostChallenge opens c in the space through Store.OpenChallenge (onOpen says
// what happens to a challenge still open) and, once that is committed, posts
// the closed challenge's summary where it was posted and then c to c.Channel.
// PostedAt is the engine's now when c leaves it zero; c itself is not changed.
// A repeated scheduled post (Opening.Repeat) posts nothing. Posting failures
// are logged, not returned: the challenge is stored and open either way.
//
// Error codes: those of Store.OpenChallenge, notably Conflict for
// RefuseWhileOpen while a challenge is open.
func (e *Engine) PostChallenge(ctx context.Context, sp Space, c *Challenge, onOpen OnOpen) (*Opening, error) {
	cp := *c
	if cp.PostedAt.IsZero() {
		cp.PostedAt = e.now()
	}
	res, err := e.Store.OpenChallenge(ctx, sp, &cp, onOpen)
	if err != nil {
		return nil, Wrap(err, "open challenge") // keeps a coded error as it is
	}
	if res.Repeat {
		return res, nil
	}
	if res.Closed != nil {
		e.post(ctx, sp, res.Closed.Channel, summaryReply(res.Closed))
	}
	e.post(ctx, sp, res.Opened.Channel, e.challengeReply(res.Opened))
	return res, nil
}

// PostScheduledChallenge posts the group's frontier topic challenge to the
// channel of the space's schedule, closing the open one. The scheduler calls
// it with the instant the schedule fired (at): a space gets one challenge per
// instant, however many times or processes call it. A schedule removed in the
// meantime posts nothing.
func (e *Engine) PostScheduledChallenge(ctx context.Context, sp Space, at time.Time) error {
	rec, err := e.Store.Space(ctx, sp)
	if err != nil {
		return Wrap(err, "read space")
	}
	if rec.Challenge.Spec == "" || rec.Challenge.Channel == "" {
		return nil
	}
	t, err := e.Frontier(ctx, sp)
	if err != nil {
		return err
	}
	text := t.Challenge
	if text == "" {
		text = "Show what you learned about " + t.Title + ": build something small and share it."
	}
	res, err := e.PostChallenge(ctx, sp, &Challenge{
		Topic: t.ID, Text: text, Channel: rec.Challenge.Channel, ScheduledAt: at,
	}, CloseCurrent)
	if err != nil {
		return err
	}
	if res.Repeat {
		e.log().Info("scheduled challenge already posted", "space", sp.Key(), "at", at, "challenge", res.Opened.ID)
	}
	return nil
}

// ChallengeSchedules calls fn for every space with a challenge schedule; the
// scheduler installs them at start.
func (e *Engine) ChallengeSchedules(ctx context.Context, fn func(sp Space, spec string) error) error {
	return e.Store.Spaces(ctx, func(r *SpaceRecord) error {
		if r.Challenge.Spec == "" {
			return nil
		}
		return fn(r.Space, r.Challenge.Spec)
	})
}

// Frontier is the topic most active members (seen within ActiveWindow) are on
// now, by their roadmap Next; ties go to the earliest topic in roadmap order. A
// member whose next step is a pick counts towards the option their picks suggest,
// else the group's first option. With no active members it is the first topic.
func (e *Engine) Frontier(ctx context.Context, sp Space) (*roadmap.Topic, error) {
	since := e.now().Add(-ActiveWindow)
	counts := map[*roadmap.Topic]int{}
	err := e.Store.Members(ctx, sp, func(m *Member) error {
		if m.Seen.Before(since) {
			return nil
		}
		res := e.Roadmap.Next(m)
		switch {
		case res.Topic != nil:
			counts[res.Topic]++
		case res.Pick != nil:
			o := res.Pick.Options[0]
			if res.Suggested != "" {
				o = res.Suggested
			}
			if t := e.Roadmap.Topic(o); t != nil {
				counts[t]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "scan members")
	}
	var best *roadmap.Topic
	for t, n := range counts {
		if best == nil || n > counts[best] || (n == counts[best] && t.Index < best.Index) {
			best = t
		}
	}
	if best == nil {
		best = e.Roadmap.Topics()[0]
	}
	return best, nil
}

// post sends a public reply through the Messenger, logging failures: a post that
// cannot be delivered must not undo what is already stored.
func (e *Engine) post(ctx context.Context, sp Space, channel string, r *Reply) {
	if e.Messenger == nil || channel == "" {
		return
	}
	if err := e.Messenger.Post(ctx, sp, channel, r); err != nil {
		e.log().Error("post challenge", "space", sp.Key(), "channel", channel, "err", err)
	}
}

func (e *Engine) challengeReply(c *Challenge) *Reply {
	r := &Reply{
		Title:  fmt.Sprintf("Challenge #%d", c.ID),
		Text:   []string{c.Text},
		Footer: "Answer with: challenge submit <link or text> · see answers with: challenge board",
		Public: true,
	}
	if t := e.Roadmap.Topic(c.Topic); t != nil {
		r.Title = fmt.Sprintf("Challenge #%d: %s", c.ID, t.Title)
		if res := pickResource(t.Resources); res != nil {
			r.Links = []Link{{Title: res.Title, URL: res.URL, Kind: res.Kind}}
		}
		r.Buttons = []Button{{Label: "About this topic", Action: Action("topic", t.ID)}}
	}
	return r
}

// submitters lists a challenge's submissions in the order they came in.
func submitters(c *Challenge) []*Submission {
	subs := make([]*Submission, 0, len(c.Submissions))
	for _, s := range c.Submissions {
		subs = append(subs, s)
	}
	slices.SortFunc(subs, func(a, b *Submission) int {
		if d := a.At.Compare(b.At); d != 0 {
			return d
		}
		return strings.Compare(a.Member, b.Member)
	})
	return subs
}

func displayName(s *Submission) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Member
}

func summaryReply(c *Challenge) *Reply {
	subs := submitters(c)
	r := &Reply{Title: fmt.Sprintf("Challenge #%d closed", c.ID), Public: true}
	switch len(subs) {
	case 0:
		r.Text = []string{"No submissions this time."}
	case 1:
		r.Text = []string{"1 submission, from " + displayName(subs[0]) + ". Thank you!"}
	default:
		names := make([]string, len(subs))
		for i, s := range subs {
			names[i] = displayName(s)
		}
		r.Text = []string{fmt.Sprintf("%d submissions, from %s. Thank you all!", len(subs), Clip(strings.Join(names, ", "), 900))}
	}
	r.Fields = []Field{{Name: "Submissions", Value: strconv.Itoa(len(subs)), Inline: true}}
	return r
}

func (e *Engine) cmdChallengeStop(ctx context.Context, req *Request) (*Reply, error) {
	hadSchedule := false
	_, closed, err := e.Store.CloseChallenge(ctx, req.Space, e.now(), func(r *SpaceRecord) error {
		hadSchedule = r.Challenge.Spec != ""
		r.Challenge = ChallengeSchedule{}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "stop challenges")
	}
	if e.Scheduler != nil {
		if err := e.Scheduler.SetSchedule(req.Space, ""); err != nil {
			e.log().Error("remove challenge schedule", "space", req.Space.Key(), "err", err)
		}
	}
	if closed == nil && !hadSchedule {
		return &Reply{Title: "Nothing to stop", Text: []string{"No challenge is scheduled or open."}}, nil
	}
	r := &Reply{Title: "Weekly challenges stopped", Text: []string{"No more scheduled challenges."}}
	if closed != nil {
		e.post(ctx, req.Space, closed.Channel, summaryReply(closed))
		r.Text = append(r.Text, fmt.Sprintf("Challenge #%d is closed with %d submission%s.", closed.ID, len(closed.Submissions), plural(len(closed.Submissions))))
	}
	return r, nil
}

func (e *Engine) cmdChallengeList(ctx context.Context, req *Request) (*Reply, error) {
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	cs, err := e.Store.Challenges(ctx, req.Space, 10)
	if err != nil {
		return nil, Wrap(err, "list challenges")
	}
	r := &Reply{Title: "Challenges"}
	if s := rec.Challenge; s.Spec != "" {
		r.Fields = append(r.Fields,
			Field{Name: "Schedule", Value: fmt.Sprintf("%s (%s)", s.Text, s.Spec), Inline: true},
			Field{Name: "Channel", Value: s.Channel, Inline: true})
		if nr, ok := e.Scheduler.(NextRunner); ok {
			if next := nr.NextRun(req.Space); !next.IsZero() {
				r.Fields = append(r.Fields, Field{Name: "Next post", Value: next.Format("Mon 2 Jan 2006 15:04 MST"), Inline: true})
			}
		}
	} else {
		r.Text = append(r.Text, "No weekly schedule. Set one with: challenge schedule #channel \"MON 09:00\" Europe/Berlin")
	}
	if len(cs) == 0 {
		r.Text = append(r.Text, "No challenges posted yet. Post one now with: challenge post")
	}
	for _, c := range cs {
		state := "closed"
		if c.ClosedAt.IsZero() {
			state = "open"
		}
		title := Clip(c.Text, 60)
		if t := e.Roadmap.Topic(c.Topic); t != nil {
			title = t.Title
		}
		r.Text = append(r.Text, fmt.Sprintf("#%d · %s · %s · %s · %d submission%s", c.ID, c.PostedAt.UTC().Format("2 Jan 2006"), title, state, len(c.Submissions), plural(len(c.Submissions))))
	}
	return r, nil
}

func (e *Engine) cmdChallengeSubmit(ctx context.Context, req *Request) (*Reply, error) {
	text := strings.TrimSpace(req.Args["text"])
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	if rec.Current == 0 {
		return nil, Errorf(Conflict, "There is no open challenge right now.")
	}
	now := e.now()
	edited := false
	c, err := e.Store.UpdateChallenge(ctx, req.Space, rec.Current, func(c *Challenge) error {
		if !c.ClosedAt.IsZero() {
			return Errorf(Conflict, "Challenge #%d is closed; submissions are no longer accepted.", c.ID)
		}
		if c.Submissions == nil {
			c.Submissions = map[string]*Submission{}
		}
		prev := c.Submissions[req.Member]
		edited = prev != nil
		s := &Submission{Member: req.Member, Name: req.Name, Text: text, At: now}
		if prev != nil {
			// Keep the first submission time: the board lists answers in the
			// order they first came in.
			s.At = prev.At
			if s.Name == "" {
				s.Name = prev.Name
			}
		}
		c.Submissions[req.Member] = s
		return nil
	})
	if ErrorCode(err) == NotFound {
		return nil, Errorf(Conflict, "There is no open challenge right now.")
	}
	if err != nil {
		if ErrorCode(err) == Conflict {
			return nil, err
		}
		return nil, Wrap(err, "submit")
	}
	title := fmt.Sprintf("Submitted to challenge #%d", c.ID)
	if edited {
		title = fmt.Sprintf("Your submission to challenge #%d is updated", c.ID)
	}
	return &Reply{
		Title:  title,
		Text:   []string{Clip(text, 300)},
		Footer: "You can edit it until the challenge closes: submit again.",
	}, nil
}

func (e *Engine) cmdChallengeBoard(ctx context.Context, req *Request) (*Reply, error) {
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	var c *Challenge
	if rec.Current != 0 {
		c, err = e.Store.Challenge(ctx, req.Space, rec.Current)
		if err != nil && ErrorCode(err) != NotFound {
			return nil, Wrap(err, "read challenge")
		}
	}
	if c == nil {
		// No open challenge: show the last one, closed.
		cs, err := e.Store.Challenges(ctx, req.Space, 1)
		if err != nil {
			return nil, Wrap(err, "list challenges")
		}
		if len(cs) == 0 {
			return nil, Errorf(NotFound, "No challenge has been posted yet.")
		}
		c = cs[0]
	}
	subs := submitters(c)
	r := &Reply{Title: fmt.Sprintf("Challenge #%d board", c.ID), Text: []string{Clip(c.Text, 300)}, Public: true}
	if !c.ClosedAt.IsZero() {
		r.Title += " (closed)"
	}
	switch {
	case len(subs) == 0 && c.ClosedAt.IsZero():
		r.Text = append(r.Text, "No submissions yet. Be the first: challenge submit <link or text>")
	case len(subs) == 0:
		r.Text = append(r.Text, "It closed with no submissions.")
	}
	for _, s := range subs {
		if len(r.Fields) == 25 {
			r.Footer = fmt.Sprintf("and %d more", len(subs)-25)
			break
		}
		r.Fields = append(r.Fields, Field{Name: Clip(displayName(s), 80), Value: Clip(s.Text, 300)})
	}
	return r, nil
}

func (e *Engine) cmdChallengeClose(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdChallengeQueue(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdChallengeUnqueue(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}

func (e *Engine) cmdChallengeRemove(ctx context.Context, req *Request) (*Reply, error) {
	return nil, Errorf(Invalid, "Not built yet.")
}
