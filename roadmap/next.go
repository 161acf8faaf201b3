package roadmap

import "sync"

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

// marks is how the walks below ask about a learner. learnerMarks asks the
// Learner itself (a map lookup per question, for the exported one-topic
// helpers); denseMarks reads the learner once into arrays by topic and pick
// index, so Next and Progress, which views over a whole space run for every
// member, ask an array instead of a map. The walks are generic functions
// rather than taking the interface, so a learnerMarks is not boxed (one
// allocation per Counts) on the way in.
type marks interface {
	status(t *Topic) Status
	// statusOf is status for an id that may name no topic here.
	statusOf(id string) Status
	choice(p *Pick) string
	// memo and keep remember chosen's answer per pick group, where the
	// marks cannot change (denseMarks): the walks ask it for every topic
	// of a group, and it walks the group's options each time.
	memo(p *Pick) (string, bool)
	keep(p *Pick, chosen string)
}

type learnerMarks struct{ l Learner }

func (m learnerMarks) status(t *Topic) Status    { return m.l.Status(t.ID) }
func (m learnerMarks) statusOf(id string) Status { return m.l.Status(id) }
func (m learnerMarks) choice(p *Pick) string     { return m.l.Choice(p.ID) }
func (learnerMarks) memo(*Pick) (string, bool)   { return "", false }
func (learnerMarks) keep(*Pick, string)          {}

// denseMarks holds a learner's statuses by Topic.Index and choices by
// Pick.index, in buffers of its own for roadmaps of up to denseTopics
// topics; they come from densePool. Statuses are kept as one-byte codes
// (a status string is 16 bytes): the struct is what every reading clears
// on release, and allocates when the pool was emptied by a collection.
type denseMarks struct {
	r       *Roadmap
	l       Learner
	st      []statusCode
	choices []string
	stBuf   [denseTopics]statusCode
	chBuf   [8]string
	// chosen's answers by pick index, for the first len(known) groups.
	chosen [8]string
	known  [8]bool
}

const denseTopics = 160

// densePool recycles denseMarks: the walks reach them through the marks
// interface, so they would escape to the heap, 2.6 KB a call.
var densePool = sync.Pool{New: func() any { return new(denseMarks) }}

// dense reads l into a denseMarks, which the caller releases: from its
// marks when it lists them (the cost of what it marked), else by asking
// for every topic.
func (r *Roadmap) dense(l Learner) *denseMarks {
	d := r.denseChoices(l)
	if ml, ok := l.(MarkLister); ok {
		for id, s := range ml.Marks {
			if t := r.byID[id]; t != nil {
				d.st[t.Index] = codeOf(s)
			}
		}
	} else {
		for i, t := range r.topics {
			d.st[i] = codeOf(l.Status(t.ID))
		}
	}
	return d
}

// denseChoices is a denseMarks for l with its choices read and every
// status Todo.
func (r *Roadmap) denseChoices(l Learner) *denseMarks {
	d := densePool.Get().(*denseMarks)
	d.r, d.l = r, l
	if len(r.topics) <= len(d.stBuf) {
		d.st = d.stBuf[:len(r.topics)]
	} else {
		d.st = make([]statusCode, len(r.topics))
	}
	if len(r.Picks) <= len(d.chBuf) {
		d.choices = d.chBuf[:len(r.Picks)]
	} else {
		d.choices = make([]string, len(r.Picks))
	}
	for i, p := range r.Picks {
		d.choices[i] = l.Choice(p.ID)
	}
	return d
}

// release returns d to the pool, holding nothing of the learner's.
func (d *denseMarks) release() {
	clear(d.st)
	clear(d.choices)
	d.chosen, d.known = [8]string{}, [8]bool{}
	d.r, d.l, d.st, d.choices = nil, nil, nil, nil
	densePool.Put(d)
}

func (d *denseMarks) status(t *Topic) Status {
	if t.Index < len(d.st) && d.r.topics[t.Index] == t {
		switch d.st[t.Index] {
		case codeTodo:
			return Todo
		case codeLearning:
			return Learning
		case codeDone:
			return Done
		case codeSkipped:
			return Skipped
		}
	}
	return d.l.Status(t.ID)
}

func (d *denseMarks) statusOf(id string) Status {
	if t := d.r.byID[id]; t != nil {
		return d.status(t)
	}
	return d.l.Status(id)
}

func (d *denseMarks) memo(p *Pick) (string, bool) {
	if p.index < len(d.known) && d.known[p.index] && d.r.Picks[p.index] == p {
		return d.chosen[p.index], true
	}
	return "", false
}

func (d *denseMarks) keep(p *Pick, c string) {
	if p.index < len(d.known) && d.r.Picks[p.index] == p {
		d.chosen[p.index], d.known[p.index] = c, true
	}
}

func (d *denseMarks) choice(p *Pick) string {
	if p.index < len(d.choices) && d.r.Picks[p.index] == p {
		return d.choices[p.index]
	}
	return d.l.Choice(p.ID)
}

