// Package metrics exposes studybot's Prometheus metrics on /metrics. It is the
// only package that imports client_golang; the engine reports through the plain
// Engine.Observe hook, so it stays free of the dependency.
package metrics

import (
	"net/http"
	"slices"
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
	posts    *prometheus.CounterVec // challenge posts (ops.go)
	ops      *ops                   // families read at scrape time (ops.go)
	// series holds each command's children, made by zero and only read
	// after New: Observe runs on every command, and finding a child by
	// its label values hashes and locks each time.
	series map[string]*commandSeries
}

// commandSeries is one command's latency and its count by code (codes' order).
type commandSeries struct {
	latency prometheus.Observer
	counts  [len(codes)]prometheus.Counter
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
	m.posts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "studybot_challenge_posts_total",
		Help: "Challenges posted to a channel, by platform and outcome (ok, failed).",
	}, []string{"platform", "outcome"})
	m.ops = &ops{version: "unknown", commit: "unknown"}
	m.reg.MustRegister(m.commands, m.latency, m.posts, m.ops,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.zero()
	return m
}

// codes are the outcomes a command is counted under.
var codes = [...]bot.Code{"ok", bot.Invalid, bot.NotFound, bot.Forbidden, bot.Conflict, bot.Internal}

// zero creates every command's series at 0 before the first command, so a
// rate() or an error-ratio alert has a series to read from the start.
func (m *Metrics) zero() {
	names := []string{"unknown"}
	for _, c := range bot.Commands() {
		names = append(names, c.Name)
	}
	m.series = make(map[string]*commandSeries, len(names))
	for _, n := range names {
		s := &commandSeries{latency: m.latency.WithLabelValues(n)}
		for i, c := range codes {
			s.counts[i] = m.commands.WithLabelValues(n, string(c))
		}
		m.series[n] = s
	}
	for _, p := range []bot.Platform{bot.PlatformDiscord, bot.PlatformSlack, bot.PlatformConsole} {
		for _, o := range []string{"ok", "failed"} {
			m.posts.WithLabelValues(string(p), o)
		}
	}
}

// Observe records one handled command; it fits bot.Engine.Observe. Unknown
// commands are counted under "unknown" so member typos cannot grow the label set.
func (m *Metrics) Observe(command string, code bot.Code, d time.Duration) {
	s := m.series[command] // the adapters' usual, normal name
	if s == nil {
		// Another spelling of a command ("NEXT") is counted under its
		// name, anything else under "unknown".
		if c := bot.Lookup(command); c != nil {
			command = c.Name
		} else {
			command = "unknown"
		}
		s = m.series[command]
	}
	if code == "" {
		code = "ok"
	}
	if i := slices.Index(codes[:], code); i >= 0 {
		s.counts[i].Inc()
	} else {
		m.commands.WithLabelValues(command, string(code)).Inc() // a code added to bot but not here
	}
	s.latency.Observe(d.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
