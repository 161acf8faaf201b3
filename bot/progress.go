package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// zone is the member's zone for dates: the one they set (nudge zone, nudge
// at), else their platform profile's, else the configured default, else UTC.
func (e *Engine) zone(m *Member) *time.Location {
	for _, z := range []string{m.Nudge.Zone, m.ProfileZone, e.DefaultZone} {
		if z == "" {
			continue
		}
		if loc, err := LoadZone(z); err == nil {
			return loc
		}
	}
	return time.UTC
}

// touchStreak counts today (in the member's zone) as a study day, and
// reports whether that changed the streak (today was not counted yet).
func (e *Engine) touchStreak(m *Member, now time.Time) bool {
	local := now.In(e.zone(m))
	today := local.Format(DateLayout)
	if m.Streak.Last == today {
		return false
	}
	if m.Streak.Last == local.AddDate(0, 0, -1).Format(DateLayout) {
		m.Streak.Days++
	} else {
		m.Streak.Days = 1
	}
	m.Streak.Last = today
	m.Streak.Best = max(m.Streak.Best, m.Streak.Days)
	return true
}

// CurrentStreak is the member's streak as of now: it lapses once a whole local
// day passes without progress.
func (e *Engine) CurrentStreak(m *Member) int {
	if m.Streak.Last == "" {
		return 0
	}
	local := e.now().In(e.zone(m))
	if m.Streak.Last == local.Format(DateLayout) || m.Streak.Last == local.AddDate(0, 0, -1).Format(DateLayout) {
		return m.Streak.Days
	}
	return 0
}

// topic resolves a topic argument on the study's roadmap, with "did you
// mean" on failure.
func (s study) topic(arg string) (*roadmap.Topic, error) {
	t, cands := s.rm.Find(arg)
	if t != nil {
		return t, nil
	}
	if len(cands) == 0 {
		return nil, Errorf(NotFound, "No topic matches %q, and nothing on the roadmap is spelled like it. Try roadmap to see every topic.", Clip(arg, 40))
	}
	// Titles, not ids: they are what members recognise, and Find takes them back.
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.Title
	}
	if len(cands) > 1 && len(s.rm.Search(arg, 1)) > 0 {
		return nil, Errorf(NotFound, "%q matches several topics. Did you mean: %s?", Clip(arg, 40), strings.Join(names, "; "))
	}
	return nil, Errorf(NotFound, "No topic matches %q. Did you mean: %s?", Clip(arg, 40), strings.Join(names, "; "))
}

// mark sets a topic of the study's roadmap to status as one undoable change.
// read is the member as the command read it (see updateAfter), nil for none.
func (e *Engine) mark(ctx context.Context, req *Request, read *Member, s study, t *roadmap.Topic, status roadmap.Status) (*Member, error) {
	now := e.now()
	return e.updateAfter(ctx, req, read, func(m *Member) error {
		tr := m.track(s.id)
		prev := tr.Topics.Get(t.ID)
		if prev != nil && prev.Status == status {
			return Errorf(Conflict, "%s is already marked %s.", t.Title, status)
		}
		if p := s.rm.PickOf(t.ID); p != nil && status != roadmap.Skipped {
			if c := tr.Picks[p.ID]; c != "" && c != t.ID {
				return Errorf(Conflict, "You picked %s for %q. To switch, type: pick %s %s", s.title(c), p.Title, p.ID, roadmap.OptionName(t.ID))
			}
		}
		ch := Change{Roadmap: s.id, Topic: t.ID, At: now}
		var mk Mark
		if prev != nil {
			ch.Prev, ch.PrevAt = prev.Status, prev.At
			mk = *prev
		}
		mk.Status, mk.At = status, now
		if status == roadmap.Learning && mk.Started.IsZero() {
			mk.Started = now
		}
		tr.Topics.Set(t.ID, mk)
		ch.PrevReview = tr.Reviews[t.ID]
		if status == roadmap.Done {
			e.startReview(m, tr, t.ID, now)
		} else {
			delete(tr.Reviews, t.ID) // no longer done: nothing to review
		}
		if prev := m.Streak; e.touchStreak(m, now) {
			ch.PrevStreak = &prev
		}
		m.History = appendHistory(m.History, ch)
		return nil
	})
}

func (e *Engine) cmdStart(ctx context.Context, req *Request) (*Reply, error) {
	read, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := s.topic(req.Args["topic"])
	if err != nil {
		return nil, err
	}
	m, err := e.mark(ctx, req, read, s, t, roadmap.Learning)
	if err != nil {
		return nil, err
	}
	// Short, like every change: what changed and where to start; topic
	// shows the whole card.
	r := &Reply{Title: "📖 Learning: " + t.Title, Buttons: topicButtons(t, roadmap.Learning)}
	if res := pickResource(t.Resources); res != nil {
		r.Links = []Link{{Title: res.Title, URL: res.URL, Kind: res.Kind}}
	}
	e.streakFooter(r, m)
	return r, nil
}

