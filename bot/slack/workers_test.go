package slack

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestWorkers: every job starts at once, however many are already running
// (none waits for a free worker, as with a go statement); at most
// maxIdleWorkers stay parked after, and the parked ones leave when the
// context is done.
func TestWorkers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newWorkers(ctx)
	const n = 2*maxIdleWorkers + 5
	var started, finished sync.WaitGroup
	release := make(chan struct{})
	for range 2 { // the second round runs on the goroutines the first one left
		started.Add(n)
		finished.Add(n)
		for range n {
			p.run(func() {
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
		waitFor(t, func() bool { return p.idle.Load() == maxIdleWorkers })
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
