package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/studybot/studybot/bot"
)

// ClaimDue implements bot.DueIndex over every platform.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int, fn func(*bot.Due) error) ([]*bot.Due, error) {
	return db.claimDue(ctx, nil, now, limit, fn)
}

// NextDue implements bot.DueIndex over every platform.
func (db *DB) NextDue(ctx context.Context) (time.Time, error) {
	return db.nextDue(ctx, nil)
}

// DueFor implements bot.DueSharer: the due index as a process that serves
// only f's platforms sees it.
func (db *DB) DueFor(f bot.DueFilter) bot.DueIndex {
	ps := make([]string, len(f.Platforms))
	for i, p := range f.Platforms {
		ps[i] = string(p)
	}
	if len(ps) == 0 {
		return db
	}
	return &dueView{db: db, platforms: ps}
}

type dueView struct {
	db        *DB
	platforms []string
}

func (v *dueView) ClaimDue(ctx context.Context, now time.Time, limit int, fn func(*bot.Due) error) ([]*bot.Due, error) {
	return v.db.claimDue(ctx, v.platforms, now, limit, fn)
}

func (v *dueView) NextDue(ctx context.Context) (time.Time, error) {
	return v.db.nextDue(ctx, v.platforms)
}

// claimDue takes up to limit due rows of nudges, in due order then slot and
// member order (the bbolt store's), with FOR UPDATE SKIP LOCKED: rows another
// process is claiming are left to it, and the reschedule commits in the same
// transaction, so each nudge is claimed once across processes. fn runs once
// per row (the transaction is not retried); its error rolls back and comes
// back unchanged.
func (db *DB) claimDue(ctx context.Context, platforms []string, now time.Time, limit int, fn func(*bot.Due) error) ([]*bot.Due, error) {
	if err := bot.CheckClaimLimit(limit); err != nil {
		return nil, err
	}
	var out []*bot.Due
	var fnErr error
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		filter, args := "", []any{now, limit}
		if platforms != nil {
			filter, args = " AND platform = ANY($3)", append(args, platforms)
		}
		rows, err := tx.Query(ctx, `SELECT space, member, hour, minute, zone, dm_closed, last_date, due_at FROM nudges
			WHERE due_at IS NOT NULL AND due_at <= $1`+filter+`
			ORDER BY due_at, hour, minute, octet_length(zone), zone, space, member
			LIMIT $2 FOR UPDATE SKIP LOCKED`, args...)
		if err != nil {
			return err
		}
		type row struct {
			space string
			d     bot.Due
		}
		var claimed []row
		for rows.Next() {
			var r row
			var due time.Time
			n := &r.d.Nudge
			if err := rows.Scan(&r.space, &r.d.Member, &n.Hour, &n.Minute, &n.Zone, &r.d.DMClosed, &n.LastDate, &due); err != nil {
				rows.Close()
				return err
			}
			n.On, n.Next = true, due.UTC()
			claimed = append(claimed, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var (
			offSpace, offMember         []string
			moveSpace, moveMember, last []string
			moveTo                      []time.Time
		)
		dues := make([]bot.Due, len(claimed))
		for i, r := range claimed {
			sp, ok := bot.ParseSpace(r.space)
			if !ok {
				offSpace, offMember = append(offSpace, r.space), append(offMember, r.d.Member) // malformed
				continue
			}
			d := &dues[i]
			*d = r.d
			d.Space = sp
			id := d.Member
			if err := fn(d); err != nil {
				fnErr = err
				return err
			}
			d.Space, d.Member = sp, id
			switch next := d.Nudge.Next; {
			case next.IsZero():
				offSpace, offMember = append(offSpace, r.space), append(offMember, id)
			case !next.After(now):
				return fmt.Errorf("claim %s/%s: fn left the nudge at %s, not after %s", sp, id, next, now)
			default:
				moveSpace, moveMember = append(moveSpace, r.space), append(moveMember, id)
				moveTo, last = append(moveTo, next), append(last, d.Nudge.LastDate)
			}
			out = append(out, d)
		}
		b := &pgx.Batch{}
		if len(moveSpace) > 0 {
			b.Queue(`UPDATE nudges SET due_at = v.due, last_date = v.last
				FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS v(space, member, due, last)
				WHERE nudges.space = v.space AND nudges.member = v.member`, moveSpace, moveMember, moveTo, last)
		}
		if len(offSpace) > 0 {
			b.Queue(`DELETE FROM nudges USING unnest($1::text[], $2::text[]) AS v(space, member)
				WHERE nudges.space = v.space AND nudges.member = v.member`, offSpace, offMember)
		}
		if b.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return bot.StoreResult("claim due", out, fnErr, err)
}

func (db *DB) nextDue(ctx context.Context, platforms []string) (time.Time, error) {
	filter, args := "", []any{}
	if platforms != nil {
		filter, args = " AND platform = ANY($1)", append(args, platforms)
	}
	var next time.Time
	err := db.pool.QueryRow(ctx, "SELECT due_at FROM nudges WHERE due_at IS NOT NULL"+filter+" ORDER BY due_at LIMIT 1", args...).Scan(&next)
	if err == pgx.ErrNoRows {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, bot.StoreError("next due", err)
	}
	return next.UTC(), nil
}
