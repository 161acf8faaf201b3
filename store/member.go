package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// membersPage is how many members Members decodes per read transaction. fn runs
// between transactions, so it may write to the store, and a long scan never
// holds a read transaction (which would block the file from growing).
const membersPage = 256

// Member implements bot.Store.
func (db *DB) Member(ctx context.Context, sp bot.Space, id string) (*bot.Member, error) {
	if err := checkMember(sp, id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var m *bot.Member
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketMembers, false)
		if err != nil || b == nil {
			return err
		}
		if v := b.Get([]byte(id)); v != nil {
			m = new(bot.Member)
			if err := decodeMember(v, m); err != nil {
				return err
			}
			fillSchedule(tx, m, db.clock.Now())
			fillAnswered(tx, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read member: %w", err)
	}
	if m == nil {
		return nil, bot.Errorf(bot.NotFound, "I have nothing stored for that member yet.")
	}
	return m, nil
}

// MemberInSpace implements bot.MemberInSpace: Space and Member in one read
// transaction, so a command that needs both (most do: the space says which
// roadmap a member follows) pays one.
func (db *DB) MemberInSpace(ctx context.Context, sp bot.Space, id string) (*bot.Member, *bot.SpaceRecord, error) {
	if err := checkMember(sp, id); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var key []byte // the member cache's key, when the cache is on
	if db.full != nil {
		key = append(append(append(make([]byte, 0, 64), sp.Key()...), 0), id...) // cacheKey's bytes
		if m, rec, ok := db.cachedMemberInSpace(sp, key); ok {
			return m, rec, nil
		}
	}
	var m *bot.Member
	rec := &bot.SpaceRecord{Space: sp}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		sb, err := spaceBucket(tx, sp, false)
		if err != nil || sb == nil {
			return err
		}
		if v := sb.Get(keySettings); v != nil {
			if err := db.spaces.decode(sp.Key(), v, rec, uint64(tx.ID())); err != nil {
				return err
			}
		} else {
			db.spaces.absent(sp.Key(), uint64(tx.ID()))
		}
		// A cached member is as its record says at this transaction or
		// later (memberCache); one is cached only while it has a record.
		cached, raw := db.full.get(key)
		if cached == nil {
			b := sb.Bucket(bucketMembers)
			if b == nil {
				return nil
			}
			v := b.Get([]byte(id))
			if v == nil {
				return nil
			}
			cached = new(bot.Member)
			if raw, err = decodeMemberRaw(v, cached); err != nil {
				return err
			}
			// Kept with its answered count, which the cached path
			// hands out (a change of the count invalidates it).
			fillAnsweredIn(sb, cached)
			if db.full.seen(key, uint64(tx.ID())) {
				db.full.put(string(key), cached, raw, uint64(tx.ID()), len(v))
			} else {
				m = cached // the first read since a write: not kept
			}
		}
		if m == nil {
			m = cloneMember(cached)
		}
		if raw != "" {
			db.reads.put(m, raw) // for UpdateMemberAfter
		}
		fillSchedule(tx, m, db.clock.Now())
		fillAnsweredIn(sb, m)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read member and space: %w", err)
	}
	rec.Space = sp
	return m, rec, nil
}

// cachedMemberInSpace is MemberInSpace without a read transaction, when
// everything it reads is cached and current: the member (with the count
// of challenges answered it was kept with; both change only through
// writes that invalidate the entry) and the space's settings
// (spaceCache.current). A member with nudges on is read in a transaction:
// their next nudge comes from the schedule. A transaction, its bucket
// lookups and the settings and answered reads were about half of what a
// cached next cost.
func (db *DB) cachedMemberInSpace(sp bot.Space, key []byte) (*bot.Member, *bot.SpaceRecord, bool) {
	cached, raw := db.full.peek(key)
	if cached == nil || cached.Nudge.On || db.closed.Load() {
		return nil, nil, false
	}
	rec := new(bot.SpaceRecord)
	if !db.spaces.current(sp.Key(), rec) {
		return nil, nil, false
	}
	rec.Space = sp
	db.full.hits.Add(1)
	db.cachedReads.Add(1)
	m := cloneMember(cached)
	m.Nudge.Next = time.Time{} // as fillSchedule leaves it when nudges are off
	db.reads.put(m, raw)
	return m, rec, true
}

var _ bot.MemberInSpace = (*DB)(nil)

// UpdateMember implements bot.Store. Concurrent calls share commits through
// the group commit (batch.go); each run of fn gets a fresh decode of the stored member.
func (db *DB) UpdateMember(ctx context.Context, sp bot.Space, id string, fn func(*bot.Member) error) (*bot.Member, error) {
	return db.updateMember(ctx, sp, id, "", nil, fn)
}

