package bottest

import (
	"slices"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
)

// APILog is a bot.APIObserver that records what it is told, for the
// adapters' tests of what they report about their API calls.
type APILog struct {
	mu    sync.Mutex
	calls []string // route + " " + status
	waits []time.Duration
}

func (a *APILog) APICall(p bot.Platform, route, status string) {
	a.mu.Lock()
	a.calls = append(a.calls, route+" "+status)
	a.mu.Unlock()
}

func (a *APILog) RateLimitWait(p bot.Platform, route string, d time.Duration) {
	a.mu.Lock()
	a.waits = append(a.waits, d)
	a.mu.Unlock()
}

// Calls are the calls reported so far, each as route + " " + status.
func (a *APILog) Calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// Waits are the rate-limit waits reported so far.
func (a *APILog) Waits() []time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.waits)
}
