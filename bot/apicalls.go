package bot

import (
	"errors"
	"time"
)

// APIObserver is told about each request an adapter makes to its platform's
// API, so operators can see errors and rate limits before members notice.
// bot/metrics implements it; adapters take it as an optional setting (nil
// observes nothing). Implementations must be safe for concurrent use and
// cheap: they run on every request.
type APIObserver interface {
	// APICall reports one request: route names the API method in a fixed
	// vocabulary ("send direct message", "chat.postMessage"), never a URL
	// (which may hold a token) or an id; status is the HTTP status ("200",
	// "429") or the platform's error code ("ok", "rate_limited",
	// "channel_not_found"), "error" when no answer came.
	APICall(p Platform, route, status string)
	// RateLimitWait reports time spent waiting for a rate limit the platform
	// announced (retry_after of a 429, or an exhausted route bucket).
	RateLimitWait(p Platform, route string, d time.Duration)
}

// RateLimited reports whether err says the platform kept refusing for rate
// limits even after the adapter waited as told, so the scheduler can count
// such failures apart from other platform errors. Adapters mark their errors
// with a RateLimited() bool method.
func RateLimited(err error) bool {
	var rl interface{ RateLimited() bool }
	return errors.As(err, &rl) && rl.RateLimited()
}
