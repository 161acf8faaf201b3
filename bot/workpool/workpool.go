// Package workpool runs short jobs on goroutines kept between jobs. Both
// adapters run each command's engine work this way.
package workpool

import (
	"context"
	"sync/atomic"
)

// Pool runs jobs on goroutines kept between jobs. Under the signed-HTTP load benchmark a
// fresh goroutine per command spent a visible share of the adapter's CPU
// growing its stack, copy after copy, to the engine's depth (bbolt, JSON);
// a kept goroutine has grown it already. It starts a new goroutine whenever
// none is idle, so work never waits for a free one, as with a plain go
// statement; at most MaxIdle stay parked between jobs, and all of them leave
// when quit is done.
type Pool struct {
	jobs chan func()
	idle atomic.Int32
	quit <-chan struct{}
}

// MaxIdle is how many goroutines stay parked between jobs: the load
// benchmark's concurrency, far more than a steady stream of commands needs.
const MaxIdle = 64

// New returns a pool whose goroutines leave when ctx is done.
func New(ctx context.Context) *Pool {
	return &Pool{jobs: make(chan func()), quit: ctx.Done()}
}

// Go runs f on an idle goroutine of the pool, or on a new one when none
// is idle.
func (p *Pool) Go(f func()) {
	select {
	case p.jobs <- f:
	default:
		go p.loop(f)
	}
}

func (p *Pool) loop(f func()) {
	for {
		f()
		if p.idle.Add(1) > MaxIdle {
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
