package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/nudge"
	"github.com/studybot/studybot/roadmap"
)

const memberCols = `name, created, seen, follow, nudge_on, nudge_hour, nudge_minute, nudge_zone,
	nudge_last_date, streak_days, streak_best, streak_last, dm_closed, profile_zone, hidden, buddy,
	history, tracks`

// trackRest is what a member's tracks column holds of each track: everything
// but the marks, which are rows of topic_marks.
type trackRest struct {
	Picks   map[string]string      `json:"picks,omitempty"`
	Reviews map[string]*bot.Review `json:"reviews,omitempty"`
}

type scanner interface{ Scan(dest ...any) error }

// scanMember reads memberCols into a new member.
func scanMember(row scanner, sp bot.Space, id string) (*bot.Member, error) {
	m := &bot.Member{Space: sp, ID: id}
	var created, seen *time.Time
	var history, tracks []byte
	err := row.Scan(&m.Name, &created, &seen, &m.Follow, &m.Nudge.On, &m.Nudge.Hour, &m.Nudge.Minute, &m.Nudge.Zone,
		&m.Nudge.LastDate, &m.Streak.Days, &m.Streak.Best, &m.Streak.Last, &m.DMClosed, &m.ProfileZone, &m.Hidden, &m.Buddy,
		&history, &tracks)
	if err != nil {
		return nil, err
	}
	m.Created, m.Seen = fromTS(created), fromTS(seen)
	if err := json.Unmarshal(history, &m.History); err != nil {
		return nil, fmt.Errorf("decode history: %w", err)
	}
	if len(m.History) == 0 {
		m.History = nil
	}
	var rest map[string]trackRest
	if err := json.Unmarshal(tracks, &rest); err != nil {
		return nil, fmt.Errorf("decode tracks: %w", err)
	}
	for rm, r := range rest {
		if m.Tracks == nil {
			m.Tracks = map[string]*bot.Track{}
		}
		m.Tracks[rm] = &bot.Track{Picks: r.Picks, Reviews: r.Reviews}
	}
	return m, nil
}

type markKey struct{ roadmap, topic string }

// addMarks reads the member's topic_marks rows into m's tracks, and returns
// them as read.
func addMarks(rows pgx.Rows, m *bot.Member) (map[markKey]bot.Mark, error) {
	defer rows.Close()
	out := map[markKey]bot.Mark{}
	for rows.Next() {
		var k markKey
		var mk bot.Mark
		var status string
		var started, at *time.Time
		if err := rows.Scan(&k.roadmap, &k.topic, &status, &started, &at, &mk.Note); err != nil {
			return nil, err
		}
		mk.Status, mk.Started, mk.At = roadmap.Status(status), fromTS(started), fromTS(at)
		out[k] = mk
		if m.Tracks == nil {
			m.Tracks = map[string]*bot.Track{}
		}
		t := m.Tracks[k.roadmap]
		if t == nil {
			t = &bot.Track{}
			m.Tracks[k.roadmap] = t
		}
		t.Topics.Set(k.topic, mk)
	}
	return out, rows.Err()
}

// nudgeRow is a member's row in nudges.
type nudgeRow struct {
	ok       bool
	slot     nudge.Slot
	dmClosed bool
	lastDate string
	due      time.Time
}

// fill sets m.Nudge.Next and LastDate from the member's nudges row (see
// bot.Nudge), and m.Answered.
func fill(m *bot.Member, nr nudgeRow, answered int) {
	m.Answered = answered
	m.Nudge.Next = time.Time{}
	if !m.Nudge.On || !nr.ok || nr.slot != m.Nudge.Slot() {
		return
	}
	m.Nudge.Next = nr.due
	m.Nudge.LastDate = nr.slot.LastDate(nr.due, nr.lastDate)
}

