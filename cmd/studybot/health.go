package main

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/studybot/studybot/bot"
)

// readyGrace is how long an adapter that was connected may be down and still
// count as ready. Discord and Slack drop connections routinely (gateway op 7,
// Socket Mode refreshes) and the adapters are back within seconds; pulling
// the pod out of service for that would only flap.
const readyGrace = 30 * time.Second

// connected is what an adapter tells about its platform connection; the
// Discord and Slack adapters implement it. Ready decides /readyz (Discord's
// gateway checks each shard); Connection fills the adapter metrics.
type connected interface {
	Connection() bot.ConnStatus
	Ready(now time.Time, grace time.Duration) error
}

// healthz is liveness: 200 while the process and its database work. It looks
// at no platform on purpose: restarting the bot does not bring Discord back,
// and every restart spends one of Discord's 1,000 daily IDENTIFYs.
func (m *Main) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := m.pingStore(); err != nil {
		m.Log.Error("health check: database failed", "err", err)
		http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	// Each gateway shard's state follows, for the operator reading it; it
	// never fails liveness.
	io.WriteString(w, withLines("ok", m.shardLines()))
}

// withLines is first, then lines, one a line.
func withLines(first string, lines []string) string {
	return strings.Join(append([]string{first}, lines...), "\n") + "\n"
}

// readyz is readiness: 200 only when the database answers and every enabled
// adapter is connected (gateway, Socket Mode) or serving (HTTP mode), or was
// lost less than readyGrace ago; else 503 with one line per reason.
func (m *Main) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// The reasons (if any) come first, then each gateway shard's state.
	shards := m.shardLines()
	if reasons := m.notReady(); len(reasons) > 0 {
		http.Error(w, strings.Join(append(reasons, shards...), "\n"), http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, withLines("ready", shards))
}

// notReady lists why the bot is not ready, one "part: reason" per line.
func (m *Main) notReady() []string {
	var reasons []string
	if err := m.pingStore(); err != nil {
		reasons = append(reasons, "database: "+err.Error())
	}
	now := m.Clock.Now()
	for _, a := range m.adapters {
		if a.conn == nil {
			continue
		}
		if err := a.conn.Ready(now, readyGrace); err != nil {
			// One line per reason, each naming the adapter once.
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, a.name) {
					line = a.name + ": " + line
				}
				reasons = append(reasons, line)
			}
		}
	}
	return reasons
}

// pingStore proves the store answers: one cheap read transaction on bbolt,
// one round trip on PostgreSQL.
func (m *Main) pingStore() error {
	if m.DB != nil {
		return m.DB.Ping()
	}
	if p, ok := m.Store.(interface{ Ping() error }); ok {
		return p.Ping()
	}
	return nil
}
