package store

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Ping runs one read transaction that reads the schema version: the liveness
// probe's proof that the file is open, mapped and readable. It is cheap (no
// write, no fsync) and never waits for a writer.
func (db *DB) Ping() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		if schemaVersion(tx) == 0 {
			return errors.New("ping db: no schema version")
		}
		return nil
	})
}

// Stats is what an operator watches of the file: its size, the read
// transactions open now, and the time write transactions have spent in
// their commits.
type Stats struct {
	Size         int64         // bytes in the file as the last commit left it
	FreeBytes    int64         // bytes in free pages: what compaction would give back
	OpenReads    int           // read transactions open now
	Reads        int           // read transactions started since Open
	CommitTime   time.Duration // time commits spent rebalancing, spilling and writing, since Open
	CommitWrites int64         // page writes by commits, since Open
}

// Stats reads the file's figures from bbolt. It opens one read transaction
// for the size, which OpenReads and Reads include.
func (db *DB) Stats() (Stats, error) {
	var size int64
	if err := db.bolt.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }); err != nil {
		return Stats{}, wrap("db stats", err)
	}
	s := db.bolt.Stats()
	return Stats{
		Size:         size,
		FreeBytes:    int64(s.FreeAlloc),
		OpenReads:    s.OpenTxN,
		Reads:        s.TxN,
		CommitTime:   s.TxStats.GetRebalanceTime() + s.TxStats.GetSpillTime() + s.TxStats.GetWriteTime(),
		CommitWrites: s.TxStats.GetWrite(),
	}, nil
}