// optionStatus is the learner's status on option i of p.
func optionStatus[M marks](r *Roadmap, m M, p *Pick, i int) Status {
	if i < len(p.options) && p.options[i] != nil {
		return m.status(p.options[i])
	}
	return m.statusOf(p.Options[i])
}

// Chosen returns the option the learner follows in group p: their explicit pick,
// else the first option they are learning or have done (starting an option is
// choosing it), else "".
func (r *Roadmap) Chosen(l Learner, p *Pick) string { return chosen(r, learnerMarks{l}, p) }

func chosen[M marks](r *Roadmap, m M, p *Pick) string {
	if c, ok := m.memo(p); ok {
		return c
	}
	c := chosenOf(r, m, p)
	m.keep(p, c)
	return c
}

func chosenOf[M marks](r *Roadmap, m M, p *Pick) string {
	if c := m.choice(p); c != "" && r.pickOf[c] == p {
		return c
	}
	for i, o := range p.Options {
		if s := optionStatus(r, m, p, i); s == Learning || s == Done {
			return o
		}
	}
	return ""
}

// Counts reports whether topic t is on the learner's path: every topic outside pick
// groups is, and of a group only the chosen option (or, before a choice, the group's
// first option standing in for the whole group).
func (r *Roadmap) Counts(l Learner, t *Topic) bool { return counts(r, learnerMarks{l}, t) }

func counts[M marks](r *Roadmap, m M, t *Topic) bool {
	p := t.pick
	if p == nil {
		return true
	}
	c := chosen(r, m, p)
	if c == "" {
		return t.ID == p.Options[0]
	}
	return c == t.ID
}

// Finished reports whether t, a topic that Counts for the learner, is off
// their path: done or skipped, and for a pick group not chosen from yet,
// every option skipped.
func (r *Roadmap) Finished(l Learner, t *Topic) bool { return finished(r, learnerMarks{l}, t) }

// finished reports whether t (a counted topic) is off the path; an unchosen group
// is finished only when the member skipped every option.
func finished[M marks](r *Roadmap, m M, t *Topic) bool {
	if p := t.pick; p != nil && chosen(r, m, p) == "" {
		for i := range p.Options {
			if !optionStatus(r, m, p, i).Finished() {
				return false
			}
		}
		return true
	}
	return m.status(t).Finished()
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
	d := r.dense(l)
	defer d.release()
	return next(r, d)
}

