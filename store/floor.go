package store

import (
	"context"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// Floor is what the benchmarks of other packages compare the store against:
// bbolt itself doing the least a command could, on the same file in the same
// run, so a target stated as "N× the floor" travels between machines. Only
// benchmarks, the simulator and tests use it; it is here rather than in a
// _test file because bot's benchmarks cannot import a test file and must not
// import bbolt.
type Floor struct{ db *DB }

// Floor returns the database's floor operations.
func (db *DB) Floor() Floor { return Floor{db} }

// Get is one read transaction and one Get of a member's record, copied out
// (as every read must) but not decoded. It returns the record's length.
func (f Floor) Get(sp bot.Space, id string) (int, error) {
	var n int
	err := f.db.bolt.View(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketMembers, false)
		if err != nil || b == nil {
			return err
		}
		n = len(slices.Clone(b.Get([]byte(id))))
		return nil
	})
	return n, err
}

// Scan reads every member record of a space in one read transaction,
// touching each value's bytes (a sum) but decoding nothing. It returns the
// number of records.
func (f Floor) Scan(sp bot.Space) (int, error) {
	var n int
	var sum byte
	err := f.db.bolt.View(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketMembers, false)
		if err != nil || b == nil {
			return err
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			for _, x := range v {
				sum += x
			}
			n++
		}
		return nil
	})
	_ = sum
	return n, err
}

// Commits returns the id of the last committed write transaction: the
// difference over a run is how many commits it took, so a benchmark can
// tell how many writes shared each.
func (f Floor) Commits() int {
	var id int
	f.db.bolt.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
	return id
}

var floorBucket = []byte("floor")

// BatchPut puts value under key in a scratch bucket of its own through
// bbolt's DB.Batch, at the database's MaxBatchDelay: what a batched member
// write costs without reading, deciding or encoding.
func (f Floor) BatchPut(key, value []byte) error {
	return f.db.bolt.Batch(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(floorBucket)
		if err != nil {
			return err
		}
		return b.Put(key, value)
	})
}

// Record returns a copy of a member's stored record (nil when there is
// none), for BatchPutMember to write back.
func (f Floor) Record(sp bot.Space, id string) ([]byte, error) {
	var v []byte
	err := f.db.bolt.View(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketMembers, false)
		if err != nil || b == nil {
			return err
		}
		v = slices.Clone(b.Get([]byte(id)))
		return nil
	})
	return v, err
}

// BatchPutMember puts v as the member's record through bbolt's DB.Batch at
// the database's MaxBatchDelay: the write a batched member update makes, to
// the same key among the same neighbours (bbolt rewrites a whole leaf, at
// least two records, for one Put), without reading, deciding or encoding.
// v must be a record of that member (Record's): the caches are not told.
func (f Floor) BatchPutMember(sp bot.Space, id string, v []byte) error {
	return f.db.bolt.Batch(func(tx *bolt.Tx) error {
		b, err := child(tx, sp, bucketMembers, false)
		if err != nil {
			return err
		}
		if b == nil {
			return fmt.Errorf("floor: no members in %v", sp)
		}
		return b.Put([]byte(id), v)
	})
}

// LoadMembers stores new members of one space with direct, sorted puts, many
// per transaction, bypassing DB.Batch: for benchmarks and the simulator to
// build a large file in seconds. It overwrites existing records without
// reading them and keeps the nudge schedule as UpdateMember would for a new
// member; it is not for a live bot.
func (f Floor) LoadMembers(ctx context.Context, sp bot.Space, ms []*bot.Member) error {
	if err := checkSpace(sp); err != nil {
		return err
	}
	sorted := slices.Clone(ms)
	slices.SortFunc(sorted, func(a, b *bot.Member) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	const per = 20000
	for start := 0; start < len(sorted); start += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := f.db.bolt.Update(func(tx *bolt.Tx) error {
			b, err := child(tx, sp, bucketMembers, true)
			if err != nil {
				return err
			}
			b.FillPercent = 0.9 // sorted appends: pack pages fuller
			for _, m := range sorted[start:min(len(sorted), start+per)] {
				m.Space = sp
				buf, err := encodeMember(m)
				if err != nil {
					return err
				}
				if err := putSchedule(tx, bot.Nudge{}, false, m); err != nil {
					return err
				}
				if err := b.Put([]byte(m.ID), buf); err != nil {
					return err
				}
				f.db.invalidateMember(sp, m.ID, uint64(tx.ID()))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("load members: %w", err)
		}
	}
	return nil
}
