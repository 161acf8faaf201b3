package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// DefaultFastDone is Engine.FastDone's default: more than 5 topics marked
// done within one minute is faster than anyone studies them.
const DefaultFastDone = 5

// Leaderboard shape.
const (
	boardTop = 10 // rows shown from the top
	// boardInactive is how long without using the bot takes a member off
	// the leaderboard.
	boardInactive = 60 * 24 * time.Hour
)

// boardPeriod is a leaderboard's window: topics done since now - span;
// span 0 is all time.
type boardPeriod struct {
	span  time.Duration
	title string // "last 7 days"
	what  string // "in the last 7 days"
}

var boardPeriods = map[string]boardPeriod{
	"week":  {7 * 24 * time.Hour, "last 7 days", " in the last 7 days"},
	"month": {30 * 24 * time.Hour, "last 30 days", " in the last 30 days"},
	"all":   {0, "all time", ""},
}

// standing is one member's place on the leaderboard for a period, derived
// from their marks on the roadmap they follow; nothing of it is stored.
type standing struct {
	m                   *Member
	st                  study
	done, skipped, fast int       // in the period; fast ones are not in done
	last                time.Time // At of the last done that counts: the earlier ranks first on a tie
}

// ranks reports whether a ranks above b: more topics done, then the earlier
// finish, then the member id, so the order is stable.
func (a *standing) ranks(b *standing) int {
	if a.done != b.done {
		return b.done - a.done
	}
	if c := a.last.Compare(b.last); c != 0 {
		return c
	}
	return strings.Compare(a.m.ID, b.m.ID)
}

// fastDone is the engine's plausible floor: done marks beyond it within
// one minute do not rank.
func (e *Engine) fastDone() int {
	if e.FastDone > 0 {
		return e.FastDone
	}
	return DefaultFastDone
}

// standing counts m's marks on their roadmap's path (required topics they
// follow, picks honoured) marked since since (zero: all time). A done mark
// is fast when more than fastDone done marks fall within one minute up to
// and including it; it counts for the member's own progress, not here.
// Marks without a time (records from before marks had one) count only
// for all time and are never fast.
func (e *Engine) standing(m *Member, st study, since time.Time) standing {
	s := standing{m: m, st: st}
	tr := st.trackOf(m)
	// Instants as Unix nanoseconds in a buffer on the stack: the group
	// and leaderboard call this for every member of a space, so a slice
	// of time.Time grown per member was a good part of their cost.
	var buf [160]int64
	done := buf[:0]
	// Two passes: the first sets the reading's statuses (which decide
	// what counts on the member's path, in pick groups) and keeps the
	// finished marks; the second counts those on the path. Counts of a
	// Reading asks its dense copy, not Track.Status, which is a binary
	// search.
	type finished struct {
		t       *roadmap.Topic
		skipped bool
		at      time.Time
	}
	var fbuf [160]finished
	fin := fbuf[:0]
	x := st.rm.ReadChoices(tr)
	defer x.Release()
	for i := range tr.Topics {
		mk := &tr.Topics[i]
		if mk.Status == roadmap.Todo {
			continue
		}
		t := st.rm.Topic(mk.Topic)
		if t == nil {
			continue
		}
		x.Set(t, mk.Status)
		if mk.Status.Finished() && !t.Optional {
			fin = append(fin, finished{t, mk.Status == roadmap.Skipped, mk.At})
		}
	}
	for _, f := range fin {
		if !x.Counts(f.t) {
			continue
		}
		if f.skipped {
			if since.IsZero() || !f.at.Before(since) {
				s.skipped++
			}
			continue
		}
		if f.at.IsZero() {
			if since.IsZero() {
				s.done++
			}
			continue
		}
		done = append(done, f.at.UnixNano())
	}
	slices.Sort(done)
	limit := e.fastDone()
	lo := 0
	var last int64
	for i, at := range done {
		for at-done[lo] >= int64(time.Minute) {
			lo++
		}
		if !since.IsZero() && at < since.UnixNano() {
			continue
		}
		if i-lo+1 > limit {
			s.fast++
			continue
		}
		s.done++
		last = at
	}
	if s.done > 0 && last != 0 {
		s.last = time.Unix(0, last)
	}
	return s
}

// board is a leaderboard as read for one request: the ranked standings
// and the requester's place.
type board struct {
	period boardPeriod
	rows   []*standing // ranked
	me     int         // the requester's index in rows, -1 when absent
	hidden bool        // the requester opted out
}

// readBoard ranks the space's members for the period: members with
// something done or skipped in it, not hidden, and seen within
// boardInactive (the requester is here now, so they count as seen).
func (e *Engine) readBoard(ctx context.Context, req *Request) (*board, error) {
	p, ok := boardPeriods[strings.ToLower(strings.TrimSpace(req.Args["period"]))]
	if !ok {
		p = boardPeriods["all"]
	}
	now := e.now()
	var since time.Time
	if p.span > 0 {
		since = now.Add(-p.span)
	}
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	b := &board{period: p, me: -1}
	active := now.Add(-boardInactive)
	err = e.briefs(ctx, req.Space, func(m *Member) error {
		if m.Hidden {
			b.hidden = b.hidden || m.ID == req.Member
			return nil
		}
		if m.Seen.Before(active) && m.ID != req.Member {
			return nil
		}
		st, err := e.followed(ctx, rec, m)
		if err != nil {
			return err
		}
		s := e.standing(m, st, since)
		if s.done+s.skipped+s.fast == 0 {
			return nil
		}
		b.rows = append(b.rows, &s)
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "list members")
	}
	slices.SortFunc(b.rows, (*standing).ranks)
	for i, s := range b.rows {
		if s.m.ID == req.Member {
			b.me = i
		}
	}
	return b, nil
}

