package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/studybot/studybot/bot"
)

// SchemaVersion is the newest schema this binary knows: len(migrations).
const SchemaVersion = 6

// migration brings a file from version-1 to version. Migrations run in order in
// one transaction, so a failed one leaves the file as it was.
type migration struct {
	version int
	name    string
	run     func(tx *bolt.Tx) error
}

var migrations = []migration{
	{1, "create buckets", func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketSpaces, bucketDue} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	}},
	// Version 2 kept a due entry per member. Version 3 rebuilds the schedule
	// from the member records and what a version 2 index knew, so a version 1
	// file goes straight there.
	{2, "nudges bucket and per-member due values (superseded by 3)", func(*bolt.Tx) error { return nil }},
	{3, "one schedule per slot", migrateSlots},
	{4, "answered counts per member", migrateAnswered},
	// Version 5 writes member records in the binary form (codec.go). The
	// records migrate lazily, each on its next write, so opening a file
	// of a million members stays instant; the version only makes an older
	// studybot, which reads JSON alone, refuse the file with a clear
	// message.
	{5, "binary member records, rewritten lazily", func(*bolt.Tx) error { return nil }},
	// Version 6 writes member records in the smaller binary form 2
	// (codec.go), again lazily; an older studybot, which reads form 1
	// alone, refuses the file rather than fail on each rewritten member.
	{6, "binary member records, form 2, rewritten lazily", func(*bolt.Tx) error { return nil }},
}

// migrateAnswered counts each member's submissions over the space's
// challenges into the answered bucket (see bucketAnswered).
func migrateAnswered(tx *bolt.Tx) error {
	spaces := tx.Bucket(bucketSpaces)
	return spaces.ForEachBucket(func(spk []byte) error {
		sb := spaces.Bucket(spk)
		if err := sb.DeleteBucket(bucketAnswered); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return err
		}
		cb := sb.Bucket(bucketChallenges)
		if cb == nil {
			return nil
		}
		counts := map[string]uint32{}
		err := cb.ForEach(func(k, v []byte) error {
			var c struct {
				Submissions map[string]json.RawMessage `json:"submissions"`
			}
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("challenge %x in %s: %w", k, spk, err)
			}
			for m := range c.Submissions {
				counts[m]++
			}
			return nil
		})
		if err != nil || len(counts) == 0 {
			return err
		}
		ab, err := sb.CreateBucket(bucketAnswered)
		if err != nil {
			return err
		}
		ids := slices.Sorted(maps.Keys(counts))
		for _, id := range ids {
			if err := ab.Put([]byte(id), binary.BigEndian.AppendUint32(nil, counts[id])); err != nil {
				return err
			}
		}
		return nil
	})
}

