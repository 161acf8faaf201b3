package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// dueKey is the due index key of a member whose next nudge is at next: the
// big-endian unix second (instants before 1970 clamp to 0, i.e. due at once),
// the space key, 0x00, the member id. Keys sort by due time first.
func dueKey(next time.Time, sp bot.Space, id string) []byte {
	sec := next.Unix()
	if sec < 0 {
		sec = 0
	}
	key := make([]byte, 0, 8+len(sp.Key())+1+len(id))
	key = binary.BigEndian.AppendUint64(key, uint64(sec))
	key = append(key, sp.Key()...)
	key = append(key, 0)
	return append(key, id...)
}

// parseDueKey splits a due index key; ok is false for a malformed key.
func parseDueKey(key []byte) (sec int64, sp bot.Space, id string, ok bool) {
	if len(key) < 8 {
		return 0, bot.Space{}, "", false
	}
	sec = int64(binary.BigEndian.Uint64(key[:8]))
	rest := key[8:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return 0, bot.Space{}, "", false
	}
	sp, ok = bot.ParseSpace(string(rest[:i]))
	id = string(rest[i+1:])
	return sec, sp, id, ok && id != ""
}

// ClaimDue implements bot.Store. It runs in one db.Update (never Batch, which
// could re-run fn), so fn is called exactly once per member. If fn returns an
// error, nothing is committed and ClaimDue returns that error unchanged. limit
// must be positive.
//
// Index entries that no longer match a member record (which a crash cannot
// cause, but an old bug could) are repaired along the way rather than failing
// every tick.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int, fn func(*bot.Member) error) ([]*bot.Member, error) {
	if limit <= 0 {
		return nil, bot.Errorf(bot.Invalid, "ClaimDue needs a positive limit, not %d.", limit)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*bot.Member
	var fnErr error
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		due := tx.Bucket(bucketDue)
		// Collect first: a bucket must not change under its cursor.
		var keys [][]byte
		c := due.Cursor()
		for k, _ := c.First(); k != nil && len(keys) < limit; k, _ = c.Next() {
			if len(k) >= 8 && int64(binary.BigEndian.Uint64(k[:8])) > now.Unix() {
				break
			}
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			_, sp, id, ok := parseDueKey(k)
			if !ok {
				if err := due.Delete(k); err != nil {
					return err
				}
				continue
			}
			mb, err := child(tx, sp, bucketMembers, false)
			if err != nil {
				return err
			}
			var v []byte
			if mb != nil {
				v = mb.Get([]byte(id))
			}
			if v == nil { // stale: the member is gone
				if err := due.Delete(k); err != nil {
					return err
				}
				continue
			}
			m := new(bot.Member)
			if err := decode("member", v, m); err != nil {
				return fmt.Errorf("member %s/%s: %w", sp, id, err)
			}
			oldNext := m.Nudge.Next
			if oldNext.IsZero() || !bytes.Equal(dueKey(oldNext, sp, id), k) {
				// Stale: re-index the member where its record says.
				if err := due.Delete(k); err != nil {
					return err
				}
				if !oldNext.IsZero() {
					if err := due.Put(dueKey(oldNext, sp, id), nil); err != nil {
						return err
					}
				}
				continue
			}
			if oldNext.After(now) {
				continue // due later within this same second
			}
			if err := fn(m); err != nil {
				fnErr = err
				return err
			}
			m.Space, m.ID = sp, id
			if err := putMember(tx, mb, oldNext, m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, wrap("claim due", err)
	}
	return out, nil
}

// NextDue implements bot.Store: the first due index entry, made exact from the
// member's record. Zero when no member has a nudge scheduled.
func (db *DB) NextDue(ctx context.Context) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	var next time.Time
	err := db.bolt.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bucketDue).Cursor().First()
		if k == nil {
			return nil
		}
		sec, sp, id, ok := parseDueKey(k)
		if !ok {
			return fmt.Errorf("malformed due key %q", k)
		}
		next = time.Unix(sec, 0).UTC()
		mb, err := child(tx, sp, bucketMembers, false)
		if err != nil || mb == nil {
			return err
		}
		if v := mb.Get([]byte(id)); v != nil {
			var m bot.Member
			if err := decode("member", v, &m); err != nil {
				return err
			}
			if !m.Nudge.Next.IsZero() && m.Nudge.Next.Unix() == sec {
				next = m.Nudge.Next
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("next due: %w", err)
	}
	return next, nil
}
