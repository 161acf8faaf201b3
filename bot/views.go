package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/studybot/studybot/roadmap"
)

func topicButtons(t *roadmap.Topic, status roadmap.Status) []Button {
	bs := make([]Button, 0, 4)
	if status != roadmap.Done {
		bs = append(bs, Button{Label: "Done", Action: Action("done", t.ID), Style: ButtonSuccess})
	}
	if status != roadmap.Learning && status != roadmap.Done {
		bs = append(bs, Button{Label: "Learning", Action: Action("start", t.ID), Style: ButtonPrimary})
	}
	if status != roadmap.Skipped && status != roadmap.Done {
		bs = append(bs, Button{Label: "Skip", Action: Action("skip", t.ID)})
	}
	return append(bs, Button{Label: "Next", Action: "next"})
}

func (e *Engine) cmdNext(ctx context.Context, req *Request) (*Reply, error) {
	m, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	t := s.trackOf(m)
	return s.nextReply(t, s.rm.Next(t), "Next up"), nil
}

// followUp is the next step after a change. The caller retitles the reply with
// what changed, so the next topic's name moves into the text.
func (e *Engine) followUp(m *Member, s study) *Reply {
	t := s.trackOf(m)
	res := s.rm.Next(t)
	r := s.nextReply(t, res, "Next up")
	if res.Topic != nil {
		r.Text = append([]string{"Next up: " + res.Topic.Title}, r.Text...)
	}
	return r
}

// changeReply answers a change in two lines, to fit a phone: the title
// says what changed, one line names what is next (with its buttons). The
// whole topic card comes with next or topic.
func (s study) changeReply(tr *Track, title string) *Reply {
	res, all := s.rm.NextAndOverall(tr)
	return s.changeReplyOf(tr, res, all, title)
}

// changeReplyOf is changeReply for a caller that has the member's next step
// and tally already.
func (s study) changeReplyOf(tr *Track, res roadmap.Result, all roadmap.Tally, title string) *Reply {
	r := &Reply{Title: title}
	switch {
	case res.Complete:
		r.Text = []string{fmt.Sprintf("You finished the roadmap: %d of %d topics behind you. 🎉", all.Done, all.Total)}
	case res.Pick != nil:
		p := s.pickReply(res)
		r.Text = []string{fmt.Sprintf("Next: choose %s · %d of %d behind you", res.Pick.Title, all.Done, all.Total)}
		r.Buttons = p.Buttons
	default:
		r.Text = []string{fmt.Sprintf("Next up: %s · %d of %d behind you", res.Topic.Title, all.Done, all.Total)}
		r.Buttons = topicButtons(res.Topic, tr.Status(res.Topic.ID))
	}
	return r
}

// nextReply describes the member's next step res on the study's roadmap;
// tr is their track there.
func (s study) nextReply(tr *Track, res roadmap.Result, heading string) *Reply {
	switch {
	case res.Complete:
		return &Reply{Title: "You finished the roadmap! 🎉",
			Text: []string{"Every topic on your path is done or skipped. Try a challenge, or help someone in your group."}}
	case res.Pick != nil:
		return s.pickReply(res)
	}
	t := res.Topic
	status := tr.Status(t.ID)
	// Sized for what this reply can hold: next runs for one member in
	// microseconds, and growing these slices was a good part of it.
	fields := make([]Field, 2, 3)
	fields[0] = Field{Name: "Section", Value: t.Section.Title, Inline: true}
	fields[1] = Field{Name: "Estimate", Value: hours(t.Hours), Inline: true}
	r := &Reply{
		Title:   heading + ": " + t.Title,
		Text:    []string{t.Summary},
		Fields:  fields,
		Buttons: topicButtons(t, status),
		Footer:  t.ID,
	}
	if s.id != BuiltinRoadmap {
		r.Footer = s.rm.Title + " · " + t.ID
	}
	if status == roadmap.Learning {
		r.Fields = append(r.Fields, Field{Name: "Status", Value: "learning", Inline: true})
	}
	if len(t.Resources) > 0 {
		res := t.Resources[0]
		r.Links = []Link{{Title: res.Title, URL: res.URL, Kind: res.Kind}}
	}
	return r
}

