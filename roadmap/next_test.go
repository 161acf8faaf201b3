package roadmap

import (
	"math/rand/v2"
	"testing"
)

// marked is a learner that also lists its marks (a MarkLister).
type marked struct{ learner }

func (m marked) Marks(yield func(string, Status) bool) {
	for id, s := range m.status {
		if s != Todo && !yield(id, s) {
			return
		}
	}
}

// randomLearner is somewhere along r: mostly finished before a random point,
// mostly untouched after it, with stray marks, picks, bad picks and marks on
// topics the roadmap does not have.
func randomLearner(rng *rand.Rand, r *Roadmap) learner {
	l := learner{status: map[string]Status{}, picks: map[string]string{}}
	cut := rng.IntN(len(r.Topics()) + 1)
	for i, t := range r.Topics() {
		x := rng.IntN(100)
		switch {
		case i < cut && x < 65, i >= cut && x < 4:
			l.status[t.ID] = Done
		case i < cut && x < 92, i >= cut && x < 7:
			l.status[t.ID] = Skipped
		case i < cut && x < 96, i >= cut && x < 10:
			l.status[t.ID] = Learning
		}
	}
	for _, p := range r.Picks {
		switch x := rng.IntN(10); {
		case x < 4:
			l.picks[p.ID] = p.Options[rng.IntN(len(p.Options))]
		case x == 4:
			l.picks[p.ID] = "gone/option"
		}
	}
	if rng.IntN(4) == 0 {
		l.status["gone/topic"] = Done
	}
	return l
}

// TestMarksGiveSameAnswers: a learner that lists its marks gets exactly the
// same Next and Progress as one that only answers Status.
func TestMarksGiveSameAnswers(t *testing.T) {
	gen, err := Parse("gen.toml", generate(MaxTopics))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, r := range map[string]*Roadmap{"builtin": Default(), "custom500": gen, "small": mustParse(t, small), "optional": mustParse(t, optionalMap)} {
		for range 3000 {
			plain := randomLearner(rng, r)
			withMarks := marked{plain}
			if a, b := r.Next(plain), r.Next(withMarks); a != b {
				t.Fatalf("%s: Next %+v, with marks %+v (learner %v)", name, a, b, plain)
			}
			a, as := r.Progress(plain)
			b, bs := r.Progress(withMarks)
			if a != b {
				t.Fatalf("%s: Progress %+v, with marks %+v (learner %v)", name, a, b, plain)
			}
			for i := range as {
				if as[i] != bs[i] {
					t.Fatalf("%s: section %s %+v, with marks %+v", name, as[i].Section.ID, as[i].Tally, bs[i].Tally)
				}
			}
		}
	}
}

// TestDenseGivesSameAnswers: Next and Progress read a learner once into
// arrays (denseMarks); asking the Learner at every step, topic by topic,
// gives exactly the same answers.
func TestDenseGivesSameAnswers(t *testing.T) {
	gen, err := Parse("gen.toml", generate(MaxTopics))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for name, r := range map[string]*Roadmap{"builtin": Default(), "custom500": gen, "small": mustParse(t, small), "optional": mustParse(t, optionalMap)} {
		for i := range 3000 {
			l := randomLearner(rng, r)
			for _, ll := range []Learner{l, marked{l}} {
				if a, b := next(r, learnerMarks{l}), r.Next(ll); a != b {
					t.Fatalf("%s: asking gives Next %+v, dense %+v (learner %v)", name, a, b, l)
				}
				want := make([]SectionTally, len(r.Sections))
				progressFromTopics(r, learnerMarks{l}, want)
				all, got := r.Progress(ll)
				if o := r.Overall(ll); o != all {
					t.Fatalf("%s: Overall %+v, Progress %+v", name, o, all)
				}
				if n, o := r.NextAndOverall(ll); n != r.Next(ll) || o != all {
					t.Fatalf("%s: NextAndOverall %+v %+v, want %+v %+v", name, n, o, r.Next(ll), all)
				}
				for i := range want {
					if want[i].Tally != got[i].Tally {
						t.Fatalf("%s: section %s asking %+v, dense %+v (learner %v)", name, r.Sections[i].ID, want[i].Tally, got[i].Tally, l)
					}
				}
				// A Reading, from Read or from marks Set one by one,
				// answers as the methods do (fewer learners: it asks
				// about every topic).
				if i >= 300 {
					continue
				}
				readings := []Reading{r.Read(ll), r.ReadChoices(l)}
				for id, s := range l.status {
					if tp := r.Topic(id); tp != nil && s != Todo {
						readings[1].Set(tp, s)
					}
				}
				for k, x := range readings {
					xa, xs := x.Progress()
					if x.Next() != r.Next(ll) || xa != all || x.Overall() != all || len(xs) != len(got) {
						t.Fatalf("%s: reading %d Next %+v tally %+v, want %+v %+v", name, k, x.Next(), xa, r.Next(ll), all)
					}
					for i := range xs {
						if xs[i] != got[i] {
							t.Fatalf("%s: reading %d section %d %+v, want %+v", name, k, i, xs[i], got[i])
						}
					}
					for _, tp := range r.Topics() {
						if r.Topic(tp.ID) == tp && x.Status(tp) != l.Status(tp.ID) {
							t.Fatalf("%s: reading %d status of %s", name, k, tp.ID)
						}
						if x.Counts(tp) != r.Counts(ll, tp) || (r.Counts(ll, tp) && x.Finished(tp) != r.Finished(ll, tp)) {
							t.Fatalf("%s: reading %d counts/finished of %s", name, k, tp.ID)
						}
					}
					x.Release()
				}
			}
		}
	}
}

// TestNextWithMarks runs the Next table for a learner that lists its marks.
func TestNextWithMarks(t *testing.T) {
	r := mustParse(t, small)
	l := marked{learner{status: st("base/a", "done", "base/b", "learning", "lang/rust", "learning"), picks: map[string]string{"lang": "lang/go"}}}
	if got := r.Next(l); got.Topic == nil || got.Topic.ID != "base/b" {
		t.Errorf("Next = %+v, want the earliest topic being learned on the path", got)
	}
}