// readMember reads a member, their marks, their nudges row and their
// answered count in one round trip; forUpdate locks the member's row. nil
// when absent.
func readMember(ctx context.Context, q interface {
	SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
}, sp bot.Space, id string, forUpdate bool) (*bot.Member, map[markKey]bot.Mark, nudgeRow, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	b := &pgx.Batch{}
	b.Queue("SELECT "+memberCols+" FROM members WHERE space = $1 AND member = $2"+lock, sp.Key(), id)
	b.Queue("SELECT roadmap, topic, status, started, at, note FROM topic_marks WHERE space = $1 AND member = $2", sp.Key(), id)
	b.Queue("SELECT hour, minute, zone, dm_closed, last_date, due_at FROM nudges WHERE space = $1 AND member = $2", sp.Key(), id)
	b.Queue("SELECT count(*) FROM submissions WHERE space = $1 AND member = $2", sp.Key(), id)
	br := q.SendBatch(ctx, b)
	defer br.Close()
	var nr nudgeRow
	m, err := scanMember(br.QueryRow(), sp, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nr, nil
	}
	if err != nil {
		return nil, nil, nr, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, nr, err
	}
	marks, err := addMarks(rows, m)
	if err != nil {
		return nil, nil, nr, err
	}
	var due *time.Time
	err = br.QueryRow().Scan(&nr.slot.Hour, &nr.slot.Minute, &nr.slot.Zone, &nr.dmClosed, &nr.lastDate, &due)
	switch {
	case err == nil:
		nr.ok, nr.due = true, fromTS(due)
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, nil, nr, err
	}
	var answered int
	if err := br.QueryRow().Scan(&answered); err != nil {
		return nil, nil, nr, err
	}
	fill(m, nr, answered)
	return m, marks, nr, nil
}

// Member implements bot.Store.
func (db *DB) Member(ctx context.Context, sp bot.Space, id string) (*bot.Member, error) {
	if err := bot.CheckMember(sp, id); err != nil {
		return nil, err
	}
	m, _, _, err := readMember(ctx, db.pool, sp, id, false)
	if err != nil {
		return nil, bot.StoreError("read member", err)
	}
	if m == nil {
		return nil, bot.MemberNotFound()
	}
	return m, nil
}

// UpdateMember implements bot.Store. The member's row is locked for the
// transaction, so concurrent updates of one member (from any process) run
// one after the other; fn runs once per attempt.
func (db *DB) UpdateMember(ctx context.Context, sp bot.Space, id string, fn func(*bot.Member) error) (*bot.Member, error) {
	if err := bot.CheckMember(sp, id); err != nil {
		return nil, err
	}
	var out *bot.Member
	var fnErr error
	err := db.tx(ctx, func(tx pgx.Tx) error {
		out, fnErr = nil, nil
		m, marks, nr, err := readMember(ctx, tx, sp, id, true)
		if err != nil {
			return err
		}
		isNew := m == nil
		if isNew {
			m = &bot.Member{Space: sp, ID: id, Created: db.clock.Now()}
		}
		oldNudge, oldDM := m.Nudge, m.DMClosed
		if err := fn(m); err != nil {
			fnErr = err
			return err
		}
		m.Space, m.ID = sp, id
		if err := writeMember(ctx, tx, m, isNew, marks); err != nil {
			return err
		}
		if err := putSchedule(ctx, tx, oldNudge, oldDM, nr, m); err != nil {
			return err
		}
		out = m
		return nil
	})
	return bot.StoreResult("update member", out, fnErr, err)
}

// writeMember stores m's row and the changes to its marks (old: as read).
// A new member's row is inserted; one that another process inserted first
// makes the insert fail, and the transaction is retried.
func writeMember(ctx context.Context, tx pgx.Tx, m *bot.Member, isNew bool, old map[markKey]bot.Mark) error {
	if err := bot.CheckRecordLen("member", len(m.Name)); err != nil {
		return err
	}
	history, err := bot.MarshalRecord("member", m.History)
	if err != nil {
		return err
	}
	if m.History == nil {
		history = []byte("[]")
	}
	rest := map[string]trackRest{}
	for rm, t := range m.Tracks {
		if t != nil && (len(t.Picks) > 0 || len(t.Reviews) > 0) {
			rest[rm] = trackRest{Picks: t.Picks, Reviews: t.Reviews}
		}
	}
	tracks, err := bot.MarshalRecord("member", rest)
	if err != nil {
		return err
	}
	if err := bot.CheckRecordLen("member", len(history)+len(tracks)+len(m.Name)); err != nil {
		return err
	}
	args := []any{m.Space.Key(), m.ID, m.Name, ts(m.Created), ts(m.Seen), m.Follow, m.Nudge.On, m.Nudge.Hour, m.Nudge.Minute, m.Nudge.Zone,
		m.Nudge.LastDate, m.Streak.Days, m.Streak.Best, m.Streak.Last, m.DMClosed, m.ProfileZone, m.Hidden, m.Buddy, history, tracks}
	b := &pgx.Batch{}
	if isNew {
		b.Queue(`INSERT INTO members (space, member, `+memberCols+`)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)`, args...)
	} else {
		b.Queue(`UPDATE members SET name=$3, created=$4, seen=$5, follow=$6, nudge_on=$7, nudge_hour=$8, nudge_minute=$9,
			nudge_zone=$10, nudge_last_date=$11, streak_days=$12, streak_best=$13, streak_last=$14, dm_closed=$15,
			profile_zone=$16, hidden=$17, buddy=$18, history=$19, tracks=$20 WHERE space=$1 AND member=$2`, args...)
	}
	seen := map[markKey]bool{}
	for _, rm := range slices.Sorted(maps.Keys(m.Tracks)) {
		t := m.Tracks[rm]
		if t == nil {
			continue
		}
		for i := range t.Topics {
			mk, topic := &t.Topics[i].Mark, t.Topics[i].Topic
			k := markKey{rm, topic}
			seen[k] = true
			if was, ok := old[k]; ok && was.Status == mk.Status && was.Note == mk.Note && was.Started.Equal(mk.Started) && was.At.Equal(mk.At) {
				continue
			}
			b.Queue(`INSERT INTO topic_marks (space, member, roadmap, topic, status, started, at, note) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
				ON CONFLICT (space, member, roadmap, topic) DO UPDATE SET status=EXCLUDED.status, started=EXCLUDED.started, at=EXCLUDED.at, note=EXCLUDED.note`,
				m.Space.Key(), m.ID, rm, topic, string(mk.Status), ts(mk.Started), ts(mk.At), mk.Note)
		}
	}
	for k := range old {
		if !seen[k] {
			b.Queue("DELETE FROM topic_marks WHERE space=$1 AND member=$2 AND roadmap=$3 AND topic=$4", m.Space.Key(), m.ID, k.roadmap, k.topic)
		}
	}
	return tx.SendBatch(ctx, b).Close()
}

