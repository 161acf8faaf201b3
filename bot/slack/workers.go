package slack

import (
	"context"
	"sync/atomic"
)

// workers runs the work that follows an acknowledgement (async) on
// goroutines kept between jobs. Under the signed-HTTP load benchmark a
// fresh goroutine per command spent a visible share of the adapter's CPU
// growing its stack, copy after copy, to the engine's depth (bbolt, JSON);
// a kept goroutine has grown it already. It starts a new goroutine whenever
// none is idle, so work never waits for a free one, as with a plain go
// statement; at most maxIdle stay parked between jobs, and all of them leave
// when quit is done.
type workers struct {
	jobs chan func()
	idle atomic.Int32
	quit <-chan struct{}
}

// maxIdleWorkers is how many goroutines stay parked between jobs: the load
// benchmark's concurrency, far more than a steady stream of commands needs.
const maxIdleWorkers = 64

func newWorkers(ctx context.Context) *workers {
	return &workers{jobs: make(chan func()), quit: ctx.Done()}
}

// run runs f on an idle worker, or on a new goroutine when none is idle.
func (p *workers) run(f func()) {
	select {
	case p.jobs <- f:
	default:
		go p.loop(f)
	}
}

func (p *workers) loop(f func()) {
	for {
		f()
		if p.idle.Add(1) > maxIdleWorkers {
			p.idle.Add(-1)
			return
		}
		select {
		case f = <-p.jobs:
			p.idle.Add(-1)
		case <-p.quit:
			p.idle.Add(-1)
			return
		}
	}
}