// migrateSlots builds the nudges and slots buckets and the due index of
// schema version 3 from the member records. Where a version 2 due index had
// moved a member past their record (claims did not rewrite it), its instant
// and last nudge date win.
//
// bbolt splits nodes only when a transaction commits, so random inserts into
// a fresh bucket in one transaction cost O(n²) (minutes at 1,000,000); the
// pairs are gathered and sorted first, so every Put appends. That holds them
// all in memory once (~150 MB at 1,000,000 members), which a one-time
// migration can afford.
func migrateSlots(tx *bolt.Tx) error {
	known, err := v2Schedule(tx)
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketDue, bucketNudges, bucketSlots} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return err
		}
	}
	var buckets [3]*bolt.Bucket
	for i, name := range [][]byte{bucketDue, bucketNudges, bucketSlots} {
		if buckets[i], err = tx.CreateBucket(name); err != nil {
			return err
		}
	}
	due, nudges, slots := buckets[0], buckets[1], buckets[2]
	type kv struct{ k, v []byte }
	var nkv []kv
	slotAt := map[string]time.Time{}
	err = tx.Bucket(bucketSpaces).ForEachBucket(func(spk []byte) error {
		sp, ok := bot.ParseSpace(string(spk))
		if !ok {
			return fmt.Errorf("malformed space key %q", spk)
		}
		mb := tx.Bucket(bucketSpaces).Bucket(spk).Bucket(bucketMembers)
		if mb == nil {
			return nil
		}
		return mb.ForEach(func(k, v []byte) error {
			// Files before version 3 hold JSON records only (codec.go).
			var m struct {
				Nudge struct {
					bot.Nudge
					Next time.Time `json:"next"` // schemas 1 and 2 kept it in the record
				} `json:"nudge"`
				DMClosed bool `json:"dm_closed"`
			}
			if err := decode("member", v, &m); err != nil {
				return fmt.Errorf("member %s/%q: %w", sp, k, err)
			}
			n := m.Nudge.Nudge
			n.Next = m.Nudge.Next
			if !n.On {
				return nil
			}
			tail := memberKey(sp, string(k))
			if l, ok := known[string(tail)]; ok {
				n.Next, n.LastDate = l.next, l.last
			}
			key := nudgeKey(slotOf(n), tail)
			nkv = append(nkv, kv{key, nudgeRec{DMClosed: m.DMClosed, LastDate: n.LastDate}.encode()})
			// A slot starts at its members' earliest instant: one already
			// nudged today is skipped by their last date.
			if sk := string(key[:len(key)-len(tail)]); !n.Next.IsZero() {
				if at, ok := slotAt[sk]; !ok || n.Next.Before(at) {
					slotAt[sk] = n.Next
				}
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	var skv, dkv []kv
	for sk, at := range slotAt {
		skv = append(skv, kv{[]byte(sk), slotIdle})
		dkv = append(dkv, kv{dueKey(at, []byte(sk)), dueVal(at)})
	}
	for _, p := range []struct {
		b   *bolt.Bucket
		kvs []kv
	}{{nudges, nkv}, {slots, skv}, {due, dkv}} {
		slices.SortFunc(p.kvs, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
		for _, e := range p.kvs {
			if err := p.b.Put(e.k, e.v); err != nil {
				return err
			}
		}
	}
	return nil
}

// v2Entry is a member's live entry in a version 2 due index.
type v2Entry struct {
	next time.Time
	last string
}

// v2Schedule reads a version 2 due index: by member key (memberKey), the
// instant and last nudge date of each member's live entry, that is one whose
// generation matches the member's nudges record. It is empty for a version 1
// file, whose due values were empty and which had no nudges bucket.
//
// Version 2's values: nudges/<slot><member key> -> flags, 8-byte generation;
// due/<8-byte second><member key> -> 8-byte generation, 4-byte nanoseconds,
// slot, last date.
func v2Schedule(tx *bolt.Tx) (map[string]v2Entry, error) {
	known := map[string]v2Entry{}
	nb, db := tx.Bucket(bucketNudges), tx.Bucket(bucketDue)
	if nb == nil || db == nil {
		return known, nil
	}
	gens := map[string]uint64{}
	err := nb.ForEach(func(k, v []byte) error {
		if len(v) == 9 {
			gens[string(k)] = binary.BigEndian.Uint64(v[1:])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = db.ForEach(func(k, v []byte) error {
		if len(k) <= 8 || len(v) < 16 {
			return nil
		}
		_, n, ok := decodeSlot(v[12:])
		nsec := int64(binary.BigEndian.Uint32(v[8:]))
		if !ok || nsec >= 1e9 {
			return nil
		}
		nkey := append(append([]byte(nil), v[12:12+n]...), k[8:]...)
		if g, ok := gens[string(nkey)]; ok && g == binary.BigEndian.Uint64(v) {
			known[string(k[8:])] = v2Entry{time.Unix(int64(binary.BigEndian.Uint64(k)), nsec).UTC(), string(v[12+n:])}
		}
		return nil
	})
	return known, err
}
