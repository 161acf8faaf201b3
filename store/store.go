// Package store implements bot.Store on one bbolt file. It is the only package
// that imports bbolt.
//
// Layout (all keys sort, so scans are prefix or range scans with Cursor.Seek):
//
//	meta/                        "schema" -> 8-byte big-endian schema version
//	spaces/<platform:id>/        one bucket per space, so spaces are isolated
//	    "settings"               -> JSON bot.SpaceRecord
//	    members/<member id>      -> bot.Member, binary (codec.go); JSON in files from before schema 5, form 1 before schema 6, until rewritten
//	    challenges/<8-byte id>   -> JSON bot.Challenge (ids from the bucket's sequence)
//	    scheduled/<8-byte unix second><4-byte ns> -> 8-byte id of the challenge opened for that instant
//	    dms/<member id>          -> the member's direct-message channel id (dm.go)
//	nudges/<slot><platform:id>0x00<member id> -> binary {dm closed, last date}
//	slots/<slot>                 -> 0x00, or a paused walk {instant, next instant, resume key}
//	due/<8-byte unix second><slot> -> 4-byte nanoseconds
//	(<slot> is a local time and a zone: hour, minute, zone length, zone)
//
// The due index is keyed by the big-endian unix SECOND of each slot's next
// nudge (seconds rather than minutes so that "due at or before now" is exact
// to the second, the value holding the rest; the scheduler still ticks each
// minute). ClaimDue and NextDue read it from the first key, so their cost is
// O(members due), never O(members). A claim reads the due slots' members from
// the nudges bucket and moves each slot, never a member record; see due.go.
//
// Every write commits (and fsyncs) before the method returns. Member, space and
// challenge updates share commits through the store's group commit (batch.go,
// DB.Batch's contract with batches that stay open while a commit runs);
// MaxBatchDelay is tuned for that (see DefaultMaxBatchDelay).
// Opening and closing a challenge go through DB.Update, which runs its function
// once: they decide, and must not decide twice.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/studybot/studybot/bot"
)

// Defaults for Options.
const (
	DefaultLockTimeout = time.Second
	// DefaultMaxBatchDelay is how long a batched write waits for others to join
	// its commit (after a commit of a few writes, a trickle, 4 to 8 times as
	// long: see holdFor in batch.go). A commit costs about 220 µs here; bbolt's default 10 ms makes 64
	// concurrent writers wait far longer than the commit itself (~5,400 puts/s),
	// while 0.5 ms lets them share commits without idling (~30,000 puts/s, see
	// BenchmarkUpdateMember and BenchmarkBatchDelay).
	DefaultMaxBatchDelay = 500 * time.Microsecond
	// DefaultMaxBatchSize caps how many updates share one commit, which bounds
	// the work redone when one of them fails and the rest are retried.
	DefaultMaxBatchSize = 256
)

// Limits that keep one record or key from growing without bound.
const (
	MaxIDLen     = bot.MaxIDLen     // bytes of a member id or a space key
	MaxRecordLen = bot.MaxRecordLen // bytes of one encoded record
)

// The rules for which spaces and member ids a store keeps are the Store
// contract's, shared with store/postgres.
var (
	checkSpace  = bot.CheckSpace
	checkMember = bot.CheckMember
)

// Failures are reported as the Store contract says, like store/postgres.
var (
	wrap     = bot.StoreError
	fnResult = bot.StoreFnError
	encode   = bot.MarshalRecord
)

// result is bot.StoreResult; a generic function cannot be a variable.
func result[T any](op string, out T, fnErr, err error) (T, error) {
	return bot.StoreResult(op, out, fnErr, err)
}

// Options configure Open. The zero value is ready to use.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file; default DefaultLockTimeout.
	LockTimeout time.Duration
	// MaxBatchDelay and MaxBatchSize tune how concurrent updates share commits;
	// defaults DefaultMaxBatchDelay and DefaultMaxBatchSize.
	MaxBatchDelay time.Duration
	MaxBatchSize  int
	// ReadOnly opens the file with a shared lock; writes fail.
	ReadOnly bool
	// Clock stamps Member.Created on new members; default bot.SystemClock.
	Clock bot.Clock
	// BriefCacheBytes bounds the cache of decoded members that group and
	// leaderboard read (see memberCache); 0 means DefaultBriefCacheBytes,
	// negative turns it off.
	BriefCacheBytes int64
	// MemberCacheBytes bounds the cache of whole members that commands
	// read; 0 means DefaultMemberCacheBytes, negative turns it off.
	MemberCacheBytes int64
}

// DB is a studybot database: one bbolt file. It is safe for concurrent use.
type DB struct {
	bolt  *bolt.DB
	path  string
	clock bot.Clock

	// briefs caches decoded members for Briefs, full for MemberInSpace;
	// nil when off.
	briefs, full *memberCache
	// spaces keeps decoded settings records.
	spaces *spaceCache
	// cachedReads counts MemberInSpace reads served without a
	// transaction (cachedMemberInSpace), for tests.
	cachedReads atomic.Uint64
	// closed is set by Close: a read served from the caches would
	// otherwise still answer after it, where bbolt refuses.
	closed atomic.Bool
	// reads are the recent MemberInSpace reads UpdateMemberAfter can take
	// over (handoff.go).
	reads *readRing
	// batch is the group commit of member, space and challenge updates.
	batch *batcher

	// claim holds ClaimDue's scratch buffers between calls. Only a write
	// transaction touches it, and bbolt runs one at a time.
	claim claimScratch
}

var _ bot.Store = (*DB)(nil)

// ErrInUse is matched (errors.Is) by the error Open returns when another
// process, or another DB in this process, holds the file.
var ErrInUse = errors.New("database is in use by another studybot process")