// putSchedule keeps the member's nudges row in step with the member being
// stored, like the bbolt store's: old and oldDM are the member as read (Next
// filled from the schedule), nr their nudges row. A member joining a slot
// that has other members takes its schedule (the earliest instant among
// them); one alone in their slot takes their own Next.
func putSchedule(ctx context.Context, tx pgx.Tx, old bot.Nudge, oldDM bool, nr nudgeRow, m *bot.Member) error {
	n := m.Nudge
	key := m.Space.Key()
	if !n.On {
		if nr.ok {
			_, err := tx.Exec(ctx, "DELETE FROM nudges WHERE space=$1 AND member=$2", key, m.ID)
			return err
		}
		return nil
	}
	s := n.Slot()
	if old.On && nr.ok && nr.slot == s {
		if old.LastDate != n.LastDate || oldDM != m.DMClosed {
			if _, err := tx.Exec(ctx, "UPDATE nudges SET dm_closed=$3, last_date=$4 WHERE space=$1 AND member=$2", key, m.ID, m.DMClosed, n.LastDate); err != nil {
				return err
			}
		}
		if old.Next.Equal(n.Next) || n.Next.IsZero() {
			return nil
		}
		due, others, err := slotDue(ctx, tx, s, key, m.ID)
		if err != nil || others {
			if others && nr.due.IsZero() {
				_, err = tx.Exec(ctx, "UPDATE nudges SET due_at=$3 WHERE space=$1 AND member=$2", key, m.ID, ts(due))
			}
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE nudges SET due_at=$3 WHERE space=$1 AND member=$2", key, m.ID, n.Next)
		return err
	}
	due, others, err := slotDue(ctx, tx, s, key, m.ID)
	if err != nil {
		return err
	}
	if !others {
		due = n.Next
	}
	_, err = tx.Exec(ctx, `INSERT INTO nudges (space, member, platform, hour, minute, zone, dm_closed, last_date, due_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
		ON CONFLICT (space, member) DO UPDATE SET hour=EXCLUDED.hour, minute=EXCLUDED.minute, zone=EXCLUDED.zone,
			dm_closed=EXCLUDED.dm_closed, last_date=EXCLUDED.last_date, due_at=EXCLUDED.due_at`,
		key, m.ID, string(m.Space.Platform), s.Hour, s.Minute, s.Zone, m.DMClosed, n.LastDate, ts(due))
	return err
}

// slotDue returns the slot's schedule as its other members have it (the
// earliest instant among them), and whether it has other scheduled members.
func slotDue(ctx context.Context, tx pgx.Tx, s nudge.Slot, space, id string) (time.Time, bool, error) {
	var due *time.Time
	err := tx.QueryRow(ctx, `SELECT min(due_at) FROM nudges WHERE hour=$1 AND minute=$2 AND zone=$3
		AND due_at IS NOT NULL AND NOT (space=$4 AND member=$5)`, s.Hour, s.Minute, s.Zone, space, id).Scan(&due)
	if err != nil {
		return time.Time{}, false, err
	}
	return fromTS(due), due != nil, nil
}

// DeleteMember implements bot.Store: the member's rows (marks and nudge by
// cascade), their submissions, DM channel and pending upload, and their id
// where they posted a challenge, set the schedule, moderate or added a
// roadmap.
func (db *DB) DeleteMember(ctx context.Context, sp bot.Space, id string) error {
	if err := bot.CheckMember(sp, id); err != nil {
		return err
	}
	key := sp.Key()
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, "SELECT record FROM spaces WHERE space = $1 FOR UPDATE", key).Scan(&raw)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if raw != nil {
			rec := &bot.SpaceRecord{}
			if err := json.Unmarshal(raw, rec); err != nil {
				return fmt.Errorf("decode space: %w", err)
			}
			mods := slices.DeleteFunc(slices.Clone(rec.Moderators), func(m string) bool { return m == id })
			if rec.Challenge.SetBy == id || len(mods) != len(rec.Moderators) {
				if rec.Challenge.SetBy == id {
					rec.Challenge.SetBy = ""
				}
				rec.Moderators = mods
				rec.Space = sp
				if err := putSpace(ctx, tx, rec); err != nil {
					return err
				}
			}
		}
		b := &pgx.Batch{}
		b.Queue("DELETE FROM members WHERE space=$1 AND member=$2", key, id)
		b.Queue("DELETE FROM submissions WHERE space=$1 AND member=$2", key, id)
		b.Queue("UPDATE challenges SET posted_by='' WHERE space=$1 AND posted_by=$2", key, id)
		b.Queue("UPDATE roadmap_files SET added_by='' WHERE space=$1 AND added_by=$2", key, id)
		b.Queue("DELETE FROM pending_roadmaps WHERE space=$1 AND member=$2", key, id)
		b.Queue("DELETE FROM dm_channels WHERE space=$1 AND member=$2", key, id)
		return tx.SendBatch(ctx, b).Close()
	})
	return bot.StoreError("delete member", err)
}