func (e *Engine) cmdDone(ctx context.Context, req *Request) (*Reply, error) {
	m, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	var t *roadmap.Topic
	if arg := req.Args["topic"]; arg != "" {
		if t, err = s.topic(arg); err != nil {
			return nil, err
		}
	} else {
		res := s.rm.Next(s.trackOf(m))
		switch {
		case res.Complete:
			return nil, Errorf(Conflict, "You have finished the roadmap: there is nothing left to mark done.")
		case res.Pick != nil:
			return nil, Errorf(Conflict, "Choose first: %s. Type next to see the options.", res.Pick.Title)
		}
		t = res.Topic
	}
	return e.markReply(ctx, req, m, s, t, roadmap.Done, "✅ Done: ")
}

func (e *Engine) cmdSkip(ctx context.Context, req *Request) (*Reply, error) {
	read, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := s.topic(req.Args["topic"])
	if err != nil {
		return nil, err
	}
	return e.markReply(ctx, req, read, s, t, roadmap.Skipped, "⏭ Skipped: ")
}

// markReply marks t and answers with the confirmation and the member's next step.
func (e *Engine) markReply(ctx context.Context, req *Request, read *Member, s study, t *roadmap.Topic, status roadmap.Status, prefix string) (*Reply, error) {
	m, err := e.mark(ctx, req, read, s, t, status)
	if err != nil {
		return nil, err
	}
	// One reading of the track for the next step, the tally and the
	// milestone (each used to read it again).
	tr := s.trackOf(m)
	x := s.rm.Read(tr)
	defer x.Release()
	all, secs := x.Progress()
	r := s.changeReplyOf(tr, x.Next(), all, prefix+t.Title)
	e.streakFooter(r, m)
	if line := e.milestone(s, m, t, secs); line != "" {
		// Celebrated in the reply only: nothing is stored, so undoing the
		// change undoes the milestone too. The card is shared only on a click.
		r.Text = append([]string{line}, r.Text...)
		if e.Card != nil {
			r.Buttons = append(r.Buttons, Button{Label: "Share my card", Action: "card", Style: ButtonPrimary})
		}
	}
	return r, nil
}

// StreakMilestones are the streak lengths celebrated.
var StreakMilestones = []int{7, 30, 100}

// milestone names what the change to t just completed: t's section, or a
// streak of a milestone length reached today; "" when nothing. secs is the
// member's progress by section after the change.
func (e *Engine) milestone(s study, m *Member, t *roadmap.Topic, secs []roadmap.SectionTally) string {
	tr := s.trackOf(m)
	if st := tr.Status(t.ID); st.Finished() {
		for _, sec := range secs {
			if sec.Section == t.Section && sec.Total > 0 && sec.Done == sec.Total {
				return fmt.Sprintf("🎉 You finished the %s section!", sec.Section.Title)
			}
		}
	}
	today := e.now().In(e.zone(m)).Format(DateLayout)
	if m.Streak.Last == today && slices.Contains(StreakMilestones, m.Streak.Days) && len(m.History) > 0 {
		last := m.History[len(m.History)-1]
		if last.PrevStreak != nil { // this very change made the streak that long
			return fmt.Sprintf("🔥 %d days in a row!", m.Streak.Days)
		}
	}
	return ""
}