// updateMember is UpdateMember given, by UpdateMemberAfter, a member
// decoded before the write (preM, nil for none) and the binary record it
// came from (pre): inside the write, where every update of the commit
// waits, the record is then only compared with pre and, unless another
// write changed it meanwhile, preM is used rather than a fresh decode.
func (db *DB) updateMember(ctx context.Context, sp bot.Space, id string, pre string, preM *bot.Member, fn func(*bot.Member) error) (*bot.Member, error) {
	if err := checkMember(sp, id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *bot.Member
	var fnErr error
	err := db.batch.do(func(tx *bolt.Tx) error {
		out, fnErr = nil, nil
		sb, err := spaceBucket(tx, sp, true)
		if err != nil {
			return err
		}
		b, err := sb.CreateBucketIfNotExists(bucketMembers)
		if err != nil {
			return err
		}
		var m *bot.Member
		v := b.Get([]byte(id))
		if preM != nil && v != nil && string(v) == pre {
			m, preM = preM, nil // once: fn changes it, and a re-run needs a fresh one
		} else {
			m = &bot.Member{Space: sp, ID: id, Created: db.clock.Now()}
			if v != nil {
				if err := decodeMember(v, m); err != nil {
					return err
				}
			}
		}
		if v != nil {
			fillSchedule(tx, m, db.clock.Now())
			fillAnsweredIn(sb, m)
		}
		// Values: fn cannot change them.
		oldNudge, oldDM := m.Nudge, m.DMClosed
		if err := fn(m); err != nil {
			// A refusal is this call's result, not the batch's failure:
			// returning it would make bbolt roll back and re-run every
			// other update sharing the commit. Nothing was written for it.
			fnErr = err
			return nil
		}
		// The key decides who this is; fn cannot move a record.
		m.Space, m.ID = sp, id
		// Always the current form: a JSON record becomes binary on its
		// first write (the lazy migration, see codec.go).
		buf, err := encodeMemberSize(m, len(v))
		if err != nil {
			return err
		}
		if err := putSchedule(tx, oldNudge, oldDM, m); err != nil {
			return err
		}
		if err := b.Put([]byte(id), buf); err != nil {
			return err
		}
		db.invalidateMember(sp, id, uint64(tx.ID()))
		out = m
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, wrap("update member", err)
	}
	return out, nil
}

// DeleteMember implements bot.Store. Besides the record and its nudges record it
// removes the member's submissions from every challenge of the space and blanks
// their id where they posted a challenge or set the schedule, so no bucket
// holds their id afterwards.
func (db *DB) DeleteMember(ctx context.Context, sp bot.Space, id string) error {
	if err := checkMember(sp, id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		sb, err := spaceBucket(tx, sp, false)
		if err != nil || sb == nil {
			return err
		}
		if mb := sb.Bucket(bucketMembers); mb != nil {
			if v := mb.Get([]byte(id)); v != nil {
				// The nudge settings place the member's nudges record.
				n, err := nudgeOf(v)
				if err != nil {
					return err
				}
				if err := forgetSchedule(tx, sp, id, n); err != nil {
					return err
				}
				if err := mb.Delete([]byte(id)); err != nil {
					return err
				}
			}
		}
		// Also without a record: forgetInChallenges drops the member's
		// answered count, which the member cache keeps.
		db.invalidateMember(sp, id, uint64(tx.ID()))
		if err := db.forgetInSettings(sb, sp, id); err != nil {
			return err
		}
		if err := forgetPending(sb, id); err != nil {
			return err
		}
		if err := forgetDMChannel(sb, id); err != nil {
			return err
		}
		if err := forgetInRoadmaps(sb, id); err != nil {
			return err
		}
		return forgetInChallenges(sb, id)
	})
	if err != nil {
		return fmt.Errorf("delete member: %w", err)
	}
	return nil
}

func (db *DB) forgetInSettings(sb *bolt.Bucket, sp bot.Space, id string) error {
	v := sb.Get(keySettings)
	if v == nil {
		return nil
	}
	var rec bot.SpaceRecord
	if err := decode("space", v, &rec); err != nil {
		return err
	}
	mods := slices.DeleteFunc(slices.Clone(rec.Moderators), func(m string) bool { return m == id })
	if rec.Challenge.SetBy != id && len(mods) == len(rec.Moderators) {
		return nil
	}
	if rec.Challenge.SetBy == id {
		rec.Challenge.SetBy = ""
	}
	rec.Moderators = mods
	buf, err := encode("space", &rec)
	if err != nil {
		return err
	}
	return db.spaces.put(sb, sp.Key(), buf)
}

// forgetInChallenges rewrites the challenges that mention id. Challenges are
// weekly, so a space has few; the bytes.Contains test skips decoding the rest.
func forgetInChallenges(sb *bolt.Bucket, id string) error {
	if ab := sb.Bucket(bucketAnswered); ab != nil {
		if err := ab.Delete([]byte(id)); err != nil {
			return err
		}
	}
	cb := sb.Bucket(bucketChallenges)
	if cb == nil {
		return nil
	}
	type change struct {
		key []byte
		buf []byte
	}
	var changes []change
	// The id as it appears inside the JSON (escaped like any string).
	quoted, err := json.Marshal(id)
	if err != nil {
		return err
	}
	needle := quoted[1 : len(quoted)-1]
	err = cb.ForEach(func(k, v []byte) error {
		if !bytes.Contains(v, needle) {
			return nil
		}
		var c bot.Challenge
		if err := decode("challenge", v, &c); err != nil {
			return err
		}
		_, submitted := c.Submissions[id]
		if !submitted && c.PostedBy != id {
			return nil
		}
		delete(c.Submissions, id)
		if c.PostedBy == id {
			c.PostedBy = ""
		}
		buf, err := encode("challenge", &c)
		if err != nil {
			return err
		}
		changes = append(changes, change{bytes.Clone(k), buf})
		return nil
	})
	if err != nil {
		return err
	}
	// Put after ForEach: a bucket must not change while it is being iterated.
	for _, c := range changes {
		if err := cb.Put(c.key, c.buf); err != nil {
			return err
		}
	}
	return nil
}

// Members implements bot.Store. It reads membersPage members per read
// transaction and calls fn between transactions, so fn may write; the scan is
// therefore not one snapshot (a member added behind the cursor is missed).
func (db *DB) Members(ctx context.Context, sp bot.Space, fn func(*bot.Member) error) error {
	return db.members(ctx, sp, false, fn)
}

// Briefs implements bot.MemberBriefs: Members with a partial decode that
// skips what views over a whole space never show (history, reviews, notes).
// A JSON record is decoded whole and trimmed, so both forms give the same.
func (db *DB) Briefs(ctx context.Context, sp bot.Space, fn func(*bot.Member) error) error {
	return db.members(ctx, sp, true, fn)
}

var _ bot.MemberBriefs = (*DB)(nil)

func (db *DB) members(ctx context.Context, sp bot.Space, brief bool, fn func(*bot.Member) error) error {
	if err := checkSpace(sp); err != nil {
		return err
	}
	var after []byte
	var prefix []byte // the cache key so far: space key, 0x00
	if brief && db.briefs != nil {
		prefix = append([]byte(sp.Key()), 0)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page := make([]*bot.Member, 0, membersPage)
		// The page's Members in one allocation: what they point to is
		// decoded (or cached) apart.
		slab := make([]bot.Member, 0, membersPage)
		err := db.bolt.View(func(tx *bolt.Tx) error {
			b, err := child(tx, sp, bucketMembers, false)
			if err != nil || b == nil {
				return err
			}
			var ab *bolt.Bucket
			if sb, _ := spaceBucket(tx, sp, false); sb != nil {
				ab = sb.Bucket(bucketAnswered)
			}
			c := b.Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(page) < membersPage; k, v = c.Next() {
				slab = append(slab, bot.Member{})
				m := &slab[len(slab)-1]
				if brief {
					err = db.brief(tx, prefix, k, v, m)
				} else {
					err = decodeMember(v, m)
				}
				if err != nil {
					return fmt.Errorf("member %q: %w", k, err)
				}
				m.Answered = int(answeredIn(ab, m.ID))
				page = append(page, m)
				after = k
			}
			after = bytes.Clone(after)
			return nil
		})
		if err != nil {
			return fmt.Errorf("list members: %w", err)
		}
		for _, m := range page {
			if err := fn(m); err != nil {
				return err
			}
		}
		if len(page) < membersPage {
			return nil
		}
	}
}

// brief reads into m the brief of the member stored under k with value v:
// the cached one when the cache has it (its maps shared, so fn must not
// change them; see bot.MemberBriefs), else decoded and cached. m itself is
// the caller's to fill (Answered).
func (db *DB) brief(tx *bolt.Tx, prefix, k, v []byte, m *bot.Member) error {
	if db.briefs == nil {
		return decodeBrief(v, m)
	}
	key := append(prefix, k...)
	c, _ := db.briefs.get(key)
	if c == nil {
		c = new(bot.Member)
		if err := decodeBrief(v, c); err != nil {
			return err
		}
		db.briefs.put(string(key), c, "", uint64(tx.ID()), len(v))
	}
	*m = *c
	return nil
}
