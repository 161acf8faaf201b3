package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// bucketScheduled indexes scheduled challenges by their instant, inside each
// space's bucket: scheduled/<8-byte unix second><4-byte nanosecond> -> 8-byte
// challenge id. OpenChallenge looks an instant up in O(log n) to open at most
// one challenge per scheduled instant.
var bucketScheduled = []byte("scheduled")

// bucketAnswered counts, inside each space's bucket, the challenges each
// member has a submission on: answered/<member id> -> 4-byte count. It is
// kept in step in the transactions that change submissions (UpdateChallenge,
// DeleteMember), so reading a member's count is one Get instead of decoding
// every challenge of the space.
var bucketAnswered = []byte("answered")

// addAnswered changes the count of id (a member of sp, whose bucket sb is)
// by delta, deleting it at zero. The member cache keeps members with their
// count (cachedMemberInSpace): the change drops the member from it.
func (db *DB) addAnswered(sb *bolt.Bucket, sp bot.Space, id string, delta int) error {
	db.full.invalidate(cacheKey(sp, id), uint64(sb.Tx().ID()))
	ab, err := sb.CreateBucketIfNotExists(bucketAnswered)
	if err != nil {
		return err
	}
	n := int(answeredIn(ab, id)) + delta
	if n <= 0 {
		return ab.Delete([]byte(id))
	}
	return ab.Put([]byte(id), binary.BigEndian.AppendUint32(nil, uint32(n)))
}

// answeredIn reads id's count from the answered bucket (nil: none).
func answeredIn(ab *bolt.Bucket, id string) uint32 {
	if ab == nil {
		return 0
	}
	if v := ab.Get([]byte(id)); len(v) == 4 {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

// fillAnswered sets m.Answered from the space's answered bucket.
func fillAnswered(tx *bolt.Tx, m *bot.Member) {
	if sb, _ := spaceBucket(tx, m.Space, false); sb != nil {
		fillAnsweredIn(sb, m)
	}
}

// fillAnsweredIn is fillAnswered for a caller holding the space's bucket
// (opening it again is a lookup and two allocations per read).
func fillAnsweredIn(sb *bolt.Bucket, m *bot.Member) {
	m.Answered = int(answeredIn(sb.Bucket(bucketAnswered), m.ID))
}

func scheduledKey(t time.Time) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(t.Unix()))
	return binary.BigEndian.AppendUint32(k, uint32(t.Nanosecond()))
}

// OpenChallenge implements bot.Store. It runs in DB.Update rather than Batch:
// a batched function may run more than once, and this one must decide exactly
// once whether to open, close or refuse.
func (db *DB) OpenChallenge(ctx context.Context, sp bot.Space, c *bot.Challenge, onOpen bot.OnOpen) (*bot.Opening, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := bot.CheckOpening(c, onOpen); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.Opening
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		sb, err := spaceBucket(tx, sp, true)
		if err != nil {
			return err
		}
		cb, err := sb.CreateBucketIfNotExists(bucketChallenges)
		if err != nil {
			return err
		}
		var idx *bolt.Bucket
		if !c.ScheduledAt.IsZero() {
			if idx, err = sb.CreateBucketIfNotExists(bucketScheduled); err != nil {
				return err
			}
			if v := idx.Get(scheduledKey(c.ScheduledAt)); len(v) == 8 {
				prev, err := getChallenge(cb, binary.BigEndian.Uint64(v))
				if err != nil {
					return err
				}
				if prev != nil {
					out = &bot.Opening{Opened: prev, Repeat: true}
					return nil
				}
				// The index names a challenge that is gone (challenges are never
				// deleted, so this is damage): open a new one over it.
			}
		}
		rec, err := getSpace(sb, sp)
		if err != nil {
			return err
		}
		closed, err := openChallenge(cb, rec)
		if err != nil {
			return err
		}
		if err := bot.CloseForOpening(closed, c, onOpen); err != nil {
			return err
		}
		if closed != nil {
			if err := putChallenge(cb, closed); err != nil {
				return err
			}
		}
		id, err := cb.NextSequence()
		if err != nil {
			return err
		}
		cp := c.Opened(id)
		buf, err := encode("challenge", cp)
		if err != nil {
			return err
		}
		if err := cb.Put(u64(id), buf); err != nil {
			return err
		}
		if idx != nil {
			if err := idx.Put(scheduledKey(c.ScheduledAt), u64(id)); err != nil {
				return err
			}
		}
		rec.SetCurrent(cp)
		if err := db.putSpace(sb, sp, rec); err != nil {
			return err
		}
		// Decode what was stored, so the caller's maps are not shared with ours.
		opened := new(bot.Challenge)
		if err := decode("challenge", buf, opened); err != nil {
			return err
		}
		out = &bot.Opening{Opened: opened, Closed: closed}
		return nil
	})
	if err != nil {
		return nil, wrap("open challenge", err)
	}
	return out, nil
}