type inUseError struct{ path string }

func (e *inUseError) Error() string {
	return fmt.Sprintf("database %s is in use by another studybot process", e.path)
}

func (e *inUseError) Is(target error) bool { return target == ErrInUse }

// Bucket and key names.
var (
	bucketMeta       = []byte("meta")
	bucketSpaces     = []byte("spaces")
	bucketDue        = []byte("due")
	bucketNudges     = []byte("nudges")
	bucketSlots      = []byte("slots")
	bucketMembers    = []byte("members")
	bucketChallenges = []byte("challenges")
	keySchema        = []byte("schema")
	keySettings      = []byte("settings")
)

// Open opens (creating if needed) the database at path, and brings its schema up
// to date. A file held by another studybot process fails after LockTimeout with
// an error matching ErrInUse whose text names the path.
func Open(path string, opt Options) (*DB, error) {
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = DefaultLockTimeout
	}
	if opt.MaxBatchDelay <= 0 {
		opt.MaxBatchDelay = DefaultMaxBatchDelay
	}
	if opt.MaxBatchSize <= 0 {
		opt.MaxBatchSize = DefaultMaxBatchSize
	}
	if opt.Clock == nil {
		opt.Clock = bot.SystemClock
	}
	if dir := filepath.Dir(path); dir != "" && !opt.ReadOnly {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open db: %w", err)
		}
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  opt.LockTimeout,
		ReadOnly: opt.ReadOnly,
		// The hashmap freelist allocates in O(1); the array one degrades on a
		// large, fragmented file.
		FreelistType: bolt.FreelistMapType,
		// Every commit would also write the list of free pages, which on
		// a large, fragmented file is many pages; without it, Open walks
		// the file to rebuild the list instead (about 0.13 s for 300,000
		// members here, 0.01 s with it). Commits are what the bot does
		// all day: done with 64 members went from about 0.47 to 0.54 of
		// the floor's writes/s. Meta pages are still synced, so a crash
		// loses nothing committed.
		NoFreelistSync: true,
		MmapFlags:      mmapFlags,
	})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, &inUseError{path: path}
		}
		return nil, fmt.Errorf("open db %s: %w", path, err)
	}
	bdb.MaxBatchDelay = opt.MaxBatchDelay
	bdb.MaxBatchSize = opt.MaxBatchSize
	if opt.BriefCacheBytes == 0 {
		opt.BriefCacheBytes = DefaultBriefCacheBytes
	}
	if opt.MemberCacheBytes == 0 {
		opt.MemberCacheBytes = DefaultMemberCacheBytes
	}
	db := &DB{bolt: bdb, path: path, clock: opt.Clock, reads: newReadRing(), spaces: newSpaceCache(),
		briefs: newMemberCache(opt.BriefCacheBytes), full: newMemberCache(opt.MemberCacheBytes),
		batch: newBatcher(bdb, opt.MaxBatchDelay, opt.MaxBatchSize)}
	if err := db.migrate(opt.ReadOnly); err != nil {
		bdb.Close()
		return nil, err
	}
	return db, nil
}

// Close releases the file. Pending batched writes finish first.
func (db *DB) Close() error {
	db.closed.Store(true)
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close db: %w", err)
	}
	return nil
}

// Path returns the file's path as given to Open.
func (db *DB) Path() string { return db.path }

func schemaVersion(tx *bolt.Tx) uint64 {
	b := tx.Bucket(bucketMeta)
	if b == nil {
		return 0
	}
	v := b.Get(keySchema)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// migrate checks the schema version (a read, so opening a large file costs no
// scan) and runs the missing migrations in one write transaction.
func (db *DB) migrate(readOnly bool) error {
	var v uint64
	if err := db.bolt.View(func(tx *bolt.Tx) error { v = schemaVersion(tx); return nil }); err != nil {
		return fmt.Errorf("open db: %w", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("database %s has schema version %d, but this studybot knows only up to %d; use a newer studybot", db.path, v, SchemaVersion)
	}
	if v == SchemaVersion {
		return nil
	}
	if readOnly {
		return fmt.Errorf("database %s has schema version %d and needs migrating to %d; open it read-write once", db.path, v, SchemaVersion)
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		v := schemaVersion(tx)
		for _, m := range migrations {
			if uint64(m.version) <= v {
				continue
			}
			if err := m.run(tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		buf := make([]byte, 8)
		binary.BigEndian.PutUint64(buf, SchemaVersion)
		return tx.Bucket(bucketMeta).Put(keySchema, buf)
	})
	if err != nil {
		return fmt.Errorf("migrate db %s: %w", db.path, err)
	}
	return nil
}

// decode unmarshals a record. json.Unmarshal copies everything it keeps, so the
// result does not alias the transaction's memory.
func decode(what string, buf []byte, v any) error {
	if err := json.Unmarshal(buf, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// spaceBucket returns a space's bucket, creating it when create is set (in a
// write transaction). It returns nil when absent and not created.
func spaceBucket(tx *bolt.Tx, sp bot.Space, create bool) (*bolt.Bucket, error) {
	root := tx.Bucket(bucketSpaces)
	if root == nil {
		return nil, errors.New("spaces bucket missing")
	}
	key := []byte(sp.Key())
	if !create {
		return root.Bucket(key), nil
	}
	return root.CreateBucketIfNotExists(key)
}

// child returns a nested bucket of a space (members, challenges), or nil.
func child(tx *bolt.Tx, sp bot.Space, name []byte, create bool) (*bolt.Bucket, error) {
	sb, err := spaceBucket(tx, sp, create)
	if err != nil || sb == nil {
		return nil, err
	}
	if !create {
		return sb.Bucket(name), nil
	}
	return sb.CreateBucketIfNotExists(name)
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}
