package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestBatcher_FailureIsItsCallersAlone: in a shared commit, a function that
// fails gets its own error and writes nothing; the others are committed.
// A panic comes back as an error of its caller's, never kills the loop.
func TestBatcher_FailureIsItsCallersAlone(t *testing.T) {
	bdb, err := bolt.Open(filepath.Join(t.TempDir(), "b.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	const n = 8
	b := newBatcher(bdb, time.Minute, n) // all n share the first commit
	boom := errors.New("boom")
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panicked: %v", p)
				}
			}()
			errs[i] = b.do(func(tx *bolt.Tx) error {
				bk, err := tx.CreateBucketIfNotExists([]byte("b"))
				if err != nil {
					return err
				}
				if err := bk.Put(fmt.Appendf(nil, "k%d", i), []byte("v")); err != nil {
					return err
				}
				switch i {
				case 3:
					return boom
				case 5:
					panic("five")
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i := range n {
		switch i {
		case 3:
			if !errors.Is(errs[i], boom) {
				t.Errorf("call 3: %v, want boom", errs[i])
			}
		case 5:
			if errs[i] == nil {
				t.Error("call 5 panicked, but returned no error")
			}
		default:
			if errs[i] != nil {
				t.Errorf("call %d: %v", i, errs[i])
			}
		}
	}
	bdb.View(func(tx *bolt.Tx) error {
		for i := range n {
			got := tx.Bucket([]byte("b")).Get(fmt.Appendf(nil, "k%d", i))
			if (got != nil) != (i != 3 && i != 5) {
				t.Errorf("k%d stored: %v", i, got != nil)
			}
		}
		return nil
	})
	// The loop lives on: a later call commits (a short delay, so the
	// lone call does not wait a minute for company).
	b.mu.Lock()
	b.delay = time.Millisecond
	b.mu.Unlock()
	if err := b.do(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte("later"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
}

// TestBatcher_LingersForTheNextWrite: a write soon after a commit is
// committed by the same goroutine (whose stack is already grown to a
// commit's depth); after idleLinger without writes it ends, and the next
// write starts another. Each write still commits.
func TestBatcher_LingersForTheNextWrite(t *testing.T) {
	bdb, err := bolt.Open(filepath.Join(t.TempDir(), "b.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	b := newBatcher(bdb, time.Millisecond, 100)
	put := func(k string) {
		t.Helper()
		if err := b.do(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return bk.Put([]byte(k), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	starts := func() int { b.mu.Lock(); defer b.mu.Unlock(); return b.starts }
	put("a")
	put("b") // within idleLinger of a's commit
	if got := starts(); got != 1 {
		t.Errorf("two writes in a row started %d loops, want 1", got)
	}
	time.Sleep(idleLinger + 50*time.Millisecond)
	b.mu.Lock()
	running := b.running
	b.mu.Unlock()
	if running {
		t.Error("the loop still runs after idleLinger without writes")
	}
	put("c")
	if got := starts(); got != 2 {
		t.Errorf("a write after the loop ended: %d loops started, want 2", got)
	}
	var n int
	bdb.View(func(tx *bolt.Tx) error { n = tx.Bucket([]byte("b")).Stats().KeyN; return nil })
	if n != 3 {
		t.Errorf("%d keys committed, want 3", n)
	}
}

// TestHoldFor: after a small commit the next one waits up to three times
// as long as it took, at least 4 and at most 8 delays, counted from its
// end; after a big one (writers waiting on each other) or none, just the
// delay.
func TestHoldFor(t *testing.T) {
	const d = 500 * time.Microsecond
	ms := time.Millisecond
	for _, c := range []struct {
		n           int
		took, since time.Duration
		want        time.Duration
	}{
		{n: 0, took: ms, want: d},                         // no commit yet
		{n: 1, took: ms, want: 3 * ms},                    // a small commit, just ended
		{n: 8, took: ms, since: 2 * ms, want: ms},         // its end was 2 ms ago
		{n: 8, took: ms, since: 10 * ms, want: d},         // long ago: the delay
		{n: 9, took: ms, want: d},                         // writers waiting on each other
		{n: 3, took: 100 * time.Microsecond, want: 4 * d}, // a fast sync: at least 4 delays
		{n: 3, took: 100 * time.Microsecond, since: ms, want: ms},
		{n: 3, took: 20 * ms, want: 8 * d},             // a slow disk: at most 8 delays
		{n: 3, took: 20 * ms, since: 3 * ms, want: ms}, // ... counted from the end
	} {
		if got := holdFor(d, c.n, c.took, c.since); got != c.want {
			t.Errorf("holdFor(n=%d, took %v, since %v) = %v, want %v", c.n, c.took, c.since, got, c.want)
		}
	}
}
