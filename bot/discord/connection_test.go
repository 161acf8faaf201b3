package discord

import (
	"testing"
	"time"
)

// TestHTTPModeReadyOnceRunning: in HTTP mode the adapter is ready once Run
// serves (after registering commands, when it does), which /readyz reads.
func TestHTTPModeReadyOnceRunning(t *testing.T) {
	b := newTestBot(t, Config{Mode: ModeHTTP, PublicKey: vectorPublicKey})
	if s := b.Connection(); s.Connected || s.Connects != 0 {
		t.Fatalf("ready before Run: %+v", s)
	}
	r := runBot(t, b)
	deadline := time.Now().Add(10 * time.Second)
	for !b.Connection().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("not ready while serving: %+v", b.Connection())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}
