package workpool

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestPool: every job starts at once, however many are already running
// (none waits for a free worker, as with a go statement); at most
// MaxIdle stay parked after, and the parked ones leave when the
// context is done.
func TestPool(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := New(ctx)
	const n = 2*MaxIdle + 5
	var started, finished sync.WaitGroup
	release := make(chan struct{})
	for range 2 { // the second round runs on the goroutines the first one left
		started.Add(n)
		finished.Add(n)
		for range n {
			p.Go(func() {
				started.Done()
				<-release
				finished.Done()
			})
		}
		started.Wait() // all n running together: none waited for another
		for range n {
			release <- struct{}{}
		}
		finished.Wait()
		waitFor(t, func() bool { return p.idle.Load() == MaxIdle })
	}
	cancel()
	waitFor(t, func() bool { return p.idle.Load() == 0 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
