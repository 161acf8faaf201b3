package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// Windows of the group view.
const (
	groupWeek      = 7 * 24 * time.Hour  // "finished this week"
	groupPaceSpan  = 28 * 24 * time.Hour // pace: done marks in 4 weeks, per week
	groupIdleAfter = 14 * 24 * time.Hour // moderators see members idle this long
	groupTopOn     = 3                   // topics most of the group is on
	groupMaxNames  = 10                  // names in one list before "and N more"
)

// groupFinisher is one member who finished topics this week.
type groupFinisher struct {
	name   string
	topics []*roadmap.Topic
}

// cmdGroup describes the members following the space's default roadmap, in
// one pass over the members. Names appear only for members who opted in
// with buddy on; moderators also see who has been idle.
func (e *Engine) cmdGroup(ctx context.Context, req *Request) (*Reply, error) {
	rec, err := e.Store.Space(ctx, req.Space)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	// A member with no choice follows the default (or the built-in when the
	// default no longer loads).
	s, err := e.followed(ctx, rec, &Member{})
	if err != nil {
		return nil, err
	}
	now := e.now()
	weekFrom, paceFrom, idleFrom := now.Add(-groupWeek), now.Add(-groupPaceSpan), now.Add(-groupIdleAfter)

	var (
		members    int
		percents   [101]int // members by overall percent: a median without sorting
		bySection  = map[*roadmap.Section]int{}
		finished   int // members who finished the roadmap
		on         = map[*roadmap.Topic]int{}
		named      []groupFinisher
		anonymous  int // members who finished topics this week but did not opt in
		weekTopics int
		paceDone   int
		idle       []string
		idleCount  int
	)
	// A moderator added with "moderators add" asks as a member; the space
	// record read above says so without another read (see isModerator).
	moderator := req.Access >= AccessModerator || (req.Space.Platform != PlatformDiscord &&
		(slices.Contains(e.configured(req.Space), req.Member) || slices.Contains(rec.Moderators, req.Member)))
	var fast []string // moderators see who marked topics done too fast to rank
	err = e.briefs(ctx, req.Space, func(m *Member) error {
		id := followedID(rec, m)
		if id == defaultRoadmap(rec) {
			id = s.id // the default as it loaded (the built-in if it does not)
		}
		if id != s.id {
			return nil
		}
		members++
		tr := m.Track(s.id)
		// One pass over the marks for the roadmap's reading (next step,
		// tally), the week, the pace and (moderators) the done instants
		// that could be too fast: this runs for every member of the space,
		// and a pass of its own for the reading cost as much again.
		x := s.rm.ReadChoices(tr)
		var week []*roadmap.Topic
		var doneBuf [160]int64
		done := doneBuf[:0]
		for i := range tr.Topics {
			mk := &tr.Topics[i]
			if mk.Status == roadmap.Todo {
				continue
			}
			t := s.rm.Topic(mk.Topic)
			if t != nil {
				x.Set(t, mk.Status)
			}
			if mk.Status != roadmap.Done {
				continue
			}
			if moderator && !mk.At.IsZero() {
				done = append(done, mk.At.UnixNano())
			}
			if mk.At.Before(paceFrom) || mk.At.After(now) {
				continue
			}
			if t == nil {
				continue // a topic this version of the roadmap no longer has
			}
			paceDone++
			if !mk.At.Before(weekFrom) {
				week = append(week, t)
			}
		}
		res, all := x.Next(), x.Overall()
		x.Release()
		percents[min(100, max(0, all.Percent()))]++
		if t := onTopic(s.rm, res); t != nil {
			bySection[t.Section]++
			on[t]++
		} else {
			finished++
		}
		if moderator && e.mayBeFast(done) {
			if st := e.standing(m, s, time.Time{}); st.fast > 0 {
				fast = append(fast, fmt.Sprintf("%s (%d)", memberName(m), st.fast))
			}
		}
		if len(week) > 0 {
			weekTopics += len(week)
			if m.Buddy && !m.Hidden { // opted in, and not hidden from the leaderboard
				slices.SortFunc(week, func(a, b *roadmap.Topic) int { return a.Index - b.Index })
				named = append(named, groupFinisher{memberName(m), week})
			} else {
				anonymous++
			}
		}
		if !m.Seen.After(idleFrom) { // idle 14 days or more
			idleCount++
			if len(idle) < groupMaxNames {
				idle = append(idle, memberName(m))
			}
		}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "list members")
	}

	r := &Reply{Title: "Group: " + s.rm.Title}
	which := "the group's default roadmap"
	if members == 0 {
		r.Text = []string{fmt.Sprintf("Nobody follows %s (%s) yet. Type next to be the first!", s.rm.Title, which)}
	} else {
		r.Text = []string{fmt.Sprintf("%d member%s follow%s %s (%s). Median progress: %d%%.",
			members, plural(members), verbS(members), s.rm.Title, which, medianPercent(percents[:], members))}
		r.Fields = append(r.Fields,
			Field{Name: "Where members are", Value: sectionCounts(s.rm, bySection, finished)},
			Field{Name: "Most are on", Value: topOn(s.rm, on)},
			Field{Name: "Finished this week", Value: finishersLine(named, anonymous, weekTopics)},
			Field{Name: "Pace", Value: pace(paceDone), Inline: true},
		)
	}
	r.Fields = append(r.Fields, Field{Name: "Next challenge", Value: e.nextChallenge(req.Space, rec), Inline: true})
	if moderator && members > 0 {
		v := "Nobody."
		if idleCount > 0 {
			v = fmt.Sprintf("%d: %s", idleCount, Clip(strings.Join(idle, ", "), 900))
			if more := idleCount - len(idle); more > 0 {
				v += fmt.Sprintf(" and %d more", more)
			}
		}
		r.Fields = append(r.Fields, Field{Name: "Inactive 14+ days (moderators only)", Value: v})
		if len(fast) > 0 {
			slices.Sort(fast)
			r.Fields = append(r.Fields, Field{Name: "Too fast to rank (moderators only)", Value: Clip(strings.Join(fast, ", "), 900)})
		}
	}
	r.Footer = "Names show only for members who turned on buddy (buddy on)."
	return r, nil
}

