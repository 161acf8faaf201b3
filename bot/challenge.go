package bot

import (
	"context"
	"errors"
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

// challengeZone is the zone a space's challenge times are shown in: its
// schedule's, else UTC.
func challengeZone(rec *SpaceRecord) string {
	if z, _, ok := specZone(rec.Challenge.Spec); ok {
		return z
	}
	return "UTC"
}

// at formats an instant for a challenge's readers, in zone.
func at(t time.Time, zone string) string {
	loc, err := LoadZone(zone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}

func (e *Engine) cmdChallengePost(ctx context.Context, req *Request) (*Reply, error) {
	rec, s, err := e.queueStudy(ctx, req.Space)
	if err != nil {
		return nil, err
	}
	w, err := s.readChallengeWhat(req.Args["what"])
	if err != nil {
		return nil, err
	}
	channel := req.Channel
	if channel == "" || req.DM {
		channel = rec.Challenge.Channel
	}
	if channel == "" && e.Messenger != nil {
		return nil, Errorf(Invalid, "I do not know which channel to post in: type this in the channel, or set one with challenge schedule.")
	}
	// Refuse before choosing a topic, with the way out; the store refuses
	// again under its lock (RefuseWhileOpen) should a post race this one.
	open, err := e.openChallenge(ctx, req.Space, rec)
	if err != nil {
		return nil, err
	}
	if open != nil && !open.ClosesAt.IsZero() && !open.ClosesAt.After(e.now()) {
		// Past its close time, but the closer has not run yet: close it
		// now, with its summary, rather than refuse over a closed one.
		if _, err := e.CloseDueChallenges(ctx, e.now()); err != nil {
			return nil, err
		}
		open = nil
	}
	if open != nil {
		return nil, stillOpen(open)
	}
	var ch choice
	switch {
	case w.text != "":
	case w.topic != nil:
		ch = choice{s: s, topic: w.topic, why: whyNamed}
	default:
		if ch, err = e.autoTopic(ctx, req.Space, rec); err != nil {
			return nil, err
		}
	}
	now := e.now()
	c := &Challenge{Text: w.text, Channel: channel, PostedBy: req.Member, PostedAt: now, Zone: challengeZone(rec)}
	if ch.topic != nil {
		c.Roadmap, c.Topic, c.Text = ch.s.id, ch.topic.ID, topicChallenge(ch.topic)
	}
	if v := req.Args["closes"]; v != "" {
		d, _ := ParseSpan(v) // checked with the other arguments
		c.ClosesAt = now.Add(d)
	}
	res, err := e.PostChallenge(ctx, req.Space, c, RefuseWhileOpen)
	if ErrorCode(err) == Conflict {
		return nil, Errorf(Conflict, "%s Close it first with: challenge close", ErrorMessage(err))
	}
	if err != nil {
		return nil, err
	}
	e.dequeue(ctx, req.Space, TopicRef{Roadmap: c.Roadmap, Topic: c.Topic})
	posted := res.Opened
	if e.Messenger == nil {
		// Nothing else will show it: the reply is the post.
		return e.challengeReply(ctx, req.Space, posted), nil
	}
	r := &Reply{
		Title: fmt.Sprintf("Challenge #%d posted", posted.ID),
		Text:  []string{fmt.Sprintf("Posted in %s: %s", ChannelMention(req.Space.Platform, channel), Clip(posted.Text, 200))},
	}
	if ch.topic != nil {
		r.Title += ": " + ch.topic.Title
		r.Text = append(r.Text, fmt.Sprintf("I chose %s because %s.", ch.topic.Title, ch.why))
	}
	if !posted.ClosesAt.IsZero() {
		r.Fields = append(r.Fields, Field{Name: "Closes", Value: at(posted.ClosesAt, posted.Zone), Inline: true})
	} else {
		r.Footer = "It stays open until you close it (challenge close) or the schedule posts the next one."
	}
	r.Buttons = []Button{
		{Label: "Board", Action: Action("challenge board", strconv.FormatUint(posted.ID, 10))},
		{Label: "Close it now", Action: "challenge close", Style: ButtonDanger},
	}
	return r, nil
}

// topicChallenge is a topic's challenge text, or a generic one.
func topicChallenge(t *roadmap.Topic) string {
	if t.Challenge != "" {
		return t.Challenge
	}
	return "Show what you learned about " + t.Title + ": build something small and share it."
}

// openChallenge returns the space's open challenge, nil when none is.
func (e *Engine) openChallenge(ctx context.Context, sp Space, rec *SpaceRecord) (*Challenge, error) {
	if rec.Current == 0 {
		return nil, nil
	}
	c, err := e.Store.Challenge(ctx, sp, rec.Current)
	switch {
	case ErrorCode(err) == NotFound:
		return nil, nil
	case err != nil:
		return nil, Wrap(err, "read challenge")
	case !c.ClosedAt.IsZero():
		return nil, nil
	}
	return c, nil
}

// stillOpen refuses a manual post while c is open, saying how to go on.
func stillOpen(c *Challenge) error {
	when := "until you close it"
	if !c.ClosesAt.IsZero() {
		when = "until " + at(c.ClosesAt, c.Zone)
	}
	return Errorf(Conflict, "Challenge #%d is still open (%s, %d submission%s). Close it first with: challenge close", c.ID, when, len(c.Submissions), plural(len(c.Submissions)))
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
	e.post(ctx, sp, res.Opened.Channel, e.challengeReply(ctx, sp, res.Opened))
	return res, nil
}

// PostScheduledChallenge posts the next challenge (see autoTopic) to the
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
	ch, err := e.autoTopic(ctx, sp, rec)
	if err != nil {
		return err
	}
	c := &Challenge{
		Roadmap: ch.s.id, Topic: ch.topic.ID, Text: topicChallenge(ch.topic), Channel: rec.Challenge.Channel,
		ScheduledAt: at, Zone: challengeZone(rec),
	}
	if rec.Challenge.Lasts > 0 {
		c.ClosesAt = at.Add(rec.Challenge.Lasts)
	}
	res, err := e.PostChallenge(ctx, sp, c, CloseCurrent)
	if err != nil {
		return err
	}
	if res.Repeat {
		e.log().Info("scheduled challenge already posted", "space", sp.Key(), "at", at, "challenge", res.Opened.ID)
		return nil
	}
	if ch.queued {
		e.dequeue(ctx, sp, TopicRef{Roadmap: ch.s.id, Topic: ch.topic.ID})
	}
	e.log().Info("scheduled challenge posted", "space", sp.Key(), "challenge", res.Opened.ID, "topic", ch.topic.ID, "why", ch.why)
	return nil
}

// errNotDue stops CloseDueChallenges' close when the space moved on.
var errNotDue = errors.New("challenge no longer due to close")

// CloseDueChallenges closes every open challenge whose close time is at or
// before now and posts its summary where it was posted. The scheduler calls
// it every minute, so a challenge closes within a minute of its time, and
// one that came due while the bot was down closes at the first call after
// the start. It returns how many it closed; an error for one space is logged
// and the others go on.
func (e *Engine) CloseDueChallenges(ctx context.Context, now time.Time) (int, error) {
	var due []*SpaceRecord
	err := e.Store.Spaces(ctx, func(r *SpaceRecord) error {
		if r.Current != 0 && !r.ClosesAt.IsZero() && !r.ClosesAt.After(now) {
			due = append(due, r)
		}
		return nil
	})
	if err != nil {
		return 0, Wrap(err, "scan spaces")
	}
	closedN := 0
	for _, r := range due {
		want := r.Current
		_, closed, err := e.Store.CloseChallenge(ctx, r.Space, r.ClosesAt, func(cur *SpaceRecord) error {
			// Between the scan and here a moderator may have closed it or
			// another process may have: close only what is still due.
			if cur.Current != want || cur.ClosesAt.IsZero() || cur.ClosesAt.After(now) {
				return errNotDue
			}
			return nil
		})
		switch {
		case errors.Is(err, errNotDue):
			continue
		case err != nil:
			e.log().Error("close due challenge", "space", r.Space.Key(), "challenge", want, "err", err)
			continue
		case closed == nil:
			continue
		}
		closedN++
		e.post(ctx, r.Space, closed.Channel, summaryReply(closed))
		e.log().Info("challenge closed on time", "space", r.Space.Key(), "challenge", closed.ID, "submissions", len(closed.Submissions))
	}
	return closedN, nil
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

// challengeReply is a challenge as posted to the group.
func (e *Engine) challengeReply(ctx context.Context, sp Space, c *Challenge) *Reply {
	r := &Reply{
		Title:  fmt.Sprintf("Challenge #%d", c.ID),
		Text:   []string{c.Text},
		Footer: "Answer with: challenge submit <link or text> · see answers with: challenge board",
		Public: true,
	}
	if !c.ClosesAt.IsZero() {
		r.Fields = append(r.Fields, Field{Name: "Closes", Value: at(c.ClosesAt, c.Zone), Inline: true})
	}
	var t *roadmap.Topic
	if rec, err := e.Store.Space(ctx, sp); err == nil {
		t = e.topicOf(ctx, rec, TopicRef{Roadmap: challengeRoadmap(c), Topic: c.Topic})
	}
	if t != nil {
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
	r.Footer = fmt.Sprintf("See the answers with: challenge board %d", c.ID)
	return r
}

func (e *Engine) cmdChallengeClose(ctx context.Context, req *Request) (*Reply, error) {
	_, closed, err := e.Store.CloseChallenge(ctx, req.Space, e.now(), nil)
	if err != nil {
		return nil, Wrap(err, "close challenge")
	}
	if closed == nil {
		return nil, Errorf(Conflict, "No challenge is open; post one with: challenge post")
	}
	e.post(ctx, req.Space, closed.Channel, summaryReply(closed))
	n := len(closed.Submissions)
	r := &Reply{
		Title: fmt.Sprintf("Challenge #%d closed", closed.ID),
		Text:  []string{fmt.Sprintf("It closed with %d submission%s; I posted the summary in %s.", n, plural(n), ChannelMention(req.Space.Platform, closed.Channel))},
	}
	if nr, ok := e.Scheduler.(NextRunner); ok {
		if next := nr.NextRun(req.Space); !next.IsZero() {
			r.Text = append(r.Text, "The schedule goes on: the next challenge comes "+next.Format("Mon 2 Jan 15:04 MST")+".")
		}
	}
	return r, nil
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
	r := &Reply{Title: "Challenges stopped", Text: []string{"No more scheduled challenges. The queue is kept for when you schedule again."}}
	if closed != nil {
		e.post(ctx, req.Space, closed.Channel, summaryReply(closed))
		r.Text = append(r.Text, fmt.Sprintf("Challenge #%d is closed with %d submission%s.", closed.ID, len(closed.Submissions), plural(len(closed.Submissions))))
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
		// Closed, or past its close time (the closer runs each minute, or
		// after a restart): no more answers either way.
		if !c.ClosedAt.IsZero() || (!c.ClosesAt.IsZero() && !c.ClosesAt.After(now)) {
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
	// Write the member as a touch would, so that one whose first use of
	// the bot is a submission has a record for their answered count to
	// show on. The submission is stored either way.
	if _, err := e.update(ctx, req, func(*Member) error { return nil }); err != nil {
		e.log().Warn("touch member after submit", "space", req.Space.Key(), "err", err)
	}
	title := fmt.Sprintf("Submitted to challenge #%d", c.ID)
	if edited {
		title = fmt.Sprintf("Your submission to challenge #%d is updated", c.ID)
	}
	r := &Reply{
		Title:  title,
		Text:   []string{Clip(text, 300)},
		Footer: "You can edit it until the challenge closes: submit again.",
	}
	if !c.ClosesAt.IsZero() {
		r.Footer = "You can edit it until the challenge closes (" + at(c.ClosesAt, c.Zone) + "): submit again."
	}
	return r, nil
}

// challengeArg finds the challenge a command names by number, or without
// one the open challenge, else the latest.
func (e *Engine) challengeArg(ctx context.Context, sp Space, number string) (*Challenge, error) {
	if number != "" {
		id, err := strconv.ParseUint(number, 10, 64)
		if err != nil {
			return nil, Errorf(Invalid, "The number must be a whole number such as 3.")
		}
		c, err := e.Store.Challenge(ctx, sp, id)
		if ErrorCode(err) == NotFound {
			return nil, Errorf(NotFound, "There is no challenge #%d; see them all with: challenge list", id)
		}
		if err != nil {
			return nil, Wrap(err, "read challenge")
		}
		return c, nil
	}
	rec, err := e.Store.Space(ctx, sp)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	if c, err := e.openChallenge(ctx, sp, rec); c != nil || err != nil {
		return c, err
	}
	cs, err := e.Store.Challenges(ctx, sp, 1)
	if err != nil {
		return nil, Wrap(err, "list challenges")
	}
	if len(cs) == 0 {
		return nil, Errorf(NotFound, "No challenge has been posted yet.")
	}
	return cs[0], nil
}

func (e *Engine) cmdChallengeBoard(ctx context.Context, req *Request) (*Reply, error) {
	c, err := e.challengeArg(ctx, req.Space, strings.TrimSpace(req.Args["number"]))
	if err != nil {
		return nil, err
	}
	subs := submitters(c)
	// The open challenge's board is the group's to see; a past one is
	// looked up by the asker, for them.
	open := c.ClosedAt.IsZero()
	r := &Reply{Title: fmt.Sprintf("Challenge #%d board", c.ID), Text: []string{Clip(c.Text, 300)}, Public: open}
	if !open {
		r.Title += " (closed)"
	}
	switch {
	case len(subs) == 0 && open:
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
	if open && !c.ClosesAt.IsZero() && r.Footer == "" {
		r.Footer = "Closes " + at(c.ClosesAt, c.Zone)
	}
	return r, nil
}

func (e *Engine) cmdChallengeRemove(ctx context.Context, req *Request) (*Reply, error) {
	member, err := memberID(req)
	if err != nil {
		return nil, err
	}
	c, err := e.challengeArg(ctx, req.Space, strings.TrimSpace(req.Args["number"]))
	if err != nil {
		return nil, err
	}
	var removed *Submission
	_, err = e.Store.UpdateChallenge(ctx, req.Space, c.ID, func(c *Challenge) error {
		removed = c.Submissions[member]
		if removed == nil {
			return Errorf(NotFound, "%s has no submission on challenge #%d.", Clip(member, 40), c.ID)
		}
		delete(c.Submissions, member)
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "remove submission")
	}
	r := &Reply{
		Title: fmt.Sprintf("Removed %s's submission from challenge #%d", Clip(displayName(removed), 80), c.ID),
		Text:  []string{"It said: " + Clip(removed.Text, 200)},
	}
	if e.Messenger == nil {
		return r, nil
	}
	note := &Reply{
		Title: fmt.Sprintf("Your submission to challenge #%d was removed", c.ID),
		Text: []string{
			"A moderator removed it: " + Clip(removed.Text, 200),
			"If you think this is a mistake, ask them in the group.",
		},
	}
	if c.ClosedAt.IsZero() {
		note.Text = append(note.Text, "The challenge is still open: you can submit again with challenge submit.")
	}
	if err := e.Messenger.Direct(ctx, req.Space, member, note); err != nil {
		e.log().Warn("tell member of removed submission", "space", req.Space.Key(), "member", member, "err", err)
		r.Text = append(r.Text, "I could not tell them privately (their direct messages are closed).")
	} else {
		r.Text = append(r.Text, "I told them privately.")
	}
	return r, nil
}
