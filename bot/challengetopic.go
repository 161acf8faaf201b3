package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// DefaultChallengeMemory is how many of a space's last challenges the
// automatic topic stays clear of, unless Engine.ChallengeMemory says otherwise.
const DefaultChallengeMemory = 8

// MaxQueue bounds a space's challenge queue: a year of weekly challenges
// planned ahead is already more than a group needs.
const MaxQueue = 50

// The span a challenge may stay open for, when it closes by itself.
const (
	MinChallengeSpan = time.Hour
	MaxChallengeSpan = 60 * 24 * time.Hour
)

// textWords is how many words a challenge post needs before unquoted words
// are read as the challenge's own text rather than a topic: "challenge post
// caching" must name a topic, "challenge post Build a tiny cache in Go" is text.
const textWords = 5

// Why a challenge's topic was chosen, as the moderator's reply says it.
const (
	whyQueued   = "it was first in the queue"
	whyNamed    = "you named it"
	whyFrontier = "it is the topic most of the group is on"
	whyNextUp   = "it is next in the roadmap after the last challenge"
	whyStart    = "nobody is studying yet, so the roadmap's start"
)

// choice is a challenge topic and why it was chosen.
type choice struct {
	s      study // the topic's roadmap
	topic  *roadmap.Topic
	why    string
	queued bool // taken from the space's queue, so it leaves the queue when posted
}

// groupView is what the members' marks say about the group: how many active
// members are on each topic now, and which option of each pick most of them
// follow.
type groupView struct {
	on     map[*roadmap.Topic]int
	option map[*roadmap.Pick]string
}

