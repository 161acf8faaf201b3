package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/studybot/studybot/roadmap"
)

// Buddy finding.
const (
	maxBuddies   = 3                   // suggestions buddy find gives
	buddyHelpFor = 30 * 24 * time.Hour // a topic done this recently: its finisher can help
)

// buddy is one suggestion of buddy find.
type buddy struct {
	m     *Member
	onIt  bool      // on the same topic now
	since time.Time // on it: last seen; finished: when they marked it done
}

// cmdBuddyFind suggests opted-in members on the requester's current topic,
// or who finished it recently. A member who did not opt in is never read
// past the Buddy flag.
func (e *Engine) cmdBuddyFind(ctx context.Context, req *Request) (*Reply, error) {
	m, s, rec, err := e.learnerIn(ctx, req)
	if err != nil {
		return nil, err
	}
	topic := onTopic(s.rm, s.rm.Next(s.trackOf(m)))
	var r *Reply
	if topic == nil {
		r = &Reply{Title: "Study buddies", Text: []string{"You finished " + s.rm.Title + ", so there is no topic to find a buddy for. With buddy on, others on topics you finished can find you to help."}}
	} else {
		now := e.now()
		helpFrom := now.Add(-buddyHelpFor)
		var found []buddy
		err = e.Store.Members(ctx, req.Space, func(o *Member) error {
			if !o.Buddy || o.Hidden || o.ID == m.ID { // opted in, and not hidden
				return nil
			}
			if followedID(rec, o) == s.id && onTopic(s.rm, s.rm.Next(o.Track(s.id))) == topic {
				found = append(found, buddy{o, true, o.Seen})
				return nil
			}
			if mk := o.Track(s.id).Topics.Get(topic.ID); mk != nil && mk.Status == roadmap.Done && !mk.At.Before(helpFrom) && !mk.At.After(now) {
				found = append(found, buddy{o, false, mk.At})
			}
			return nil
		})
		if err != nil {
			return nil, Wrap(err, "list members")
		}
		// Those on it first, then those who finished it; the most recent
		// first in each; ids keep ties stable.
		slices.SortFunc(found, func(a, b buddy) int {
			switch {
			case a.onIt != b.onIt:
				if a.onIt {
					return -1
				}
				return 1
			case !a.since.Equal(b.since):
				return b.since.Compare(a.since)
			}
			return strings.Compare(a.m.ID, b.m.ID)
		})
		r = &Reply{Title: "Study buddies for " + topic.Title}
		if len(found) == 0 {
			r.Text = []string{"Nobody who turned on buddy is on " + topic.Title + " or finished it in the last 30 days. Try again later, or ask in the channel."}
		}
		for _, b := range found[:min(maxBuddies, len(found))] {
			v := Mention(req.Space.Platform, b.m.ID) + " is on it too"
			if !b.onIt {
				v = fmt.Sprintf("%s finished it %s and can help", Mention(req.Space.Platform, b.m.ID), ago(now.Sub(b.since)))
			}
			r.Fields = append(r.Fields, Field{Name: memberName(b.m), Value: v})
		}
	}
	if !m.Buddy {
		r.Footer = "Others can find you only after buddy on."
	} else {
		r.Footer = "You are findable; buddy off stops it."
	}
	return r, nil
}

// ago says how long ago a span was, in days.
func ago(d time.Duration) string {
	switch days := int(d / (24 * time.Hour)); days {
	case 0:
		return "today"
	case 1:
		return "yesterday"
	default:
		return fmt.Sprintf("%d days ago", days)
	}
}

func (e *Engine) cmdBuddyOn(ctx context.Context, req *Request) (*Reply, error) {
	if _, err := e.update(ctx, req, func(m *Member) error { m.Buddy = true; return nil }); err != nil {
		return nil, err
	}
	return &Reply{Title: "Buddy finding is on",
		Text: []string{"Members on your topic, or on one you finished in the last 30 days, can find you with buddy find, and group names you when you finish a topic. buddy off stops both."}}, nil
}

func (e *Engine) cmdBuddyOff(ctx context.Context, req *Request) (*Reply, error) {
	if _, err := e.update(ctx, req, func(m *Member) error { m.Buddy = false; return nil }); err != nil {
		return nil, err
	}
	return &Reply{Title: "Buddy finding is off",
		Text: []string{"Nobody finds you with buddy find, and group counts your finished topics without your name. You can still find others with buddy find."}}, nil
}