func (s study) pickReply(res roadmap.Result) *Reply {
	p := res.Pick
	opts := make([]string, 0, len(p.Options))
	bs := make([]Button, 0, min(5, len(p.Options)))
	for _, o := range p.Options {
		name := roadmap.OptionName(o)
		opts = append(opts, s.title(o)+" (pick "+p.ID+" "+name+")")
		if len(bs) < 5 {
			style := ButtonSecondary
			if o == res.Suggested {
				style = ButtonPrimary
			}
			bs = append(bs, Button{Label: s.title(o), Action: Action("pick", p.ID, name), Style: style})
		}
	}
	r := &Reply{Title: "Time to choose: " + p.Title, Text: []string{"Choose one; the others drop off your path. Options: " + strings.Join(opts, ", ") + "."}}
	if res.Suggested != "" {
		r.Text = append(r.Text, fmt.Sprintf("Your earlier choice suggests %s.", s.title(res.Suggested)))
	}
	if len(p.Options) <= 5 {
		r.Buttons = bs
	}
	return r
}

func hours(h int) string {
	if h >= 0 && h < len(hourTexts) {
		return hourTexts[h]
	}
	return hoursText(h)
}

// hourTexts are hours' answers for the estimates topics have, made once.
var hourTexts = func() (t [100]string) {
	for h := range t {
		t[h] = hoursText(h)
	}
	return t
}()

func hoursText(h int) string {
	if h == 1 {
		return "about 1 hour"
	}
	return "about " + strconv.Itoa(h) + " hours"
}

