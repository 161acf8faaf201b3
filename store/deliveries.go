package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
)

// Deliveries live in their own top-level bucket, created by the first mark
// (so no schema migration is needed and a file that never saw Slack has none):
//
//	deliveries/keys/<key>                      -> 8-byte big-endian unix nanoseconds
//	deliveries/at/<8-byte unix ns><key>        -> empty
//
// The second bucket orders the keys by time, so PruneDeliveries reads only
// what it deletes instead of every key.
var (
	bucketDeliveries = []byte("deliveries")
	bucketDelivKeys  = []byte("keys")
	bucketDelivAt    = []byte("at")
)

var _ bot.Deliveries = (*DB)(nil)

// Delivered implements bot.Deliveries.
func (db *DB) Delivered(ctx context.Context, key string) (bool, error) {
	if err := bot.CheckDeliveryKey(key); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var found bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if kb := deliveryBucket(tx, bucketDelivKeys); kb != nil {
			found = kb.Get([]byte(key)) != nil
		}
		return nil
	})
	return found, wrap("delivered", err)
}

// MarkDelivered implements bot.Deliveries. Marking a key again moves it to the
// later time, so it is kept for the window after its last mark.
func (db *DB) MarkDelivered(ctx context.Context, key string, at time.Time) error {
	if err := bot.CheckDeliveryKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Batch may run the function twice; it is idempotent (the second run finds
	// its own mark and replaces it with the same one).
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(bucketDeliveries)
		if err != nil {
			return err
		}
		kb, err := root.CreateBucketIfNotExists(bucketDelivKeys)
		if err != nil {
			return err
		}
		ab, err := root.CreateBucketIfNotExists(bucketDelivAt)
		if err != nil {
			return err
		}
		k := []byte(key)
		if old := kb.Get(k); len(old) == 8 {
			if binary.BigEndian.Uint64(old) >= deliveryNano(at) {
				return nil // already marked at this time or later
			}
			if err := ab.Delete(append(bytes.Clone(old), k...)); err != nil {
				return err
			}
		}
		ts := u64(deliveryNano(at))
		if err := kb.Put(k, ts); err != nil {
			return err
		}
		return ab.Put(append(ts, k...), nil)
	})
	return wrap("mark delivered", err)
}

// PruneDeliveries implements bot.Deliveries. Its cost is the keys it forgets.
func (db *DB) PruneDeliveries(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		n = 0
		kb, ab := deliveryBucket(tx, bucketDelivKeys), deliveryBucket(tx, bucketDelivAt)
		if kb == nil || ab == nil {
			return nil
		}
		limit := deliveryNano(before)
		c := ab.Cursor()
		for k, _ := c.First(); k != nil && len(k) >= 8 && binary.BigEndian.Uint64(k[:8]) < limit; k, _ = c.First() {
			key := bytes.Clone(k[8:])
			if err := c.Delete(); err != nil {
				return err
			}
			if err := kb.Delete(key); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, wrap("prune deliveries", err)
	}
	return n, nil
}

// deliveryBucket returns deliveries/<name>, nil when nothing was marked yet.
func deliveryBucket(tx *bolt.Tx, name []byte) *bolt.Bucket {
	root := tx.Bucket(bucketDeliveries)
	if root == nil {
		return nil
	}
	return root.Bucket(name)
}

// deliveryNano is t as an unsigned key part; times before 1970 count as 1970.
func deliveryNano(t time.Time) uint64 {
	return uint64(max(t.UnixNano(), 0))
}
