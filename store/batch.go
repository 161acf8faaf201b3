package store

import (
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// batcher is the store's group commit, used in place of bbolt's DB.Batch for
// member, space and challenge updates. Its contract is DB.Batch's: fn may run
// more than once (when another fn of its commit fails, the commit is rolled
// back and retried without it, and the failing one runs alone), and
// MaxBatchDelay and MaxBatchSize mean what they mean there.
//
// Why not DB.Batch: bbolt closes a batch when its timer fires and queues it
// on the writer lock. While one commit runs (its two fdatasyncs take 0.5-2
// ms here), the next batches keep closing every MaxBatchDelay and queue
// behind it, so writers that do real work between writes (a read, a reply)
// end up spread over many small commits: BenchmarkDone measured 4 dones per
// commit at 64 members, while raw puts reached 60. Here a batch stays open
// until the writer is free, so everything that arrived during a commit goes
// into the next one (after waiting up to MaxBatchDelay for the writers it
// just answered). A write that finds the store idle waits up to
// MaxBatchDelay for company, as with DB.Batch.
type batcher struct {
	db    *bolt.DB
	delay time.Duration
	max   int

	mu      sync.Mutex
	calls   []batchCall
	running bool          // a loop goroutine is committing, about to, or lingering
	starts  int           // loop goroutines started (for tests)
	want    int           // how many calls end a wait early
	full    chan struct{} // wakes a wait when calls reaches want

	// The last commit, for pacing (holdFor); only the loop uses them.
	lastN    int           // calls it carried
	lastTook time.Duration // how long it took
	lastEnd  time.Time     // when it ended
}

type batchCall struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// errTrySolo tells a caller whose fn failed inside a shared commit to run it
// alone, so its error is its own and the others are committed without it.
var errTrySolo = errors.New("batch function failed; run alone")

func newBatcher(db *bolt.DB, delay time.Duration, max int) *batcher {
	return &batcher{db: db, delay: delay, max: max, want: max, full: make(chan struct{}, 1)}
}

// do runs fn in a shared write transaction and returns once it committed.
func (b *batcher) do(fn func(*bolt.Tx) error) error {
	c := batchCall{fn: fn, err: make(chan error, 1)}
	b.mu.Lock()
	b.calls = append(b.calls, c)
	if !b.running {
		b.running = true
		b.starts++
		go b.loop()
	} else if len(b.calls) >= b.want {
		select {
		case b.full <- struct{}{}:
		default:
		}
	}
	b.mu.Unlock()
	err := <-c.err
	if err == errTrySolo {
		err = b.db.Update(fn)
	}
	return err
}

// loop commits batches until no call is waiting. The first waits up to
// delay for max calls. After each commit of k calls, the next waits up to
// delay until those k are back beside the calls that queued during the
// commit: the writers just answered return one by one (a reply, their
// next read), and without the wait they would split into two alternating
// half-size commits. After a small commit, the waits are paced (holdFor).
// When none is waiting it lingers for the next call
// (idleLinger) rather than ending: under a steady trickle of writes (a
// bot serving commands), a fresh goroutine per batch grew its stack to a
// commit's depth each time, about 1% of the CPU of the HTTP load
// benchmark.
func (b *batcher) loop() {
	for {
		// A trickle that paused for less than the hold still keeps
		// its pace: the hold counts from the last commit's end.
		b.wait(b.max, b.delay, b.lastN > 1)
		b.commitQueued()
		if !b.idle(idleLinger) {
			return
		}
	}
}

// idleLinger is how long the committing goroutine waits for a next call
// before it ends.
const idleLinger = 50 * time.Millisecond

// commitQueued commits the waiting calls, batch after batch, until none is
// waiting.
func (b *batcher) commitQueued() {
	for {
		b.mu.Lock()
		n := min(len(b.calls), b.max)
		if n == 0 {
			b.mu.Unlock()
			return
		}
		calls := b.calls[:n:n]
		b.calls = append([]batchCall(nil), b.calls[n:]...)
		b.mu.Unlock()
		start := time.Now()
		b.run(calls)
		b.lastN, b.lastEnd = n, time.Now()
		b.lastTook = b.lastEnd.Sub(start)
		// The writers just answered come back (a reply, their next
		// read) to join those that queued during the commit: wait for
		// all of them. Waiting for n in all would let the next commit
		// go as soon as the queued ones and a few returners were there,
		// and the split into two alternating half-size commits would
		// carry on forever.
		b.mu.Lock()
		want := min(len(b.calls)+n, b.max)
		b.mu.Unlock()
		b.wait(want, b.delay, true)
	}
}

// Pacing. A commit costs more than its writes: two fdatasyncs, whose CPU
// (about 130 µs each here) and whose blocking (the goroutine in the
// syscall holds one of the scheduler's Ps until the runtime hands it off,
// so with GOMAXPROCS=2 half the machine waits for the disk) are the same
// for one write as for forty. A bot serving commands writes in a trickle:
// a done now and then among reads, each from another request, so each
// commit carried two or three dones and the HTTP load benchmark spent
// about a tenth of its time on them (measured: with fdatasync off, its
// throughput rose from 0.55 to 0.74 of the no-work floor). After a commit
// of at most holdCalls writes, the next waits for company up to holdTimes
// as long as that commit took, and at least holdMin MaxBatchDelays (a
// commit that syncs fast still costs its CPU), at most holdMax; writes
// then wait a few milliseconds more. A commit of more writes comes from writers
// waiting on each other (BenchmarkDone's 64), who are back as soon as
// they can be: for them the wait ends when all are back, and waiting
// longer for stragglers made their commits fewer but slower. A lone
// writer is never held: its own next write ends the wait.
const (
	holdCalls = 8
	holdTimes = 3
	holdMin   = 4
	holdMax   = 8
)

// holdFor is how long, from now, the next commit may wait for company
// after a commit of n calls that took took and ended since ago, given the
// delay a write waits for company anyway.
func holdFor(delay time.Duration, n int, took, since time.Duration) time.Duration {
	if n < 1 || n > holdCalls {
		return delay
	}
	return max(delay, min(max(holdTimes*took, holdMin*delay), holdMax*delay)-since)
}

// idle waits up to d for a call and reports whether one came; if none did,
// the loop is marked ended (the next call starts another).
func (b *batcher) idle(d time.Duration) bool {
	b.mu.Lock()
	if len(b.calls) == 0 {
		b.awaitLocked(1, d)
		b.mu.Lock()
	}
	came := len(b.calls) > 0
	if !came {
		b.running = false
	}
	b.mu.Unlock()
	return came
}

// wait returns once want calls are waiting, after delay at the latest (or
// the pacing hold, when paced), or at once when none is waiting (the loop
// then ends).
func (b *batcher) wait(want int, delay time.Duration, paced bool) {
	if paced {
		delay = holdFor(delay, b.lastN, b.lastTook, time.Since(b.lastEnd))
	}
	b.mu.Lock()
	if len(b.calls) == 0 || len(b.calls) >= want {
		b.mu.Unlock()
		return
	}
	b.awaitLocked(want, delay)
}

// awaitLocked waits up to d for want calls (do wakes it), with b.mu held
// on entry; it returns with b.mu released.
func (b *batcher) awaitLocked(want int, d time.Duration) {
	b.want = want
	select {
	case <-b.full: // a stale wake-up from an earlier wait
	default:
	}
	b.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-b.full:
		t.Stop()
	}
}

// run commits calls in one transaction, as bbolt's batch does: a failing fn
// rolls the transaction back, is told to run alone, and the rest retry.
func (b *batcher) run(calls []batchCall) {
	for len(calls) > 0 {
		failed := -1
		err := b.db.Update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := safelyCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			c := calls[failed]
			calls[failed], calls = calls[len(calls)-1], calls[:len(calls)-1]
			c.err <- errTrySolo
			continue
		}
		for _, c := range calls {
			c.err <- err
		}
		return
	}
}

// safelyCall turns a panic in fn into an error, so one caller's panic does
// not kill the committing goroutine; the caller then runs fn alone, where
// it panics in its own goroutine.
func safelyCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in batched update: %v", p)
		}
	}()
	return fn(tx)
}
