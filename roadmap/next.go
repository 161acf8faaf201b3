package roadmap

// Status is a member's mark on a topic. The zero value means "not started".
type Status string

// The marks a member can put on a topic.
const (
	Todo     Status = ""
	Learning Status = "learning"
	Done     Status = "done"
	Skipped  Status = "skipped"
)

// Finished reports whether the mark takes the topic off the member's path.
func (s Status) Finished() bool { return s == Done || s == Skipped }

// Learner is what the roadmap needs to know about a member.
type Learner interface {
	// Status returns the member's mark on a topic id.
	Status(topic string) Status
	// Choice returns the option topic id the member picked in a pick group, or "".
	Choice(pick string) string
}

// MarkLister is an optional extension of Learner. A learner that can list its
// marks lets Next and Progress look only at the topics it marked instead of
// every topic, so their cost follows the member's progress rather than the
// size of the roadmap. Results are the same either way.
type MarkLister interface {
	// Marks yields every topic the learner has marked (any status but Todo),
	// each once, in any order, until yield returns false. Ids the roadmap
	// does not know are ignored.
	Marks(yield func(topic string, s Status) bool)
}

// Chosen returns the option the learner follows in group p: their explicit pick,
// else the first option they are learning or have done (starting an option is
// choosing it), else "".
func (r *Roadmap) Chosen(l Learner, p *Pick) string {
	if c := l.Choice(p.ID); c != "" && r.pickOf[c] == p {
		return c
	}
	for _, o := range p.Options {
		if s := l.Status(o); s == Learning || s == Done {
			return o
		}
	}
	return ""
}

// Counts reports whether topic t is on the learner's path: every topic outside pick
// groups is, and of a group only the chosen option (or, before a choice, the group's
// first option standing in for the whole group).
func (r *Roadmap) Counts(l Learner, t *Topic) bool {
	p := t.pick
	if p == nil {
		return true
	}
	c := r.Chosen(l, p)
	if c == "" {
		return t.ID == p.Options[0]
	}
	return c == t.ID
}

// Finished reports whether t, a topic that Counts for the learner, is off
// their path: done or skipped, and for a pick group not chosen from yet,
// every option skipped.
func (r *Roadmap) Finished(l Learner, t *Topic) bool { return r.finished(l, t) }

// finished reports whether t (a counted topic) is off the path; an unchosen group
// is finished only when the member skipped every option.
func (r *Roadmap) finished(l Learner, t *Topic) bool {
	if p := t.pick; p != nil && r.Chosen(l, p) == "" {
		for _, o := range p.Options {
			if !l.Status(o).Finished() {
				return false
			}
		}
		return true
	}
	return l.Status(t.ID).Finished()
}

// Result is the answer to "what's next?".
type Result struct {
	Topic *Topic // the topic to study, or nil
	// Pick is set when the member must choose in a pick group before going on;
	// Suggested is the option their earlier picks point to, if any.
	Pick      *Pick
	Suggested string
	Complete  bool // nothing left: every counted topic is done or skipped
}

// Next returns the learner's next step: a topic they are learning (the earliest in
// roadmap order), else the first topic in roadmap order that is not done or skipped
// and whose prerequisites are, honouring picks: alternatives not chosen neither
// block nor count. When that step lies in a group with no choice yet, Next asks for
// the pick instead.
//
// Optional topics are suggested in their place like any other, but they never
// hold the roadmap open: once every required topic is finished the result is
// Complete, whatever optional topics remain.
func (r *Roadmap) Next(l Learner) Result {
	if t := r.learning(l); t != nil {
		return Result{Topic: t}
	}
	// The walk stops at the first ready topic, so it costs the finished
	// prefix of the roadmap, not the whole of it.
	var optional *Topic // the first ready optional topic, until a required one shows up
	for _, t := range r.topics {
		if !r.Counts(l, t) || r.finished(l, t) {
			continue
		}
		if optional != nil {
			if !t.Optional {
				return Result{Topic: optional}
			}
			continue
		}
		p := t.pick
		if p != nil && r.Chosen(l, p) == "" {
			for _, o := range p.Options {
				if !l.Status(o).Finished() && r.ready(l, r.byID[o]) {
					return Result{Pick: p, Suggested: r.suggested(l, p)}
				}
			}
			continue
		}
		if r.ready(l, t) {
			if !t.Optional {
				return Result{Topic: t}
			}
			optional = t
		}
	}
	return Result{Complete: true}
}

