package store

import (
	"maps"
	"slices"

	"github.com/studybot/studybot/bot"
)

// cloneMember copies m so that nothing the copy reaches is shared with m
// except strings (immutable). The member cache hands out clones: the
// engine changes the member a command read (an update after the read, the
// schedule and answered count filled per read), and the cached one must
// stay as the record says. A clone costs copying the slabs (marks are one
// slice per track), a fraction of decoding the record again.
func cloneMember(m *bot.Member) *bot.Member {
	c := new(bot.Member)
	*c = *m
	if m.Tracks != nil {
		c.Tracks = make(map[string]*bot.Track, len(m.Tracks))
		tracks := make([]bot.Track, 0, len(m.Tracks))
		for id, t := range m.Tracks {
			if t == nil {
				c.Tracks[id] = nil
				continue
			}
			tracks = append(tracks, bot.Track{
				Topics:  slices.Clone(t.Topics),
				Picks:   maps.Clone(t.Picks),
				Reviews: cloneReviews(t.Reviews),
			})
			c.Tracks[id] = &tracks[len(tracks)-1]
		}
	}
	if m.History != nil {
		c.History = slices.Clone(m.History)
		for i := range c.History {
			h := &c.History[i]
			if h.PrevStreak != nil {
				s := *h.PrevStreak
				h.PrevStreak = &s
			}
			if h.PrevReview != nil {
				r := *h.PrevReview
				h.PrevReview = &r
			}
		}
	}
	return c
}

func cloneReviews(rs map[string]*bot.Review) map[string]*bot.Review {
	if rs == nil {
		return nil
	}
	// maps.Clone copies the table as it is, cheaper than inserting every
	// key into a new map; the values are then pointed at copies.
	out := maps.Clone(rs)
	slab := make([]bot.Review, 0, len(rs))
	for k, r := range out {
		if r != nil {
			slab = append(slab, *r)
			out[k] = &slab[len(slab)-1]
		}
	}
	return out
}