func (e *Engine) cmdUndo(ctx context.Context, req *Request) (*Reply, error) {
	var undone Change
	_, err := e.update(ctx, req, func(m *Member) error {
		if len(m.History) == 0 {
			return Errorf(Conflict, "Nothing to undo.")
		}
		undone = m.History[len(m.History)-1]
		if undone.Roadmap == "" {
			undone.Roadmap = BuiltinRoadmap
		}
		m.History = m.History[:len(m.History)-1]
		if undone.PrevStreak != nil {
			// The undone change was the one that counted its day; with no
			// other change left that day, the day comes off the streak.
			day := undone.At.In(e.zone(m)).Format(DateLayout)
			// Only topic changes count for a streak day; picks do not.
			if !slices.ContainsFunc(m.History, func(c Change) bool { return c.Pick == "" && c.At.In(e.zone(m)).Format(DateLayout) == day }) {
				m.Streak = *undone.PrevStreak
			}
		}
		tr := m.track(undone.Roadmap)
		if undone.Pick != "" {
			if undone.PrevPick == "" {
				delete(tr.Picks, undone.Pick)
			} else {
				tr.Picks[undone.Pick] = undone.PrevPick
			}
			return nil
		}
		mk := tr.Topics.Get(undone.Topic)
		if mk == nil {
			mk = &Mark{}
		}
		next := *mk
		next.Status, next.At = undone.Prev, undone.PrevAt
		tr.setMark(undone.Topic, next)
		// The topic's review goes back to what it was before the change:
		// none after undoing a first done, the old one after undoing a
		// skip or start over a finished topic.
		if undone.PrevReview != nil {
			if tr.Reviews == nil {
				tr.Reviews = map[string]*Review{}
			}
			rv := *undone.PrevReview
			tr.Reviews[undone.Topic] = &rv
		} else {
			delete(tr.Reviews, undone.Topic)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Names come from the undone change's roadmap, which need not be the
	// one the member follows now.
	s := study{undone.Roadmap, nil}
	if rec, err := e.Store.Space(ctx, req.Space); err == nil {
		s.rm, _ = e.roadmapIn(ctx, rec, undone.Roadmap)
	}
	if undone.Pick != "" {
		was := "no choice"
		if undone.PrevPick != "" {
			was = s.title(undone.PrevPick)
		}
		return &Reply{Title: "↩ Undone", Text: []string{fmt.Sprintf("Your %s pick is back to %s.", undone.Pick, was)}}, nil
	}
	was := string(undone.Prev)
	if was == "" {
		was = "not started"
	}
	return &Reply{Title: "↩ Undone", Text: []string{fmt.Sprintf("%s is back to %s.", s.title(undone.Topic), was)}}, nil
}

func (e *Engine) cmdPick(ctx context.Context, req *Request) (*Reply, error) {
	_, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	p := s.rm.Pick(strings.ToLower(strings.TrimSpace(req.Args["group"])))
	if p == nil {
		var ids []string
		for _, q := range s.rm.Picks {
			ids = append(ids, q.ID)
		}
		return nil, Errorf(NotFound, "No pick group %q. Groups: %s.", Clip(req.Args["group"], 30), strings.Join(ids, ", "))
	}
	opt, ok := s.rm.Option(p, req.Args["option"])
	if !ok {
		var names []string
		for _, o := range p.Options {
			names = append(names, roadmap.OptionName(o))
		}
		return nil, Errorf(NotFound, "%q is not an option of %s. Options: %s.", Clip(req.Args["option"], 30), p.ID, strings.Join(names, ", "))
	}
	now := e.now()
	m, err := e.update(ctx, req, func(m *Member) error {
		tr := m.track(s.id)
		prev := tr.Picks[p.ID]
		if prev == opt {
			return Errorf(Conflict, "You already picked %s.", s.title(opt))
		}
		tr.Picks[p.ID] = opt
		m.History = appendHistory(m.History, Change{Roadmap: s.id, Pick: p.ID, PrevPick: prev, At: now})
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := s.changeReply(s.trackOf(m), fmt.Sprintf("%s: you picked %s", p.Title, s.title(opt)))
	// A pick that does not go with another (a Node.js framework after Python)
	// stands, with a warning first; the "goes well with" hint would repeat it.
	if w := s.rm.Mismatch(s.trackOf(m), opt); w != "" {
		r.Text = append([]string{w}, r.Text...)
		return r, nil
	}
	if sug, ok := p.Suggests[opt]; ok {
		if q := s.rm.PickOf(sug); q != nil {
			r.Text = append(r.Text, fmt.Sprintf("Later on, %s goes well with it (pick %s %s).", s.title(sug), q.ID, roadmap.OptionName(sug)))
		}
	}
	return r, nil
}

func (e *Engine) cmdNote(ctx context.Context, req *Request) (*Reply, error) {
	_, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := s.topic(req.Args["topic"])
	if err != nil {
		return nil, err
	}
	text := strings.TrimSpace(req.Args["text"])
	_, err = e.update(ctx, req, func(m *Member) error {
		tr := m.track(s.id)
		mk := tr.Topics.Get(t.ID)
		if mk == nil {
			mk = &Mark{}
		}
		next := *mk
		if text == "-" {
			next.Note = ""
		} else {
			next.Note = text
		}
		tr.setMark(t.ID, next)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if text == "-" {
		return &Reply{Title: "📝 Note cleared", Text: []string{"Your note on " + t.Title + " is gone."}}, nil
	}
	return &Reply{Title: "📝 Note saved", Text: []string{"Your private note on " + t.Title + ": " + text}}, nil
}

// setMark stores a topic's mark; an empty one (no status, no note) is removed,
// so the record holds only topics the member did something with.
func (t *Track) setMark(topic string, mk Mark) {
	if mk == (Mark{}) {
		t.Topics.Delete(topic)
		return
	}
	t.Topics.Set(topic, mk)
}

// appendHistory adds c to history h, keeping the last MaxHistory changes in
// a slice of its own: with a full history (the usual case) one allocation
// and one copy, where append then trimming made two.
func appendHistory(h []Change, c Change) []Change {
	if len(h) < MaxHistory {
		return append(h, c)
	}
	out := make([]Change, MaxHistory)
	n := copy(out, h[len(h)-MaxHistory+1:])
	out[n] = c
	return out
}
