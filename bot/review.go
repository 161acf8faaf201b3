package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// ReviewAfter is when a finished topic comes back for review: these many
// days after the local date it was marked done, one review after another.
var ReviewAfter = []int{1, 3, 7, 21, 60}

// Review is a finished topic's place in spaced review.
type Review struct {
	Step int    `json:"step"` // index into ReviewAfter
	Done string `json:"done"` // local date (DateLayout) the topic was marked done
	Due  string `json:"due"`  // local date the next review is due
}

// reviewDue is the local date step's review of a topic done on done (a
// local date) falls on; dates, not instants, so a DST change in between
// moves nothing. A date already past becomes tomorrow.
func reviewDue(done string, step int, today time.Time) string {
	d, err := time.Parse(DateLayout, done)
	if err != nil {
		d = today
	}
	due := d.AddDate(0, 0, ReviewAfter[step]).Format(DateLayout)
	if min := today.AddDate(0, 0, 1).Format(DateLayout); due < min && step > 0 {
		return min
	}
	return due
}

// startReview puts a topic just marked done into review.
func (e *Engine) startReview(m *Member, tr *Track, topic string, now time.Time) {
	if tr.Reviews == nil {
		tr.Reviews = map[string]*Review{}
	}
	local := now.In(e.zone(m))
	today := local.Format(DateLayout)
	tr.Reviews[topic] = &Review{Done: today, Due: reviewDue(today, 0, local)}
}

// dueReview is the earliest review due by today on the track, in roadmap
// order for the same date; nil when none is due. next is the earliest one
// not yet due, for saying when.
func (s study) dueReview(tr *Track, today string) (due, next *roadmap.Topic) {
	var dueAt, nextAt string
	for _, t := range s.rm.Topics() {
		rv := tr.Reviews[t.ID]
		if rv == nil {
			continue
		}
		if rv.Due <= today && (due == nil || rv.Due < dueAt) {
			due, dueAt = t, rv.Due
		}
		if rv.Due > today && (next == nil || rv.Due < nextAt) {
			next, nextAt = t, rv.Due
		}
	}
	return due, next
}

func (e *Engine) cmdReviewNext(ctx context.Context, req *Request) (*Reply, error) {
	m, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	tr := s.trackOf(m)
	today := e.now().In(e.zone(m)).Format(DateLayout)
	t, next := s.dueReview(tr, today)
	if t == nil {
		r := &Reply{Title: "Nothing to review today"}
		switch {
		case next != nil:
			r.Text = []string{fmt.Sprintf("Next: %s, on %s.", next.Title, tr.Reviews[next.ID].Due)}
		default:
			r.Text = []string{fmt.Sprintf("Topics you mark done come back for review after %s days.", joinInts(ReviewAfter))}
		}
		return r, nil
	}
	rv := tr.Reviews[t.ID]
	r := &Reply{
		Title:  "Review: " + t.Title,
		Text:   []string{fmt.Sprintf("You finished it on %s; review %d of %d.", rv.Done, rv.Step+1, len(ReviewAfter)), t.Summary},
		Footer: t.ID,
		Buttons: []Button{
			{Label: "Reviewed", Action: Action("review done", t.ID), Style: ButtonSuccess},
			{Label: "Stop reviewing it", Action: Action("review skip", t.ID)},
		},
	}
	if t.Challenge != "" {
		r.Fields = append(r.Fields, Field{Name: "Self-check", Value: t.Challenge})
	}
	return r, nil
}

// reviewTopic resolves review done/skip's topic: the one named, else the
// review due now.
func (e *Engine) reviewTopic(m *Member, s study, arg string) (*roadmap.Topic, error) {
	tr := s.trackOf(m)
	if strings.TrimSpace(arg) == "" {
		t, _ := s.dueReview(tr, e.now().In(e.zone(m)).Format(DateLayout))
		if t == nil {
			return nil, Errorf(Conflict, "No review is due; see the next with: review next")
		}
		return t, nil
	}
	t, err := s.topic(arg)
	if err != nil {
		return nil, err
	}
	if tr.Reviews[t.ID] == nil {
		return nil, Errorf(NotFound, "%s is not in review: topics come back for review after you mark them done.", t.Title)
	}
	return t, nil
}

func (e *Engine) cmdReviewDone(ctx context.Context, req *Request) (*Reply, error) {
	m, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := e.reviewTopic(m, s, req.Args["topic"])
	if err != nil {
		return nil, err
	}
	now := e.now()
	var rv *Review
	_, err = e.update(ctx, req, func(m *Member) error {
		tr := m.track(s.id)
		cur := tr.Reviews[t.ID]
		if cur == nil {
			return Errorf(NotFound, "%s is not in review.", t.Title)
		}
		next := *cur
		next.Step++
		if next.Step >= len(ReviewAfter) {
			delete(tr.Reviews, t.ID)
			rv = nil
			return nil
		}
		next.Due = reviewDue(next.Done, next.Step, now.In(e.zone(m)))
		tr.Reviews[t.ID], rv = &next, &next
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "review")
	}
	if rv == nil {
		return &Reply{Title: "Reviewed: " + t.Title, Text: []string{"That was its last review. It is yours now."}}, nil
	}
	return &Reply{Title: "Reviewed: " + t.Title, Text: []string{fmt.Sprintf("Next review on %s.", rv.Due)}}, nil
}

func (e *Engine) cmdReviewSkip(ctx context.Context, req *Request) (*Reply, error) {
	m, s, err := e.learner(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := e.reviewTopic(m, s, req.Args["topic"])
	if err != nil {
		return nil, err
	}
	_, err = e.update(ctx, req, func(m *Member) error {
		delete(m.track(s.id).Reviews, t.ID)
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "drop review")
	}
	return &Reply{Title: "No more reviews of " + t.Title}, nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