func (e *Engine) streakFooter(r *Reply, m *Member) {
	if s := e.CurrentStreak(m); s > 0 {
		r.Footer = strings.TrimSpace(r.Footer + fmt.Sprintf(" · streak %d day%s", s, plural(s)))
		r.Footer = strings.TrimPrefix(r.Footer, "· ")
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// title names a topic id, even one the roadmap no longer has (or, with no
// roadmap at hand, by its id).
func (s study) title(id string) string {
	if s.rm != nil {
		if t := s.rm.Topic(id); t != nil {
			return t.Title
		}
	}
	return id
}

func (e *Engine) cmdProgress(ctx context.Context, req *Request) (*Reply, error) {
	m, st, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	tr := st.trackOf(m)
	// One reading of the track answers the tally, the learning list, the
	// next step and the estimate (each used to read the track again).
	x := st.rm.Read(tr)
	defer x.Release()
	all, secs := x.Progress()
	r := &Reply{
		Title:  "Your progress: " + st.rm.Title,
		Text:   make([]string, 1, 2),
		Bars:   make([]Bar, 1, 1+len(secs)),
		Fields: make([]Field, 0, 6),
	}
	r.Text[0] = fmt.Sprintf("%d of %d topics done or skipped (%d%%).", all.Done, all.Total, all.Percent())
	r.Bars[0] = Bar{Label: "Overall", Done: all.Done, Total: all.Total}
	for _, s := range secs {
		r.Bars = append(r.Bars, Bar{Label: s.Section.Title, Done: s.Done, Total: s.Total})
	}
	// In roadmap order, from the reading's array by topic index.
	var learning []string
	for _, t := range st.rm.Topics() {
		if x.Status(t) == roadmap.Learning {
			learning = append(learning, t.Title)
		}
	}
	if len(learning) > 0 {
		r.Fields = append(r.Fields, Field{Name: "Learning", Value: strings.Join(learning, ", ")})
	}
	if res := x.Next(); res.Topic != nil {
		r.Fields = append(r.Fields, Field{Name: "Next", Value: res.Topic.Title, Inline: true})
	}
	if left, text := st.estimate(m, tr, x, e.now()); left > 0 || text != "" {
		r.Fields = append(r.Fields, Field{Name: "Hours left", Value: "about " + strconv.Itoa(left), Inline: true})
		r.Text = append(r.Text, text)
	}
	if all.OptionalDone > 0 {
		r.Fields = append(r.Fields, Field{Name: "Optional", Value: fmt.Sprintf("%d done (not counted)", all.OptionalDone), Inline: true})
	}
	s := e.CurrentStreak(m)
	r.Fields = append(r.Fields, Field{Name: "Streak", Value: fmt.Sprintf("%d day%s (best %d)", s, plural(s), m.Streak.Best), Inline: true})
	if m.Answered > 0 {
		r.Fields = append(r.Fields, Field{Name: "Challenges", Value: fmt.Sprintf("%d answered", m.Answered), Inline: true})
	}
	return r, nil
}

// cmdCard posts the member's progress as a picture for the group to see. It is
// its own command because drawing takes milliseconds, while progress answers in
// microseconds.
func (e *Engine) cmdCard(ctx context.Context, req *Request) (*Reply, error) {
	if e.Card == nil {
		return nil, Errorf(Conflict, "Progress cards are shown on Discord and Slack; here, try progress.")
	}
	r, err := e.cmdProgress(ctx, req)
	if err != nil {
		return nil, err
	}
	name := req.Name
	if name == "" {
		name = req.Member
	}
	png, err := e.Card(name+" · "+e.Roadmap.Title, r.Text[0], r.Bars)
	if err != nil {
		return nil, Wrap(err, "draw card")
	}
	return &Reply{Title: name + "'s progress", File: &File{Name: "progress.png", Type: "image/png", Data: png}, Public: true}, nil
}

// marker is a topic's status as one symbol, for lists.
func marker(s roadmap.Status) string {
	switch s {
	case roadmap.Done:
		return "✅"
	case roadmap.Learning:
		return "📖"
	case roadmap.Skipped:
		return "⏭"
	}
	return "⬜"
}

// noSection refuses a section argument, naming the roadmap's sections.
func noSection(st study, arg string, alts []*roadmap.Section) error {
	var names []string
	for _, s := range alts {
		names = append(names, s.Title+" ("+s.ID+")")
	}
	if len(names) > 0 {
		return Errorf(NotFound, "No section %q in %s. Did you mean: %s?", Clip(arg, 30), st.rm.Title, strings.Join(names, "; "))
	}
	ids := make([]string, len(st.rm.Sections))
	for i, s := range st.rm.Sections {
		ids[i] = s.ID
	}
	return Errorf(NotFound, "No section %q in %s. Sections: %s.", Clip(arg, 30), st.rm.Title, strings.Join(ids, ", "))
}

func (e *Engine) cmdRoadmap(ctx context.Context, req *Request) (*Reply, error) {
	m, st, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	tr := st.trackOf(m)
	if arg := strings.TrimSpace(req.Args["section"]); arg != "" {
		s, alts := st.rm.FindSection(arg)
		if s == nil {
			return nil, noSection(st, arg, alts)
		}
		r := &Reply{Title: fmt.Sprintf("%s (%s)", s.Title, s.Stage)}
		if s.Summary != "" {
			r.Text = append(r.Text, s.Summary)
		}
		for _, t := range s.Topics {
			line := fmt.Sprintf("%s %s — %s", marker(tr.Status(t.ID)), t.Title, t.ID)
			if t.Optional {
				line += " (optional)"
			}
			if !st.rm.Counts(tr, t) {
				if c := st.rm.Chosen(tr, st.rm.PickOf(t.ID)); c != "" {
					line += " (not your pick)"
				}
			}
			if mk := tr.Topics.Get(t.ID); mk != nil && mk.Note != "" {
				line += " 📝"
			}
			r.Text = append(r.Text, line)
		}
		return r, nil
	}
	_, secs := st.rm.Progress(tr)
	r := &Reply{Title: "Roadmap: " + st.rm.Title, Text: []string{"Type roadmap <section> to see its topics; roadmap list for the group's other roadmaps."}}
	stage := ""
	for _, s := range secs {
		label := s.Section.Title + " (" + s.Section.ID + ")"
		if s.Section.Stage != stage {
			stage = s.Section.Stage
			label = strings.ToUpper(stage[:1]) + stage[1:] + " · " + label
		}
		r.Bars = append(r.Bars, Bar{Label: label, Done: s.Done, Total: s.Total})
	}
	return r, nil
}

func (e *Engine) cmdTopic(ctx context.Context, req *Request) (*Reply, error) {
	m, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := s.topic(req.Args["topic"])
	if err != nil {
		return nil, err
	}
	tr := s.trackOf(m)
	st := tr.Status(t.ID)
	status := string(st)
	if st == roadmap.Todo {
		status = "not started"
	}
	r := &Reply{
		Title: t.Title,
		Text:  []string{t.Summary},
		Fields: []Field{
			{Name: "Section", Value: t.Section.Title, Inline: true},
			{Name: "Estimate", Value: hours(t.Hours), Inline: true},
			{Name: "Your status", Value: marker(st) + " " + status, Inline: true},
		},
		Buttons: topicButtons(t, st),
		Footer:  t.ID,
	}
	if len(t.After) > 0 {
		var names []string
		for _, a := range t.After {
			if s.rm.Counts(tr, s.rm.Topic(a)) {
				names = append(names, marker(tr.Status(a))+" "+s.title(a))
			}
		}
		if len(names) > 0 {
			r.Fields = append(r.Fields, Field{Name: "After", Value: strings.Join(names, ", ")})
		}
	}
	if t.Challenge != "" {
		r.Fields = append(r.Fields, Field{Name: "Try this", Value: t.Challenge})
	}
	if mk := tr.Topics.Get(t.ID); mk != nil && mk.Note != "" {
		r.Fields = append(r.Fields, Field{Name: "Your note", Value: mk.Note})
	}
	for _, res := range t.Resources {
		r.Links = append(r.Links, Link{Title: res.Title, URL: res.URL, Kind: res.Kind})
	}
	return r, nil
}

func (e *Engine) cmdStreak(ctx context.Context, req *Request) (*Reply, error) {
	m, err := e.member(ctx, req)
	if err != nil {
		return nil, err
	}
	s := e.CurrentStreak(m)
	r := &Reply{Title: fmt.Sprintf("🔥 Streak: %d day%s", s, plural(s)),
		Fields: []Field{{Name: "Best", Value: fmt.Sprintf("%d day%s", m.Streak.Best, plural(m.Streak.Best)), Inline: true}}}
	if s == 0 {
		r.Text = []string{"Mark any progress today (start, done or skip) to start a streak."}
	} else {
		r.Text = []string{"Days in a row with progress, counted in your time zone (" + e.zone(m).String() + "). Keep it going!"}
	}
	return r, nil
}

func (e *Engine) cmdHelp(ctx context.Context, req *Request) (*Reply, error) {
	if name := strings.TrimSpace(req.Args["command"]); name != "" {
		name = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(name, "/studymod "), "/study "), "/")
		c := Lookup(name)
		if c == nil {
			if subs := groupUsage(strings.ToLower(name)); subs != "" {
				return &Reply{Title: "/study " + strings.ToLower(name), Text: strings.Split(subs, " | ")}, nil
			}
			return nil, Errorf(NotFound, "No command %q. Type help to see them all.", Clip(name, 40))
		}
		r := &Reply{Title: c.Usage(), Text: []string{c.Help}}
		for _, o := range c.Options {
			req := "optional"
			if o.Required {
				req = "required"
			}
			r.Fields = append(r.Fields, Field{Name: o.Name + " (" + req + ")", Value: o.Help})
		}
		return r, nil
	}
	r := &Reply{Title: "studybot: study roadmaps with your group",
		Text: []string{"Start with next. Mark topics with start, done and skip; see where you are with progress."}}
	access := req.Access
	if access == AccessMember {
		// A moderator added with "moderators add" sees their commands too;
		// help is rare enough to pay the read that Handle spares others.
		if ok, err := e.isModerator(ctx, req.Space, req.Member); err != nil {
			e.log().Warn("read moderators for help", "space", req.Space.Key(), "err", err)
		} else if ok {
			access = AccessModerator
		}
	}
	for _, c := range commandTable {
		if c.ForModerators() && access < AccessModerator {
			continue
		}
		r.Fields = append(r.Fields, Field{Name: c.Usage(), Value: c.Help})
	}
	r.Footer = "help <command> explains one command."
	if access < AccessModerator && req.Space.Platform == PlatformDiscord {
		// Discord may let this member use /studymod through a server's
		// Integrations settings, which /study cannot see.
		r.Footer += " Moderators: type /studymod and Discord lists its commands."
	}
	return r, nil
}