// onTopic is the topic a member's next step is on: the topic, or in a pick
// the option their earlier picks suggest, else its first. nil when they
// finished the roadmap.
func onTopic(rm *roadmap.Roadmap, res roadmap.Result) *roadmap.Topic {
	switch {
	case res.Topic != nil:
		return res.Topic
	case res.Pick != nil && len(res.Pick.Options) > 0:
		o := res.Pick.Options[0]
		if res.Suggested != "" {
			o = res.Suggested
		}
		return rm.Topic(o)
	}
	return nil
}

// memberName is how the group view names a member.
func memberName(m *Member) string {
	if m.Name != "" {
		return Clip(m.Name, 40)
	}
	return Clip(m.ID, 40)
}

func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

// medianPercent is the median of n values counted by percent in counts.
func medianPercent(counts []int, n int) int {
	if n == 0 {
		return 0
	}
	// The values at sorted positions lo and hi (equal for odd n).
	lo, hi := (n-1)/2, n/2
	var a, b, seen int
	aSet := false
	for p, c := range counts {
		if c == 0 {
			continue
		}
		if !aSet && seen+c > lo {
			a, aSet = p, true
		}
		if seen+c > hi {
			b = p
			break
		}
		seen += c
	}
	return (a + b) / 2
}

// sectionCounts lists how many members are in each section, in roadmap
// order, then those who finished.
func sectionCounts(rm *roadmap.Roadmap, by map[*roadmap.Section]int, finished int) string {
	var parts []string
	for _, sec := range rm.Sections {
		if n := by[sec]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", sec.Title, n))
		}
	}
	if finished > 0 {
		parts = append(parts, fmt.Sprintf("finished %d", finished))
	}
	return Clip(strings.Join(parts, " · "), 1000)
}