// next is Next over marks (TestDenseGivesSameAnswers runs it over the
// Learner itself too).
func next[M marks](r *Roadmap, d M) Result {
	if t := learning(r, d); t != nil {
		return Result{Topic: t}
	}
	// The walk stops at the first ready topic, so it costs the finished
	// prefix of the roadmap, not the whole of it.
	var optional *Topic // the first ready optional topic, until a required one shows up
	for _, t := range r.topics {
		if !counts(r, d, t) || finished(r, d, t) {
			continue
		}
		if optional != nil {
			if !t.Optional {
				return Result{Topic: optional}
			}
			continue
		}
		p := t.pick
		if p != nil && chosen(r, d, p) == "" {
			for i, o := range p.Options {
				if !optionStatus(r, d, p, i).Finished() && ready(r, d, r.byID[o]) {
					return Result{Pick: p, Suggested: suggested(r, d, p)}
				}
			}
			continue
		}
		if ready(r, d, t) {
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
func learning[M marks](r *Roadmap, m M) *Topic {
	for _, t := range r.topics {
		if m.status(t) == Learning && counts(r, m, t) {
			return t
		}
	}
	return nil
}

// ready reports whether every prerequisite of t is satisfied for the learner.
// An optional prerequisite never blocks: it orders topics, it does not gate them.
func ready[M marks](r *Roadmap, m M, t *Topic) bool {
	for i, a := range t.After {
		var at *Topic
		if i < len(t.after) {
			at = t.after[i]
		}
		if at == nil {
			at = r.byID[a]
		}
		if m.status(at).Finished() || at.Optional {
			continue
		}
		if p := at.pick; p != nil {
			if c := chosen(r, m, p); c != "" && c != a {
				continue // an alternative the member did not choose
			}
		}
		return false
	}
	return true
}

// suggested returns the option of p that the learner's other choices suggest.
func suggested[M marks](r *Roadmap, m M, p *Pick) string {
	for _, q := range r.Picks {
		if q == p {
			continue
		}
		if c := chosen(r, m, q); c != "" {
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
	x := r.Read(l)
	defer x.Release()
	return x.Progress()
}

// Overall is Progress's overall tally alone, without building the
// per-section slice: what views over a whole space need of each member.
func (r *Roadmap) Overall(l Learner) Tally {
	d := r.dense(l)
	defer d.release()
	return r.overall(d)
}

// NextAndOverall is Next and Overall from one reading of the learner, for
// callers that need both (group for every member, a change's reply).
func (r *Roadmap) NextAndOverall(l Learner) (Result, Tally) {
	d := r.dense(l)
	defer d.release()
	return next(r, d), r.overall(d)
}

func (r *Roadmap) overall(d *denseMarks) Tally {
	var buf [32]SectionTally
	secs := buf[:0]
	if len(r.Sections) <= len(buf) {
		secs = buf[:len(r.Sections)]
	} else {
		secs = make([]SectionTally, len(r.Sections))
	}
	r.progress(d, secs)
	var all Tally
	for i := range secs {
		all.Done += secs[i].Done
		all.Total += secs[i].Total
		all.OptionalDone += secs[i].OptionalDone
	}
	return all
}

// progress fills in secs: totals come from counts made at Parse plus one
// slot per pick group, and the statuses are read from d's array.
func (r *Roadmap) progress(d *denseMarks, secs []SectionTally) {
	for i, s := range r.Sections {
		secs[i].Total = s.required
	}
	var buf [8]string
	picked := buf[:0]
	for _, p := range r.Picks {
		c := chosen(r, d, p)
		picked = append(picked, c)
		// Before a choice the first option stands in for the group, and is
		// finished only when every option was skipped.
		slot := c
		if slot == "" {
			slot = p.Options[0]
		}
		i := r.byID[slot].Section.index
		secs[i].Total++
		if c == "" && finished(r, d, r.byID[slot]) {
			secs[i].Done++
		}
	}
	for idx, c := range d.st {
		if c != codeDone && c != codeSkipped {
			continue // only done and skipped finish a topic
		}
		s := Skipped
		if c == codeDone {
			s = Done
		}
		t := r.topics[idx]
		if r.byID[t.ID] != t {
			continue // a later topic with a duplicate id: the marks name the first
		}
		i := t.Section.index
		p := t.pick
		switch {
		case t.Optional:
			if s == Done {
				secs[i].OptionalDone++
			}
		case p == nil, picked[p.index] == t.ID:
			secs[i].Done++
		}
	}
}

// progressFromTopics fills in secs by asking about every topic: the plain
// reading of Progress, which TestDenseGivesSameAnswers holds progress to.
func progressFromTopics[M marks](r *Roadmap, m M, secs []SectionTally) {
	for _, t := range r.topics {
		sec := &secs[t.Section.index]
		switch {
		case t.Optional:
			if m.status(t) == Done {
				sec.OptionalDone++
			}
		case !counts(r, m, t):
		default:
			sec.Total++
			if finished(r, m, t) {
				sec.Done++
			}
		}
	}
}

// Reading is a learner read once, for a caller that asks several questions
// of the same member (progress asks for the tally, the next step and, per
// topic, whether it counts and is finished): each question then reads
// arrays by topic index instead of reading the learner again. Answers are
// the ones the Roadmap methods of the same names give. Release it when done;
// it must not be used after.
type Reading struct {
	r *Roadmap
	d *denseMarks
}

// Read reads l for several questions (see Reading).
func (r *Roadmap) Read(l Learner) Reading { return Reading{r, r.dense(l)} }

// ReadChoices starts a Reading of l with its picks but no statuses, for a
// caller that walks l's marks itself anyway and sets each with Set: views
// over a whole space look at every mark of every member for their own
// counts, and a second walk for Read cost as much again.
func (r *Roadmap) ReadChoices(l Learner) Reading { return Reading{r, r.denseChoices(l)} }

// Set records the learner's status s on t, which must be Topic(t.ID) of
// this roadmap (the topic a mark's id names), as Read takes it from
// MarkLister.Marks.
func (x Reading) Set(t *Topic, s Status) {
	if t.Index < len(x.d.st) && x.r.topics[t.Index] == t {
		x.d.st[t.Index] = codeOf(s)
		x.d.known = [8]bool{} // a status can change what a group chose
	}
}

// Overall is Roadmap.Overall.
func (x Reading) Overall() Tally { return x.r.overall(x.d) }

// Release returns the reading's buffers for reuse.
func (x Reading) Release() { x.d.release() }

// Next is Roadmap.Next.
func (x Reading) Next() Result { return next(x.r, x.d) }

// Progress is Roadmap.Progress.
func (x Reading) Progress() (Tally, []SectionTally) {
	secs := make([]SectionTally, len(x.r.Sections))
	x.r.progress(x.d, secs)
	var all Tally
	for i, s := range x.r.Sections {
		secs[i].Section = s
		all.Done += secs[i].Done
		all.Total += secs[i].Total
		all.OptionalDone += secs[i].OptionalDone
	}
	return all, secs
}

// Status is the learner's status on t, a topic of this roadmap.
func (x Reading) Status(t *Topic) Status { return x.d.status(t) }

// Counts is Roadmap.Counts.
func (x Reading) Counts(t *Topic) bool { return counts(x.r, x.d, t) }

// Finished is Roadmap.Finished.
func (x Reading) Finished(t *Topic) bool { return finished(x.r, x.d, t) }

// statusCode is a Status in denseMarks: codeOther stands for any status
// this package does not name, which status asks the learner for.
type statusCode uint8

const (
	codeTodo statusCode = iota
	codeLearning
	codeDone
	codeSkipped
	codeOther
)

func codeOf(s Status) statusCode {
	switch s {
	case Todo:
		return codeTodo
	case Learning:
		return codeLearning
	case Done:
		return codeDone
	case Skipped:
		return codeSkipped
	}
	return codeOther
}