// learning returns the earliest topic on the learner's path that they are
// learning, or nil.
func (r *Roadmap) learning(l Learner) *Topic {
	if ml, ok := l.(MarkLister); ok {
		var first *Topic
		for id, s := range ml.Marks {
			if s != Learning {
				continue
			}
			if t := r.byID[id]; t != nil && (first == nil || t.Index < first.Index) && r.Counts(l, t) {
				first = t
			}
		}
		return first
	}
	for _, t := range r.topics {
		if l.Status(t.ID) == Learning && r.Counts(l, t) {
			return t
		}
	}
	return nil
}

// ready reports whether every prerequisite of t is satisfied for the learner.
// An optional prerequisite never blocks: it orders topics, it does not gate them.
func (r *Roadmap) ready(l Learner, t *Topic) bool {
	for _, a := range t.After {
		if l.Status(a).Finished() || r.byID[a].Optional {
			continue
		}
		if p := r.pickOf[a]; p != nil {
			if c := r.Chosen(l, p); c != "" && c != a {
				continue // an alternative the member did not choose
			}
		}
		return false
	}
	return true
}

// suggested returns the option of p that the learner's other choices suggest.
func (r *Roadmap) suggested(l Learner, p *Pick) string {
	for _, q := range r.Picks {
		if q == p {
			continue
		}
		if c := r.Chosen(l, q); c != "" {
			if s, ok := q.Suggests[c]; ok && r.pickOf[s] == p {
				return s
			}
		}
	}
	return ""
}

// Tally counts topics on a member's path. Optional topics are outside Done and
// Total; OptionalDone counts the ones the member did (skipping one is no
// achievement).
type Tally struct {
	Done         int // done or skipped
	Total        int
	OptionalDone int
}

// Percent is Done/Total rounded down, 0 for an empty tally.
func (t Tally) Percent() int {
	if t.Total == 0 {
		return 0
	}
	return t.Done * 100 / t.Total
}

// SectionTally is one section's share of a member's progress.
type SectionTally struct {
	Section *Section
	Tally
}

// Progress returns (done + skipped) / required topics that count for the
// learner, overall and per section in roadmap order.
func (r *Roadmap) Progress(l Learner) (Tally, []SectionTally) {
	secs := make([]SectionTally, len(r.Sections))
	if ml, ok := l.(MarkLister); ok {
		r.progressFromMarks(l, ml, secs)
	} else {
		r.progressFromTopics(l, secs)
	}
	var all Tally
	for i, s := range r.Sections {
		secs[i].Section = s
		all.Done += secs[i].Done
		all.Total += secs[i].Total
		all.OptionalDone += secs[i].OptionalDone
	}
	return all, secs
}

// progressFromTopics fills in secs by asking about every topic.
func (r *Roadmap) progressFromTopics(l Learner, secs []SectionTally) {
	for _, t := range r.topics {
		sec := &secs[t.Section.index]
		switch {
		case t.Optional:
			if l.Status(t.ID) == Done {
				sec.OptionalDone++
			}
		case !r.Counts(l, t):
		default:
			sec.Total++
			if r.finished(l, t) {
				sec.Done++
			}
		}
	}
}

// progressFromMarks fills in secs from the learner's marks: totals come from
// counts made at Parse plus one slot per pick group, and only marked topics are
// looked at for what is finished.
func (r *Roadmap) progressFromMarks(l Learner, ml MarkLister, secs []SectionTally) {
	for i, s := range r.Sections {
		secs[i].Total = s.required
	}
	var buf [8]string
	chosen := buf[:0]
	for _, p := range r.Picks {
		c := r.Chosen(l, p)
		chosen = append(chosen, c)
		// Before a choice the first option stands in for the group, and is
		// finished only when every option was skipped.
		slot := c
		if slot == "" {
			slot = p.Options[0]
		}
		i := r.byID[slot].Section.index
		secs[i].Total++
		if c == "" && r.finished(l, r.byID[slot]) {
			secs[i].Done++
		}
	}
	for id, s := range ml.Marks {
		t := r.byID[id]
		if t == nil || !s.Finished() {
			continue
		}
		i := t.Section.index
		p := t.pick
		switch {
		case t.Optional:
			if s == Done {
				secs[i].OptionalDone++
			}
		case p == nil, chosen[p.index] == id:
			secs[i].Done++
		}
	}
}