// field renders row i. flags shows its fast marks (the member's own row,
// or a moderator's view); you marks the requester's.
func (e *Engine) boardField(b *board, i int, you, flags bool) Field {
	s := b.rows[i]
	v := fmt.Sprintf("%d done", s.done)
	if s.skipped > 0 {
		v += fmt.Sprintf(" · %d skipped", s.skipped)
	}
	if n := e.CurrentStreak(s.m); n > 0 {
		v += fmt.Sprintf(" · streak %d", n)
	}
	if s.m.Answered > 0 {
		v += fmt.Sprintf(" · %d challenge%s", s.m.Answered, plural(s.m.Answered))
	}
	if res := s.st.rm.Next(s.st.trackOf(s.m)); res.Topic != nil {
		v += " · on " + res.Topic.Title
	}
	if flags && s.fast > 0 {
		v += fmt.Sprintf(" · ⚑ %d too fast to rank", s.fast)
	}
	name := s.m.Name
	if name == "" {
		name = s.m.ID
	}
	name = fmt.Sprintf("%d. %s", i+1, Clip(name, 40))
	if you {
		name += " (you)"
	}
	return Field{Name: name, Value: v}
}

// shown is the rows a board shows: the top ones, and around the
// requester's (one above and one below) when they are further down.
func (b *board) shown() []int {
	var out []int
	for i := range min(boardTop, len(b.rows)) {
		out = append(out, i)
	}
	if b.me < 0 {
		return out
	}
	for i := max(b.me-1, boardTop); i <= b.me+1 && i < len(b.rows); i++ {
		out = append(out, i)
	}
	return out
}

func (b *board) title() string { return "Leaderboard · " + b.period.title }

func (b *board) summary() string {
	return fmt.Sprintf("%d member%s ranked by topics done%s. Skipped topics are shown but never count.",
		len(b.rows), plural(len(b.rows)), b.period.what)
}

// cmdLeaderboard shows the board to the requester alone, with their own
// rank wherever it is.
func (e *Engine) cmdLeaderboard(ctx context.Context, req *Request) (*Reply, error) {
	b, err := e.readBoard(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(b.rows) == 0 && !b.hidden {
		return &Reply{Title: b.title(), Text: []string{"Nobody here has done a topic" + b.period.what + " yet. Type next to be the first!"}}, nil
	}
	flags := req.Access >= AccessModerator
	if !flags {
		if flags, err = e.isModerator(ctx, req.Space, req.Member); err != nil {
			return nil, err
		}
	}
	r := &Reply{Title: b.title(), Text: []string{b.summary()}}
	switch {
	case b.hidden:
		r.Text = append(r.Text, "You are hidden from the leaderboard; leaderboard unhide shows you again.")
	case b.me < 0:
		r.Text = append(r.Text, "You have no topics done"+b.period.what+" yet.")
	default:
		r.Text = append(r.Text, fmt.Sprintf("You are #%d of %d.", b.me+1, len(b.rows)))
	}
	prev := -1
	for _, i := range b.shown() {
		if i > prev+1 {
			r.Fields = append(r.Fields, Field{Name: "…", Value: fmt.Sprintf("%d more", i-prev-1)})
		}
		r.Fields = append(r.Fields, e.boardField(b, i, i == b.me, flags || i == b.me))
		prev = i
	}
	if rest := len(b.rows) - 1 - prev; rest > 0 {
		r.Fields = append(r.Fields, Field{Name: "…", Value: fmt.Sprintf("%d more", rest)})
	}
	r.Footer = "leaderboard share posts it here · leaderboard hide takes you off it"
	return r, nil
}

// cmdLeaderboardShare posts the top of the board to the channel. It shows
// no one's flags: those are for the member and moderators.
func (e *Engine) cmdLeaderboardShare(ctx context.Context, req *Request) (*Reply, error) {
	b, err := e.readBoard(ctx, req)
	if err != nil {
		return nil, err
	}
	r := &Reply{Title: b.title(), Text: []string{b.summary()}, Public: true}
	if len(b.rows) == 0 {
		r.Text = []string{"Nobody here has done a topic" + b.period.what + " yet. Type next to be the first!"}
	}
	for i := range min(boardTop, len(b.rows)) {
		r.Fields = append(r.Fields, e.boardField(b, i, false, false))
	}
	return r, nil
}

func (e *Engine) cmdLeaderboardHide(ctx context.Context, req *Request) (*Reply, error) {
	if _, err := e.update(ctx, req, func(m *Member) error { m.Hidden = true; return nil }); err != nil {
		return nil, err
	}
	return &Reply{Title: "You are off the leaderboard",
		Text: []string{"Nobody sees you there, not even in a shared board; your progress is kept. leaderboard unhide shows you again."}}, nil
}

func (e *Engine) cmdLeaderboardUnhide(ctx context.Context, req *Request) (*Reply, error) {
	if _, err := e.update(ctx, req, func(m *Member) error { m.Hidden = false; return nil }); err != nil {
		return nil, err
	}
	return &Reply{Title: "You are on the leaderboard again", Text: []string{"See where you are with leaderboard."}}, nil
}
