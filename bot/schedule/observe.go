package schedule

import "time"

// Observer is told what the scheduler does, for metrics. bot/metrics
// implements it, so this package stays free of Prometheus; cmd/studybot
// wires them. Methods are called from many senders at once and must be
// cheap and safe for concurrent use.
type Observer interface {
	// Nudge reports what became of one claimed nudge: result is
	// ResultSent, ResultSkipped or ResultFailed, reason one of the Reason
	// constants. delay is, for a sent nudge, how long after its slot's
	// instant it went out (0 otherwise).
	Nudge(result, reason string, delay time.Duration)
	// Tick reports a finished tick: how many nudges it claimed, how long it
	// took (claims and sends, wall clock), the platforms' configured send
	// rate (Config.SendRate) and the rate its sends achieved, per second.
	Tick(due int, took time.Duration, configuredRate, achievedRate float64)
}

// Results and reasons an Observer is told. The vocabulary is fixed, so
// metrics labels stay bounded.
const (
	ResultSent    = "sent"
	ResultSkipped = "skipped"
	ResultFailed  = "failed"

	ReasonDelivered     = "delivered"      // sent
	ReasonMissed        = "missed"         // skipped: due longer ago than the grace window
	ReasonRepeat        = "repeat"         // skipped: already nudged on the member's local date
	ReasonClosed        = "closed"         // skipped: the member's DMs were already marked closed
	ReasonOff           = "off"            // skipped: nudges turned off, or the member gone, since the claim
	ReasonClosedDMs     = "closed_dms"     // failed: the platform refused; the member is now marked
	ReasonRateLimited   = "rate_limited"   // failed: the platform kept answering 429
	ReasonPlatformError = "platform_error" // failed otherwise
)

// nopObserver observes nothing: the default.
type nopObserver struct{}

func (nopObserver) Nudge(string, string, time.Duration)       {}
func (nopObserver) Tick(int, time.Duration, float64, float64) {}
