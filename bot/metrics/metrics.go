// Package metrics exposes studybot's Prometheus metrics on /metrics. It is the
// only package that imports client_golang; the engine reports through the plain
// Engine.Observe hook, so it stays free of the dependency.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/studybot/studybot/bot"
)

// Metrics holds the collectors on a private registry (no global state, so tests
// and several Mains in one process do not collide).
type Metrics struct {
	reg      *prometheus.Registry
	nudges   *Nudges      // nudges.go
	api      *PlatformAPI // nudges.go
	commands *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New registers studybot's metrics and the Go runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:    reg,
		nudges: newNudges(reg),
		api:    newPlatformAPI(reg),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "studybot_commands_total",
			Help: "Commands handled, by command and result code (ok, invalid, not_found, forbidden, conflict, internal).",
		}, []string{"command", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "studybot_command_seconds",
			Help:    "Time to handle a command in the engine, excluding the platform round trip.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1},
		}, []string{"command"}),
	}
	m.reg.MustRegister(m.commands, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records one handled command; it fits bot.Engine.Observe. Unknown
// commands are counted under "unknown" so member typos cannot grow the label set.
func (m *Metrics) Observe(command string, code bot.Code, d time.Duration) {
	if bot.Lookup(command) == nil {
		command = "unknown"
	}
	if code == "" {
		code = "ok"
	}
	m.commands.WithLabelValues(command, string(code)).Inc()
	m.latency.WithLabelValues(command).Observe(d.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
