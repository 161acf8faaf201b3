package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/studybot/studybot/bot"
)

// Nudges holds the nudge fan-out's families. It implements bot/schedule's
// Observer (the scheduler does not import this package; cmd/studybot wires
// them), so it takes plain values.
type Nudges struct {
	total      *prometheus.CounterVec
	delay      prometheus.Histogram
	tick       prometheus.Histogram
	due        prometheus.Histogram
	configured prometheus.Gauge
	achieved   prometheus.Gauge
}

// PlatformAPI holds the platform API families. It implements
// bot.APIObserver for the Discord and Slack adapters.
type PlatformAPI struct {
	calls *prometheus.CounterVec
	waits *prometheus.HistogramVec
}

// nudgeOutcomes are the result/reason pairs bot/schedule reports (its
// Result and Reason constants), created at zero so that alerts on them work
// before the first nudge.
var nudgeOutcomes = [][2]string{
	{"sent", "delivered"},
	{"skipped", "missed"},
	{"skipped", "repeat"},
	{"skipped", "closed"},
	{"skipped", "off"},
	{"failed", "closed_dms"},
	{"failed", "rate_limited"},
	{"failed", "platform_error"},
}

// apiSeries are the platform API series created at zero: each platform's
// direct-message call, answered and rate limited.
var apiSeries = [][3]string{
	{string(bot.PlatformDiscord), "send direct message", "2xx"},
	{string(bot.PlatformDiscord), "send direct message", "429"},
	{string(bot.PlatformSlack), "chat.postMessage", "ok"},
	{string(bot.PlatformSlack), "chat.postMessage", "rate_limited"},
}

// newNudges creates the nudge families on reg, every series the scheduler
// is known to report at zero.
func newNudges(reg prometheus.Registerer) *Nudges {
	n := &Nudges{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_nudges_total",
			Help: "Claimed nudges by result (sent, skipped, failed) and reason (delivered; missed, repeat, closed, off; closed_dms, rate_limited, platform_error).",
		}, []string{"result", "reason"}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "studybot_nudge_delay_seconds",
			Help:    "How long after its slot's instant a nudge was sent.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200},
		}),
		tick: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "studybot_nudge_tick_seconds",
			Help:    "Wall time of a nudge tick: claiming and sending its nudges.",
			Buckets: []float64{.001, .01, .1, .5, 1, 5, 15, 30, 60, 120, 300, 900},
		}),
		due: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "studybot_nudge_tick_due",
			Help:    "Members due (claimed) per nudge tick.",
			Buckets: []float64{0, 1, 10, 100, 1000, 5000, 10000, 50000, 100000},
		}),
		configured: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "studybot_nudge_send_rate_configured",
			Help: "Configured send rate of the enabled platforms together, messages per second.",
		}),
		achieved: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "studybot_nudge_send_rate_achieved",
			Help: "Send rate the last tick that sent nudges achieved, messages per second.",
		}),
	}
	for _, o := range nudgeOutcomes {
		n.total.WithLabelValues(o[0], o[1])
	}
	reg.MustRegister(n.total, n.delay, n.tick, n.due, n.configured, n.achieved)
	return n
}

// newPlatformAPI creates the platform API families on reg, with each
// platform's direct-message series at zero.
func newPlatformAPI(reg prometheus.Registerer) *PlatformAPI {
	a := &PlatformAPI{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_platform_api_calls_total",
			Help: "Platform API requests by platform, route and status (Discord: 2xx or the HTTP status, 429 included; Slack: ok, rate_limited or its error code; error when no answer came).",
		}, []string{"platform", "route", "status"}),
		waits: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "studybot_platform_rate_limit_wait_seconds",
			Help:    "Waits a platform's rate limit imposed (a 429's retry_after, or an exhausted Discord route bucket).",
			Buckets: []float64{.01, .05, .1, .5, 1, 2, 5, 10, 30, 60},
		}, []string{"platform"}),
	}
	for _, s := range apiSeries {
		a.calls.WithLabelValues(s[0], s[1], s[2])
	}
	for _, p := range []bot.Platform{bot.PlatformDiscord, bot.PlatformSlack} {
		a.waits.WithLabelValues(string(p))
	}
	reg.MustRegister(a.calls, a.waits)
	return a
}

// Nudge counts one claimed nudge; a sent one's delay goes to the histogram.
func (n *Nudges) Nudge(result, reason string, delay time.Duration) {
	n.total.WithLabelValues(result, reason).Inc()
	if result == "sent" {
		n.delay.Observe(delay.Seconds())
	}
}

// Tick records one finished tick. The achieved rate is kept only from ticks
// that sent, so a quiet minute does not read as a stalled fan-out.
func (n *Nudges) Tick(due int, took time.Duration, configured, achieved float64) {
	n.tick.Observe(took.Seconds())
	n.due.Observe(float64(due))
	n.configured.Set(configured)
	if achieved > 0 {
		n.achieved.Set(achieved)
	}
}

// SetConfiguredRate shows the configured send rate before the first tick.
func (n *Nudges) SetConfiguredRate(r float64) { n.configured.Set(r) }

// APICall implements bot.APIObserver.
func (a *PlatformAPI) APICall(p bot.Platform, route, status string) {
	a.calls.WithLabelValues(string(p), route, status).Inc()
}

// RateLimitWait implements bot.APIObserver.
func (a *PlatformAPI) RateLimitWait(p bot.Platform, route string, d time.Duration) {
	a.waits.WithLabelValues(string(p)).Observe(d.Seconds())
}

var _ bot.APIObserver = (*PlatformAPI)(nil)

// Nudges returns the nudge fan-out's metrics, for the scheduler's Observer.
func (m *Metrics) Nudges() *Nudges { return m.nudges }

// PlatformAPI returns the platform API metrics, for the adapters'
// APIObserver.
func (m *Metrics) PlatformAPI() *PlatformAPI { return m.api }
