package bot

import (
	"strings"
	"testing"
	"time"
)

func TestConnectionReadiness(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	grace := 30 * time.Second
	var l Connection
	if err := l.Status().Ready(t0, grace); err == nil || !strings.Contains(err.Error(), "not connected yet") {
		t.Fatalf("a link that never connected is ready: %v", err)
	}
	l.Down(t0, "dial refused")
	if err := l.Status().Ready(t0.Add(time.Hour), grace); err == nil || !strings.Contains(err.Error(), "dial refused") {
		t.Fatalf("a link that never connected: %v, want the reason", err)
	}
	l.Up(t0)
	if err := l.Status().Ready(t0, grace); err != nil {
		t.Fatalf("connected link not ready: %v", err)
	}
	l.Down(t0.Add(time.Minute), "closed 1006")
	l.Down(t0.Add(time.Minute+20*time.Second), "dial refused") // a failed retry keeps the first time
	if err := l.Status().Ready(t0.Add(time.Minute+29*time.Second), grace); err != nil {
		t.Errorf("down for 29s within a 30s grace: %v", err)
	}
	err := l.Status().Ready(t0.Add(time.Minute+30*time.Second), grace)
	if err == nil || !strings.Contains(err.Error(), "disconnected for 30s: dial refused") {
		t.Errorf("down for 30s: %v", err)
	}
	l.Up(t0.Add(2 * time.Minute))
	l.Up(t0.Add(3 * time.Minute)) // resumed without a Down in between
	if s := l.Status(); s.Connects != 3 || s.Reconnects != 2 || !s.Connected || s.Reason != "" {
		t.Errorf("status %+v, want 3 connects, 2 reconnects, connected", s)
	}
}