// topOn names the topics most members are on, ties in roadmap order.
func topOn(rm *roadmap.Roadmap, on map[*roadmap.Topic]int) string {
	ts := make([]*roadmap.Topic, 0, len(on))
	for t := range on {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *roadmap.Topic) int {
		if on[a] != on[b] {
			return on[b] - on[a]
		}
		return a.Index - b.Index
	})
	if len(ts) == 0 {
		return "Everyone finished the roadmap."
	}
	var parts []string
	for _, t := range ts[:min(groupTopOn, len(ts))] {
		parts = append(parts, fmt.Sprintf("%s (%d)", t.Title, on[t]))
	}
	return strings.Join(parts, ", ")
}

// finishersLine names opted-in finishers with their topics and counts the
// others.
func finishersLine(named []groupFinisher, anonymous, topics int) string {
	if len(named) == 0 && anonymous == 0 {
		return "Nothing yet this week."
	}
	slices.SortFunc(named, func(a, b groupFinisher) int {
		if len(a.topics) != len(b.topics) {
			return len(b.topics) - len(a.topics)
		}
		return strings.Compare(a.name, b.name)
	})
	var parts []string
	for _, f := range named[:min(groupMaxNames, len(named))] {
		titles := make([]string, len(f.topics))
		for i, t := range f.topics {
			titles[i] = t.Title
		}
		parts = append(parts, f.name+": "+Clip(strings.Join(titles, ", "), 80))
	}
	v := strings.Join(parts, "; ")
	others := anonymous + max(0, len(named)-groupMaxNames)
	switch {
	case v == "":
		v = fmt.Sprintf("%d member%s", others, plural(others))
	case others > 0:
		v += fmt.Sprintf("; and %d other%s", others, plural(others))
	}
	return Clip(fmt.Sprintf("%s (%d topic%s)", v, topics, plural(topics)), 1000)
}

// pace is topics done per week over the last 4 weeks.
func pace(done int) string {
	return fmt.Sprintf("%.1f topics a week (last 4 weeks)", float64(done)/4)
}

// nextChallenge says when the space's next scheduled challenge comes: from
// the running scheduler when it can tell, else from the stored schedule.
func (e *Engine) nextChallenge(sp Space, rec *SpaceRecord) string {
	sch := rec.Challenge
	if sch.Spec == "" {
		return "None scheduled."
	}
	where := ChannelMention(sp.Platform, sch.Channel)
	if nr, ok := e.Scheduler.(NextRunner); ok {
		if next := nr.NextRun(sp); !next.IsZero() {
			return next.Format("Mon 2 Jan 2006 15:04 MST") + " in " + where
		}
	}
	return scheduleName(sch) + " in " + where
}

// briefs reads every member of a space for a view over all of them (group,
// leaderboard): through MemberBriefs when the store has it, which leaves
// out what such views never show, else through Members.
func (e *Engine) briefs(ctx context.Context, sp Space, fn func(*Member) error) error {
	if mb, ok := e.Store.(MemberBriefs); ok {
		return mb.Briefs(ctx, sp, fn)
	}
	return e.Store.Members(ctx, sp, fn)
}

// mayBeFast reports whether more than fastDone of the done instants
// (Unix nanoseconds, of all a track's done marks) fall within one minute,
// before standing asks which of them count on the member's path: most
// members have none, and this costs no roadmap lookups, where standing
// costs several per mark. It sorts done.
func (e *Engine) mayBeFast(done []int64) bool {
	limit := e.fastDone()
	if len(done) <= limit {
		return false
	}
	slices.Sort(done)
	for i := limit; i < len(done); i++ {
		if done[i]-done[i-limit] < int64(time.Minute) {
			return true
		}
	}
	return false
}
