package bot

import (
	"time"

	"github.com/studybot/studybot/roadmap"
)

// MaxHistory is how many changes a member can undo.
const MaxHistory = 20

// Member is everything studybot keeps about one member of one Space. It is stored
// as one record, so a command reads and writes a member in one step.
type Member struct {
	Space   Space             `json:"space"`
	ID      string            `json:"id"`
	Name    string            `json:"name,omitempty"`
	Created time.Time         `json:"created"`
	Seen    time.Time         `json:"seen"`
	Topics  map[string]*Mark  `json:"topics,omitempty"`  // topic id -> mark
	Picks   map[string]string `json:"picks,omitempty"`   // pick group id -> option topic id
	History []Change          `json:"history,omitempty"` // newest last, at most MaxHistory
	Nudge   Nudge             `json:"nudge"`
	Streak  Streak            `json:"streak"`
	// DMClosed is set when the platform refused a direct message (Discord 50007);
	// nudges stop until the member uses the bot again.
	DMClosed bool `json:"dm_closed,omitempty"`
}

// Mark is a member's status on one topic, and their private note.
type Mark struct {
	Status  roadmap.Status `json:"status,omitempty"`
	Started time.Time      `json:"started,omitzero"` // first marked learning
	At      time.Time      `json:"at,omitzero"`      // last status change
	Note    string         `json:"note,omitempty"`
}

// Change is one undoable step: the topic's (or pick's) previous value.
type Change struct {
	Topic    string         `json:"topic,omitempty"`
	Prev     roadmap.Status `json:"prev,omitempty"`
	PrevAt   time.Time      `json:"prev_at,omitzero"`
	Pick     string         `json:"pick,omitempty"` // pick group id when a pick changed
	PrevPick string         `json:"prev_pick,omitempty"`
	At       time.Time      `json:"at"`
}

// Nudge is a member's daily reminder setting.
type Nudge struct {
	On     bool   `json:"on,omitempty"`
	Hour   int    `json:"hour,omitempty"`
	Minute int    `json:"minute,omitempty"`
	Zone   string `json:"zone,omitempty"` // IANA name
	// Next is the UTC instant of the next nudge as of the last change to the
	// settings; zero when off. The scheduler reschedules the member's slot in
	// the store without rewriting the member (so a tick costs pages per minute,
	// not per member), so after a nudge Next and LastDate lag behind: use
	// Nudge.NextFrom and Nudge.LastDateAt rather than reading them directly.
	Next time.Time `json:"next,omitzero"`
	// LastDate is the member's local date (2006-01-02) of the last nudge sent
	// as of the last settings change (see Next).
	LastDate string `json:"last_date,omitempty"`
}

// Streak counts consecutive local days with at least one progress change.
type Streak struct {
	Days int    `json:"days,omitempty"`
	Best int    `json:"best,omitempty"`
	Last string `json:"last,omitempty"` // local date 2006-01-02 of the last counted day
}

// Status implements roadmap.Learner.
func (m *Member) Status(topic string) roadmap.Status {
	if mk := m.Topics[topic]; mk != nil {
		return mk.Status
	}
	return roadmap.Todo
}

// Choice implements roadmap.Learner.
func (m *Member) Choice(pick string) string { return m.Picks[pick] }

var _ roadmap.Learner = (*Member)(nil)

// SpaceRecord holds a Space's settings.
type SpaceRecord struct {
	Space     Space             `json:"space"`
	Challenge ChallengeSchedule `json:"challenge"`
	// Current is the id of the open challenge, 0 when none is open.
	Current uint64 `json:"current,omitempty"`
}

// ChallengeSchedule is when and where weekly challenges are posted.
type ChallengeSchedule struct {
	Channel string    `json:"channel,omitempty"`
	Spec    string    `json:"spec,omitempty"` // cron spec with CRON_TZ=, "" when none
	Text    string    `json:"text,omitempty"` // what the moderator typed, for display
	SetBy   string    `json:"set_by,omitempty"`
	SetAt   time.Time `json:"set_at,omitzero"`
}

// Challenge is one posted challenge and its submissions.
type Challenge struct {
	ID          uint64                 `json:"id"`
	Topic       string                 `json:"topic,omitempty"` // topic id, "" for a free-text challenge
	Text        string                 `json:"text"`
	Channel     string                 `json:"channel,omitempty"`
	PostedBy    string                 `json:"posted_by,omitempty"` // member id, "" when scheduled
	PostedAt    time.Time              `json:"posted_at"`
	ScheduledAt time.Time              `json:"scheduled_at,omitzero"` // the schedule's instant, zero when posted by hand
	ClosedAt    time.Time              `json:"closed_at,omitzero"`
	Submissions map[string]*Submission `json:"submissions,omitempty"` // member id -> submission
}

// Submission is a member's answer to a challenge.
type Submission struct {
	Member string    `json:"member"`
	Name   string    `json:"name,omitempty"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}