// CloseChallenge implements bot.Store, in DB.Update like OpenChallenge.
func (db *DB) CloseChallenge(ctx context.Context, sp bot.Space, at time.Time, fn func(*bot.SpaceRecord) error) (*bot.SpaceRecord, *bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, nil, err
	}
	if err := bot.CheckClosing(at); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var (
		rec    *bot.SpaceRecord
		closed *bot.Challenge
		fnErr  error
	)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		sb, err := spaceBucket(tx, sp, true)
		if err != nil {
			return err
		}
		if rec, err = getSpace(sb, sp); err != nil {
			return err
		}
		if err := bot.ApplySpaceUpdate(rec, fn); err != nil {
			fnErr = err
			return err
		}
		cb := sb.Bucket(bucketChallenges)
		if cb != nil {
			if closed, err = openChallenge(cb, rec); err != nil {
				return err
			}
		}
		rec.CloseOpen(closed, at)
		if closed != nil {
			if err := putChallenge(cb, closed); err != nil {
				return err
			}
		}
		return db.putSpace(sb, sp, rec)
	})
	if err := fnResult("close challenge", fnErr, err); err != nil {
		return nil, nil, err
	}
	return rec, closed, nil
}

// openChallenge returns the challenge rec.Current names if it is open, nil
// when Current is 0 or names a missing or closed challenge.
func openChallenge(cb *bolt.Bucket, rec *bot.SpaceRecord) (*bot.Challenge, error) {
	if rec.Current == 0 {
		return nil, nil
	}
	c, err := getChallenge(cb, rec.Current)
	if err != nil || !c.IsOpen() {
		return nil, err
	}
	return c, nil
}

// getChallenge decodes a challenge, nil when there is none with that id.
func getChallenge(cb *bolt.Bucket, id uint64) (*bot.Challenge, error) {
	v := cb.Get(u64(id))
	if v == nil {
		return nil, nil
	}
	c := new(bot.Challenge)
	if err := decode("challenge", v, c); err != nil {
		return nil, err
	}
	return c, nil
}

func putChallenge(cb *bolt.Bucket, c *bot.Challenge) error {
	buf, err := encode("challenge", c)
	if err != nil {
		return err
	}
	return cb.Put(u64(c.ID), buf)
}

// getSpace decodes a space's settings from its bucket: a zero record when
// none are stored.
func getSpace(sb *bolt.Bucket, sp bot.Space) (*bot.SpaceRecord, error) {
	rec := &bot.SpaceRecord{}
	if v := sb.Get(keySettings); v != nil {
		if err := decode("space", v, rec); err != nil {
			return nil, err
		}
	}
	rec.Space = sp
	return rec, nil
}

// putSpace writes the settings record of the space sp (whose bucket sb is).
func (db *DB) putSpace(sb *bolt.Bucket, sp bot.Space, rec *bot.SpaceRecord) error {
	buf, err := encode("space", rec)
	if err != nil {
		return err
	}
	return db.spaces.put(sb, sp.Key(), buf)
}

// Challenge implements bot.Store.
func (db *DB) Challenge(ctx context.Context, sp bot.Space, id uint64) (*bot.Challenge, error) {
	return getRecord[bot.Challenge](ctx, db, sp, bucketChallenges, u64(id), "challenge", func() error { return bot.ChallengeNotFound(id) })
}

// UpdateChallenge implements bot.Store, sharing commits like UpdateMember.
func (db *DB) UpdateChallenge(ctx context.Context, sp bot.Space, id uint64, fn func(*bot.Challenge) error) (*bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.Challenge
	var fnErr error
	err := db.batch.do(func(tx *bolt.Tx) error {
		out, fnErr = nil, nil
		sb, err := spaceBucket(tx, sp, false)
		if err != nil {
			return err
		}
		var cb *bolt.Bucket
		if sb != nil {
			cb = sb.Bucket(bucketChallenges)
		}
		var v []byte
		if cb != nil {
			v = cb.Get(u64(id))
		}
		if v == nil {
			fnErr = bot.ChallengeNotFound(id) // a result, not a failed batch (see UpdateMember)
			return nil
		}
		c := new(bot.Challenge)
		if err := decode("challenge", v, c); err != nil {
			return err
		}
		had := make(map[string]bool, len(c.Submissions))
		for m := range c.Submissions {
			had[m] = true
		}
		if err := fn(c); err != nil {
			fnErr = err // a result, not a failed batch (see UpdateMember)
			return nil
		}
		c.ID = id
		// Keep each member's answered count in step with the submissions.
		for m := range c.Submissions {
			if !had[m] {
				if err := db.addAnswered(sb, sp, m, 1); err != nil {
					return err
				}
			}
			delete(had, m)
		}
		for m := range had {
			if err := db.addAnswered(sb, sp, m, -1); err != nil {
				return err
			}
		}
		buf, err := encode("challenge", c)
		if err != nil {
			return err
		}
		if err := cb.Put(u64(id), buf); err != nil {
			return err
		}
		out = c
		return nil
	})
	return result("update challenge", out, fnErr, err)
}

// Challenges implements bot.Store: newest (highest id) first. limit <= 0 means
// no limit.
func (db *DB) Challenges(ctx context.Context, sp bot.Space, limit int) ([]*bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*bot.Challenge
	err := db.bolt.View(func(tx *bolt.Tx) error {
		cb, err := child(tx, sp, bucketChallenges, false)
		if err != nil || cb == nil {
			return err
		}
		c := cb.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			ch := new(bot.Challenge)
			if err := decode("challenge", v, ch); err != nil {
				return err
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list challenges: %w", err)
	}
	return out, nil
}
