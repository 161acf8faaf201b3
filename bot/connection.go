package bot

import (
	"fmt"
	"sync"
	"time"
)

// Connection records an adapter's connection to its platform (Discord's gateway,
// Slack's Socket Mode, or an HTTP mode that is serving), so that readiness
// probes and metrics see it without knowing the platform. The adapter calls
// Up when the connection is usable and Down when it is lost; times come from
// the adapter's Clock. The zero Connection is "starting": never connected yet. It
// is safe for concurrent use.
type Connection struct {
	mu sync.Mutex
	s  ConnStatus
}

// ConnStatus is a snapshot of a Connection.
type ConnStatus struct {
	Connected  bool      // usable right now
	Since      time.Time // of the last Up or Down; zero before the first
	Connects   int       // times it came up, the first included
	Reconnects int       // times it came up after the first
	Reason     string    // why it is down; empty while connected
}

// Up marks the connection usable at now. Every Up after the first counts as a
// reconnect, whether or not a Down came between (a resumed gateway session).
func (l *Connection) Up(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s.Connects > 0 {
		l.s.Reconnects++
	}
	l.s.Connects++
	l.s.Connected, l.s.Since, l.s.Reason = true, now, ""
}

// Down marks the connection lost at now, for reason. A Down while already
// down keeps the first time, so a gateway that fails to reconnect again and
// again does not look freshly lost each time and stays past its grace.
func (l *Connection) Down(now time.Time, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s.Connected || l.s.Since.IsZero() {
		l.s.Since = now
	}
	l.s.Connected, l.s.Reason = false, reason
}

// Status returns a snapshot.
func (l *Connection) Status() ConnStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

// Ready says whether the connection serves members at now: connected, or lost for
// less than grace after having been connected (platforms drop connections and
// the adapter reconnects within seconds; an orchestrator that pulled the bot
// out of service for that would flap). The error says why not, in a sentence
// for an operator.
func (s ConnStatus) Ready(now time.Time, grace time.Duration) error {
	switch {
	case s.Connected:
		return nil
	case s.Connects == 0 && s.Reason == "":
		return fmt.Errorf("not connected yet")
	case s.Connects == 0:
		return fmt.Errorf("not connected yet: %s", s.Reason)
	case now.Sub(s.Since) < grace:
		return nil
	}
	return fmt.Errorf("disconnected for %s: %s", now.Sub(s.Since).Round(time.Second), s.Reason)
}
