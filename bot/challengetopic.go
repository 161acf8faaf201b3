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

// viewGroup scans the space's members once. Members not seen within
// ActiveWindow do not count. A member whose next step is a pick counts
// towards the option their picks suggest, else the pick's first option.
func (e *Engine) viewGroup(ctx context.Context, sp Space) (*groupView, error) {
	since := e.now().Add(-ActiveWindow)
	g := &groupView{on: map[*roadmap.Topic]int{}, option: map[*roadmap.Pick]string{}}
	chosen := map[*roadmap.Pick]map[string]int{}
	err := e.Store.Members(ctx, sp, func(m *Member) error {
		if m.Seen.Before(since) {
			return nil
		}
		for _, p := range e.Roadmap.Picks {
			if c := e.Roadmap.Chosen(m, p); c != "" {
				if chosen[p] == nil {
					chosen[p] = map[string]int{}
				}
				chosen[p][c]++
			}
		}
		res := e.Roadmap.Next(m)
		switch {
		case res.Topic != nil:
			g.on[res.Topic]++
		case res.Pick != nil:
			o := res.Pick.Options[0]
			if res.Suggested != "" {
				o = res.Suggested
			}
			if t := e.Roadmap.Topic(o); t != nil {
				g.on[t]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "scan members")
	}
	for _, p := range e.Roadmap.Picks {
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
func (e *Engine) onPath(g *groupView, t *roadmap.Topic) bool {
	p := e.Roadmap.PickOf(t.ID)
	return p == nil || g.option[p] == t.ID
}

// Frontier is the topic most active members (seen within ActiveWindow) are on
// now, by their roadmap Next; ties go to the earliest topic in roadmap order.
// With no active members it is the first topic.
func (e *Engine) Frontier(ctx context.Context, sp Space) (*roadmap.Topic, error) {
	g, err := e.viewGroup(ctx, sp)
	if err != nil {
		return nil, err
	}
	if r := g.ranked(); len(r) > 0 {
		return r[0], nil
	}
	return e.Roadmap.Topics()[0], nil
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
	for _, id := range rec.Queue {
		if t := e.Roadmap.Topic(id); t != nil {
			return choice{topic: t, why: whyQueued, queued: true}, nil
		}
	}
	recent, err := e.Store.Challenges(ctx, sp, e.challengeMemory())
	if err != nil {
		return choice{}, Wrap(err, "list challenges")
	}
	excluded := map[string]bool{}
	var last *roadmap.Topic
	for _, c := range recent { // newest first
		if t := e.Roadmap.Topic(c.Topic); t != nil {
			excluded[t.ID] = true
			if last == nil {
				last = t
			}
		}
	}
	g, err := e.viewGroup(ctx, sp)
	if err != nil {
		return choice{}, err
	}
	for _, t := range g.ranked() {
		if !excluded[t.ID] {
			return choice{topic: t, why: whyFrontier}, nil
		}
	}
	topics := e.Roadmap.Topics()
	if last == nil {
		for _, t := range topics {
			if e.onPath(g, t) {
				return choice{topic: t, why: whyStart}, nil
			}
		}
		return choice{topic: topics[0], why: whyStart}, nil
	}
	var fallback *roadmap.Topic
	for i := 1; i <= len(topics); i++ {
		t := topics[(last.Index+i)%len(topics)]
		if !e.onPath(g, t) {
			continue
		}
		if fallback == nil {
			fallback = t
		}
		if !excluded[t.ID] {
			return choice{topic: t, why: whyNextUp}, nil
		}
	}
	if fallback == nil {
		fallback = last
	}
	return choice{topic: fallback, why: whyNextUp}, nil
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
func (e *Engine) readChallengeWhat(what string) (challengeWhat, error) {
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
	if t := e.Roadmap.Topic(strings.ToLower(what)); t != nil {
		return challengeWhat{topic: t}, nil
	}
	if ms := e.Roadmap.Search(what, 2); len(ms) > 0 && ms[0].Score >= 90 && (len(ms) == 1 || ms[1].Score < ms[0].Score) {
		return challengeWhat{topic: ms[0].Topic}, nil // the exact title or slug
	}
	if len(strings.Fields(what)) >= textWords {
		return challengeWhat{text: what}, nil
	}
	t, alts := e.Roadmap.Find(what)
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
func (e *Engine) topicArg(v string) (*roadmap.Topic, error) {
	t, alts := e.Roadmap.Find(v)
	if t == nil {
		return nil, notATopic(v, alts, "Try its id, such as internet/dns.")
	}
	return t, nil
}

func (e *Engine) cmdChallengeQueue(ctx context.Context, req *Request) (*Reply, error) {
	v := strings.TrimSpace(req.Args["topic"])
	if v == "" {
		rec, err := e.Store.Space(ctx, req.Space)
		if err != nil {
			return nil, Wrap(err, "read space")
		}
		return e.queueReply(rec.Queue), nil
	}
	t, err := e.topicArg(v)
	if err != nil {
		return nil, err
	}
	rec, err := e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		if i := slices.Index(r.Queue, t.ID); i >= 0 {
			return Errorf(Conflict, "%s is already queued, at position %d.", t.Title, i+1)
		}
		if len(r.Queue) >= MaxQueue {
			return Errorf(Conflict, "The queue is full (%d topics); unqueue one first.", MaxQueue)
		}
		r.Queue = append(r.Queue, t.ID)
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "queue topic")
	}
	r := e.queueReply(rec.Queue)
	r.Title = fmt.Sprintf("Queued %s, at position %d", t.Title, len(rec.Queue))
	return r, nil
}

func (e *Engine) cmdChallengeUnqueue(ctx context.Context, req *Request) (*Reply, error) {
	t, err := e.topicArg(req.Args["topic"])
	if err != nil {
		return nil, err
	}
	rec, err := e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		i := slices.Index(r.Queue, t.ID)
		if i < 0 {
			return Errorf(NotFound, "%s is not in the queue.", t.Title)
		}
		r.Queue = slices.Delete(r.Queue, i, i+1)
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "unqueue topic")
	}
	r := e.queueReply(rec.Queue)
	r.Title = "Unqueued " + t.Title
	return r, nil
}

// queueReply lists the queue in the order challenges will take it.
func (e *Engine) queueReply(queue []string) *Reply {
	r := &Reply{Title: "Challenge queue"}
	n := 0
	for _, id := range queue {
		t := e.Roadmap.Topic(id)
		if t == nil {
			continue // no longer in the roadmap; the next post passes it by
		}
		n++
		r.Text = append(r.Text, fmt.Sprintf("%d. %s (%s)", n, t.Title, t.ID))
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
func (e *Engine) dequeue(ctx context.Context, sp Space, topic string) {
	if topic == "" {
		return
	}
	_, err := e.Store.UpdateSpace(ctx, sp, func(r *SpaceRecord) error {
		r.Queue = slices.DeleteFunc(r.Queue, func(id string) bool { return id == topic })
		return nil
	})
	if err != nil {
		e.log().Error("dequeue challenge topic", "space", sp.Key(), "topic", topic, "err", err)
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