// viewGroup scans the space's members once, for the roadmap s: members
// following another roadmap, or not seen within ActiveWindow, do not count.
// A member whose next step is a pick counts towards the option their picks
// suggest, else the pick's first option.
func (e *Engine) viewGroup(ctx context.Context, rec *SpaceRecord, s study) (*groupView, error) {
	since := e.now().Add(-ActiveWindow)
	g := &groupView{on: map[*roadmap.Topic]int{}, option: map[*roadmap.Pick]string{}}
	chosen := map[*roadmap.Pick]map[string]int{}
	err := e.Store.Members(ctx, rec.Space, func(m *Member) error {
		if m.Seen.Before(since) || followedID(rec, m) != s.id {
			return nil
		}
		tr := m.Track(s.id)
		for _, p := range s.rm.Picks {
			if c := s.rm.Chosen(tr, p); c != "" {
				if chosen[p] == nil {
					chosen[p] = map[string]int{}
				}
				chosen[p][c]++
			}
		}
		res := s.rm.Next(tr)
		switch {
		case res.Topic != nil:
			g.on[res.Topic]++
		case res.Pick != nil:
			o := res.Pick.Options[0]
			if res.Suggested != "" {
				o = res.Suggested
			}
			if t := s.rm.Topic(o); t != nil {
				g.on[t]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "scan members")
	}
	for _, p := range s.rm.Picks {
		best := p.Options[0]
		for _, o := range p.Options { // options order breaks ties
			if chosen[p][o] > chosen[p][best] {
				best = o
			}
		}
		g.option[p] = best
	}
	return g, nil
}

// ranked lists the topics members are on, most members first, ties to the
// earlier topic in roadmap order.
func (g *groupView) ranked() []*roadmap.Topic {
	ts := make([]*roadmap.Topic, 0, len(g.on))
	for t := range g.on {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *roadmap.Topic) int {
		if d := g.on[b] - g.on[a]; d != 0 {
			return d
		}
		return a.Index - b.Index
	})
	return ts
}

// onPath reports whether the group walks t: every topic outside picks, and
// of a pick only the option most of the group follows.
func (s study) onPath(g *groupView, t *roadmap.Topic) bool {
	p := s.rm.PickOf(t.ID)
	return p == nil || g.option[p] == t.ID
}

// Frontier is the topic of the space's challenge roadmap (see
// challengeStudy) that most of its active followers (seen within
// ActiveWindow) are on now, by their roadmap Next; ties go to the earliest
// topic in roadmap order. With no active members it is the first topic.
func (e *Engine) Frontier(ctx context.Context, sp Space) (*roadmap.Topic, error) {
	rec, err := e.Store.Space(ctx, sp)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	s, err := e.challengeStudy(ctx, rec)
	if err != nil {
		return nil, err
	}
	g, err := e.viewGroup(ctx, rec, s)
	if err != nil {
		return nil, err
	}
	if r := g.ranked(); len(r) > 0 {
		return r[0], nil
	}
	return s.rm.Topics()[0], nil
}

// followedID is the id of the roadmap m follows in the space rec describes,
// without parsing it (see followed).
func followedID(rec *SpaceRecord, m *Member) string {
	if m.Follow == BuiltinRoadmap || (m.Follow != "" && rec.roadmapInfo(m.Follow) != nil) {
		return m.Follow
	}
	return defaultRoadmap(rec)
}

// challengeStudy is the roadmap challenges take their topics from: the
// schedule's, else the space's default.
func (e *Engine) challengeStudy(ctx context.Context, rec *SpaceRecord) (study, error) {
	id := defaultRoadmap(rec)
	if r := rec.Challenge.Roadmap; r != "" && (r == BuiltinRoadmap || rec.roadmapInfo(r) != nil) {
		id = r
	}
	rm, err := e.roadmapIn(ctx, rec, id)
	if err != nil {
		return study{}, err
	}
	return study{id, rm}, nil
}

// challengeRoadmap is the roadmap id a challenge's topic belongs to.
func challengeRoadmap(c *Challenge) string {
	if c.Roadmap == "" {
		return BuiltinRoadmap
	}
	return c.Roadmap
}

// topicOf finds a topic of one of the space's roadmaps, nil when either is
// gone: for naming challenges and queued topics.
func (e *Engine) topicOf(ctx context.Context, rec *SpaceRecord, ref TopicRef) *roadmap.Topic {
	if ref.Topic == "" {
		return nil
	}
	id := ref.Roadmap
	if id == "" {
		id = BuiltinRoadmap
	}
	rm, err := e.roadmapIn(ctx, rec, id)
	if err != nil {
		return nil
	}
	return rm.Topic(ref.Topic)
}

func (e *Engine) challengeMemory() int {
	if e.ChallengeMemory > 0 {
		return e.ChallengeMemory
	}
	return DefaultChallengeMemory
}

// autoTopic chooses the next challenge's topic for a space whose record is
// rec:
//  1. the first queued topic still in the roadmap;
//  2. else the topic most active members are on, leaving out every topic of
//     the space's last ChallengeMemory challenges;
//  3. else (every such topic was challenged recently, or nobody is active)
//     the first topic on the group's path after the most recently challenged
//     one, in roadmap order, that was not challenged recently; the roadmap's
//     start when nothing was challenged yet.
//
// A roadmap too small to avoid a repeat gives the topic after the last one.
func (e *Engine) autoTopic(ctx context.Context, sp Space, rec *SpaceRecord) (choice, error) {
	s, err := e.challengeStudy(ctx, rec)
	if err != nil {
		return choice{}, err
	}
	for _, q := range rec.Queue {
		if q.Roadmap != s.id {
			continue
		}
		if t := s.rm.Topic(q.Topic); t != nil {
			return choice{s: s, topic: t, why: whyQueued, queued: true}, nil
		}
	}
	recent, err := e.Store.Challenges(ctx, sp, e.challengeMemory())
	if err != nil {
		return choice{}, Wrap(err, "list challenges")
	}
	excluded := map[string]bool{}
	var last *roadmap.Topic
	for _, c := range recent { // newest first
		if challengeRoadmap(c) != s.id {
			continue
		}
		if t := s.rm.Topic(c.Topic); t != nil {
			excluded[t.ID] = true
			if last == nil {
				last = t
			}
		}
	}
	g, err := e.viewGroup(ctx, rec, s)
	if err != nil {
		return choice{}, err
	}
	for _, t := range g.ranked() {
		if !excluded[t.ID] {
			return choice{s: s, topic: t, why: whyFrontier}, nil
		}
	}
	topics := s.rm.Topics()
	if last == nil {
		for _, t := range topics {
			if s.onPath(g, t) {
				return choice{s: s, topic: t, why: whyStart}, nil
			}
		}
		return choice{s: s, topic: topics[0], why: whyStart}, nil
	}
	var fallback *roadmap.Topic
	for i := 1; i <= len(topics); i++ {
		t := topics[(last.Index+i)%len(topics)]
		if !s.onPath(g, t) {
			continue
		}
		if fallback == nil {
			fallback = t
		}
		if !excluded[t.ID] {
			return choice{s: s, topic: t, why: whyNextUp}, nil
		}
	}
	if fallback == nil {
		fallback = last
	}
	return choice{s: s, topic: fallback, why: whyNextUp}, nil
}

// challengeWhat is what a moderator asked `challenge post` for.
type challengeWhat struct {
	topic *roadmap.Topic // a topic they named; nil for text or the automatic one
	text  string         // their own text; "" for a topic
}

// readChallengeWhat applies the rule help and the README state: words are
// read as a topic (its id, its title or words from it) first. Text in quotes,
// or of textWords words or more that do not name a topic exactly, is the
// challenge's own text. Anything else that names no single topic is refused
// with suggestions, and nothing is posted.
func (s study) readChallengeWhat(what string) (challengeWhat, error) {
	what = strings.TrimSpace(what)
	if what == "" {
		return challengeWhat{}, nil
	}
	if inner, ok := unquote(what); ok {
		inner = strings.TrimSpace(inner)
		if inner == "" {
			return challengeWhat{}, Errorf(Invalid, "The quotes are empty: put the challenge's text inside them.")
		}
		return challengeWhat{text: inner}, nil
	}
	if t := s.rm.Topic(strings.ToLower(what)); t != nil {
		return challengeWhat{topic: t}, nil
	}
	if ms := s.rm.Search(what, 2); len(ms) > 0 && ms[0].Score >= 90 && (len(ms) == 1 || ms[1].Score < ms[0].Score) {
		return challengeWhat{topic: ms[0].Topic}, nil // the exact title or slug
	}
	if len(strings.Fields(what)) >= textWords {
		return challengeWhat{text: what}, nil
	}
	// Named, not Find: a typo or a tag match guessed wrong would be posted
	// to the whole group ("rust" is not REST); those get "Did you mean".
	t, alts := s.rm.Named(what)
	if t != nil {
		return challengeWhat{topic: t}, nil
	}
	return challengeWhat{}, notATopic(what, alts, "To post your own words instead, put them in quotes: challenge post \"Build a tiny cache\".")
}

// notATopic is the refusal for words that name no single topic, with the
// topics they might have meant.
func notATopic(what string, alts []*roadmap.Topic, hint string) error {
	if len(alts) == 0 {
		return Errorf(NotFound, "No topic matches %q. %s", Clip(what, 40), hint)
	}
	names := make([]string, 0, 3)
	for _, t := range alts[:min(3, len(alts))] {
		names = append(names, fmt.Sprintf("%s (%s)", t.Title, t.ID))
	}
	return Errorf(NotFound, "%q could be several topics. Did you mean %s? %s", Clip(what, 40), strings.Join(names, ", or "), hint)
}

// unquote returns s without its surrounding quotes when the whole of s is
// one quoted phrase.
func unquote(s string) (string, bool) {
	t, next, ok, err := nextToken(s, 0)
	if err != nil || !ok || !t.quoted || strings.TrimSpace(s[next:]) != "" {
		return "", false
	}
	return t.text, true
}

// topicArg resolves a topic option for the queue commands, refusing with
// suggestions like `challenge post`.
func (s study) topicArg(v string) (*roadmap.Topic, error) {
	t, alts := s.rm.Find(v)
	if t == nil {
		return nil, notATopic(v, alts, "Try its id, such as internet/dns.")
	}
	return t, nil
}

// queueStudy reads the space and the roadmap its challenges take topics
// from, which the queue commands name topics of.
func (e *Engine) queueStudy(ctx context.Context, sp Space) (*SpaceRecord, study, error) {
	rec, err := e.Store.Space(ctx, sp)
	if err != nil {
		return nil, study{}, Wrap(err, "read space")
	}
	s, err := e.challengeStudy(ctx, rec)
	return rec, s, err
}

func (e *Engine) cmdChallengeQueue(ctx context.Context, req *Request) (*Reply, error) {
	rec, s, err := e.queueStudy(ctx, req.Space)
	if err != nil {
		return nil, err
	}
	v := strings.TrimSpace(req.Args["topic"])
	if v == "" {
		return e.queueReply(ctx, rec), nil
	}
	t, err := s.topicArg(v)
	if err != nil {
		return nil, err
	}
	ref := TopicRef{Roadmap: s.id, Topic: t.ID}
	rec, err = e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		if i := slices.Index(r.Queue, ref); i >= 0 {
			return Errorf(Conflict, "%s is already queued, at position %d.", t.Title, i+1)
		}
		if len(r.Queue) >= MaxQueue {
			return Errorf(Conflict, "The queue is full (%d topics); unqueue one first.", MaxQueue)
		}
		r.Queue = append(r.Queue, ref)
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "queue topic")
	}
	r := e.queueReply(ctx, rec)
	r.Title = fmt.Sprintf("Queued %s, at position %d", t.Title, len(rec.Queue))
	return r, nil
}

