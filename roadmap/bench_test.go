package roadmap

import (
	"testing"
)

// Run with: go test ./roadmap -run XXX -bench . -benchmem -count 3

func BenchmarkParse500(b *testing.B) {
	data := generate(MaxTopics)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("gen.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// midway is a member some way in: the first 20 topics on their path done, a
// choice in every group they met, nothing being learned (so Next must look at
// the whole roadmap for a topic in progress).
func midway(r *Roadmap) learner {
	l := learner{status: map[string]Status{}, picks: map[string]string{}}
	n := 0
	for _, t := range r.Topics() {
		if n == 20 {
			break
		}
		if p := r.PickOf(t.ID); p != nil {
			if l.picks[p.ID] == "" {
				l.picks[p.ID] = t.ID
			}
			if l.picks[p.ID] != t.ID {
				continue
			}
		}
		l.status[t.ID] = Done
		n++
	}
	return l
}

func roadmaps(b *testing.B) []struct {
	name string
	r    *Roadmap
} {
	custom, err := Parse("gen.toml", generate(MaxTopics))
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		r    *Roadmap
	}{{"builtin", Default()}, {"custom500", custom}}
}

// BenchmarkNext and BenchmarkProgress compare the built-in roadmap with a
// generated one of MaxTopics topics, for the same midway member. The plain
// names use a learner that lists its marks (MarkLister); "-status" ones a
// learner that only answers Status, which must ask about every topic.
func BenchmarkNext(b *testing.B) {
	for _, c := range roadmaps(b) {
		l := midway(c.r)
		if res := c.r.Next(l); res.Topic == nil && res.Pick == nil {
			b.Fatalf("%s: midway learner has no next step", c.name)
		}
		for _, k := range []struct {
			suffix string
			l      Learner
		}{{"", marked{l}}, {"-status", l}} {
			b.Run(c.name+k.suffix, func(b *testing.B) {
				for b.Loop() {
					c.r.Next(k.l)
				}
			})
		}
	}
}

func BenchmarkProgress(b *testing.B) {
	for _, c := range roadmaps(b) {
		l := midway(c.r)
		for _, k := range []struct {
			suffix string
			l      Learner
		}{{"", marked{l}}, {"-status", l}} {
			b.Run(c.name+k.suffix, func(b *testing.B) {
				for b.Loop() {
					c.r.Progress(k.l)
				}
			})
		}
	}
}

func BenchmarkFind(b *testing.B) {
	r := Default()
	for b.Loop() {
		r.Find("http caching")
	}
}