// membersPage is how many members Members reads per query; fn runs between
// queries, so it may write.
const membersPage = 256

// Members implements bot.Store, in id order, a page at a time (not one
// snapshot, like the bbolt store's).
func (db *DB) Members(ctx context.Context, sp bot.Space, fn func(*bot.Member) error) error {
	if err := bot.CheckSpace(sp); err != nil {
		return err
	}
	after := ""
	for {
		page, err := db.membersPage(ctx, sp, after)
		if err != nil {
			return bot.StoreError("list members", err)
		}
		for _, m := range page {
			if err := fn(m); err != nil {
				return err
			}
		}
		if len(page) < membersPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func (db *DB) membersPage(ctx context.Context, sp bot.Space, after string) ([]*bot.Member, error) {
	key := sp.Key()
	rows, err := db.pool.Query(ctx, "SELECT member, "+memberCols+`,
		(SELECT count(*) FROM submissions s WHERE s.space = m.space AND s.member = m.member)
		FROM members m WHERE space = $1 AND member > $2 ORDER BY member LIMIT $3`, key, after, membersPage)
	if err != nil {
		return nil, err
	}
	var page []*bot.Member
	byID := map[string]*bot.Member{}
	for rows.Next() {
		var id string
		var answered int
		m, err := scanMember(scanFunc(func(dest ...any) error {
			return rows.Scan(append(append([]any{&id}, dest...), &answered)...)
		}), sp, "")
		if err != nil {
			rows.Close()
			return nil, err
		}
		m.ID, m.Answered = id, answered
		page = append(page, m)
		byID[id] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(page) == 0 {
		return page, err
	}
	rows, err = db.pool.Query(ctx, `SELECT member, roadmap, topic, status, started, at, note FROM topic_marks
		WHERE space = $1 AND member > $2 AND member <= $3`, key, after, page[len(page)-1].ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, rm, topic, status string
		var started, at *time.Time
		var mk bot.Mark
		if err := rows.Scan(&id, &rm, &topic, &status, &started, &at, &mk.Note); err != nil {
			return nil, err
		}
		m := byID[id]
		if m == nil {
			continue
		}
		mk.Status, mk.Started, mk.At = roadmap.Status(status), fromTS(started), fromTS(at)
		if m.Tracks == nil {
			m.Tracks = map[string]*bot.Track{}
		}
		t := m.Tracks[rm]
		if t == nil {
			t = &bot.Track{}
			m.Tracks[rm] = t
		}
		t.Topics.Set(topic, mk)
	}
	return page, rows.Err()
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }
