package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// AddChallenge implements bot.Store. The id comes from the space's challenges
// bucket sequence, so ids increase per space and are never reused. c itself is
// not changed; the stored copy is returned.
func (db *DB) AddChallenge(ctx context.Context, sp bot.Space, c *bot.Challenge) (*bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, bot.Errorf(bot.Invalid, "There is no challenge to store.")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.Challenge
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		cb, err := child(tx, sp, bucketChallenges, true)
		if err != nil {
			return err
		}
		id, err := cb.NextSequence()
		if err != nil {
			return err
		}
		cp := *c
		cp.ID = id
		buf, err := encode("challenge", &cp)
		if err != nil {
			return err
		}
		if err := cb.Put(u64(id), buf); err != nil {
			return err
		}
		// Decode what was stored, so the caller's maps are not shared with ours.
		out = new(bot.Challenge)
		return decode("challenge", buf, out)
	})
	if err != nil {
		return nil, wrap("add challenge", err)
	}
	return out, nil
}

// Challenge implements bot.Store.
func (db *DB) Challenge(ctx context.Context, sp bot.Space, id uint64) (*bot.Challenge, error) {
	if err := checkSpace(sp); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.Challenge
	err := db.bolt.View(func(tx *bolt.Tx) error {
		cb, err := child(tx, sp, bucketChallenges, false)
		if err != nil || cb == nil {
			return err
		}
		if v := cb.Get(u64(id)); v != nil {
			out = new(bot.Challenge)
			return decode("challenge", v, out)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read challenge: %w", err)
	}
	if out == nil {
		return nil, challengeNotFound(id)
	}
	return out, nil
}

func challengeNotFound(id uint64) error {
	return bot.Errorf(bot.NotFound, "There is no challenge #%d.", id)
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
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
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
			return challengeNotFound(id)
		}
		c := new(bot.Challenge)
		if err := decode("challenge", v, c); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			fnErr = err
			return err
		}
		c.ID = id
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
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, wrap("update challenge", err)
	}
	return out, nil
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