func (e *Engine) cmdChallengeUnqueue(ctx context.Context, req *Request) (*Reply, error) {
	_, s, err := e.queueStudy(ctx, req.Space)
	if err != nil {
		return nil, err
	}
	t, err := s.topicArg(req.Args["topic"])
	if err != nil {
		return nil, err
	}
	ref := TopicRef{Roadmap: s.id, Topic: t.ID}
	rec, err := e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		i := slices.Index(r.Queue, ref)
		if i < 0 {
			return Errorf(NotFound, "%s is not in the queue.", t.Title)
		}
		r.Queue = slices.Delete(r.Queue, i, i+1)
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "unqueue topic")
	}
	r := e.queueReply(ctx, rec)
	r.Title = "Unqueued " + t.Title
	return r, nil
}

// queueReply lists the queue in the order challenges will take it.
func (e *Engine) queueReply(ctx context.Context, rec *SpaceRecord) *Reply {
	r := &Reply{Title: "Challenge queue"}
	n := 0
	for _, q := range rec.Queue {
		t := e.topicOf(ctx, rec, q)
		if t == nil {
			continue // no longer in its roadmap; the next post passes it by
		}
		n++
		line := fmt.Sprintf("%d. %s (%s)", n, t.Title, t.ID)
		if q.Roadmap != BuiltinRoadmap {
			line += " · roadmap " + q.Roadmap
		}
		r.Text = append(r.Text, line)
	}
	if n == 0 {
		r.Text = []string{"The queue is empty, so each challenge takes the topic most of the group is on. Queue one with: challenge queue <topic>"}
		return r
	}
	r.Footer = "Queued topics go first, one per challenge. Take one out with: challenge unqueue <topic>"
	return r
}

// dequeue takes a posted topic out of the space's queue. The post is already
// stored, so a failure here is logged: the topic stays queued.
func (e *Engine) dequeue(ctx context.Context, sp Space, ref TopicRef) {
	if ref.Topic == "" {
		return
	}
	_, err := e.Store.UpdateSpace(ctx, sp, func(r *SpaceRecord) error {
		r.Queue = slices.DeleteFunc(r.Queue, func(q TopicRef) bool { return q == ref })
		return nil
	})
	if err != nil {
		e.log().Error("dequeue challenge topic", "space", sp.Key(), "topic", ref.Topic, "err", err)
	}
}

// validSpan checks a challenge's open span.
func validSpan(v string) error {
	d, ok := ParseSpan(v)
	if !ok {
		return Errorf(Invalid, "%q is not a span; use days, hours or minutes such as 6d, 36h or 1d12h.", Clip(v, 20))
	}
	if d < MinChallengeSpan || d > MaxChallengeSpan {
		return Errorf(Invalid, "A challenge stays open between %s and %s; %s is outside that.", FormatSpan(MinChallengeSpan), FormatSpan(MaxChallengeSpan), Clip(v, 20))
	}
	return nil
}
