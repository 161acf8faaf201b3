package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole database to w while the bot keeps
// running: a read transaction sees one snapshot and does not block writers.
// It returns the number of bytes written.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a backup to path atomically: to a temporary file in the same
// directory, fsynced, then renamed over path, so path is never a partial copy.
// It refuses to overwrite the live database.
func (db *DB) BackupFile(path string) error {
	return db.writeFile(path, func(f *os.File) error {
		_, err := db.Backup(f)
		return err
	})
}

// CompactFile writes a compacted copy to path, atomically like BackupFile:
// only the live keys and values, rewritten into fresh pages. A plain backup
// copies the pages as they are, free ones too, and a free page still holds
// whatever was deleted from it (a deleted member's records) until bbolt
// reuses it; a compacted copy holds none of that, and is smaller. It takes
// longer (every key is rewritten) and reads from one snapshot, so it can run
// while the bot does.
func (db *DB) CompactFile(path string) error {
	return db.writeFile(path, func(f *os.File) error {
		dst, err := bolt.Open(f.Name(), 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
		if err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		// 64 MB a transaction bounds the memory the copy takes.
		if err := bolt.Compact(dst, db.bolt, 64<<20); err != nil {
			dst.Close()
			return fmt.Errorf("compact: %w", err)
		}
		if err := dst.Close(); err != nil {
			return fmt.Errorf("compact: %w", err)
		}
		return nil
	})
}

// writeFile writes path through fill: to a temporary file in the same
// directory, fsynced, then renamed over path.
func (db *DB) writeFile(path string, fill func(*os.File) error) error {
	if err := db.checkNotLive(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	ok = true
	// Make the rename itself durable. Not every platform can sync a directory,
	// and the copy is already complete, so a failure here is not reported.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (db *DB) checkNotLive(path string) error {
	live, err := filepath.Abs(db.path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	target, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	same := live == target
	if !same {
		// Catch links and other spellings of the same file.
		ls, err1 := os.Stat(live)
		ts, err2 := os.Stat(target)
		same = err1 == nil && err2 == nil && os.SameFile(ls, ts)
	}
	if same {
		return fmt.Errorf("backup: %s is the live database; choose another file", path)
	}
	return nil
}
