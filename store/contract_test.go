package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/store/storetest"
)

// TestContract runs the store contract suite, shared with the PostgreSQL
// store, on bbolt.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		db, err := Open(filepath.Join(t.TempDir(), "studybot.db"), Options{Clock: bot.ClockFunc(func() time.Time { return storetest.T0 })})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return dumpDB{db}
	})
}

// dumpDB lets the suite look at every key and value of the file.
type dumpDB struct{ *DB }

func (d dumpDB) Dump(_ context.Context, fn func(where string, v []byte)) error {
	var walk func(where string, b *bolt.Bucket) error
	walk = func(where string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			fn(where+"/"+string(k), k)
			if v == nil {
				return walk(where+"/"+string(k), b.Bucket(k))
			}
			fn(where+"/"+string(k), v)
			return nil
		})
	}
	return d.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
	})
}
