package slack

import (
	"context"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/studybot/studybot/bot"
)

// waitConn polls the adapter's Connection until ok says yes; the deadline
// only stops a broken test from hanging.
func waitConn(t *testing.T, b *Bot, what string, ok func(bot.ConnStatus) bool) bot.ConnStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := b.Connection()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %s; status %+v", what, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSocketModeConnectionStatus: the adapter reports Socket Mode connected,
// lost when the websocket drops, and connected again (one reconnect) when
// slack-go is back, which is what /readyz and the adapter metrics read.
func TestSocketModeConnectionStatus(t *testing.T) {
	tb := newTestBot(t, ModeSocket)
	if s := tb.Connection(); s.Connected || s.Connects != 0 {
		t.Fatalf("connected before Run: %+v", s)
	}
	s, stop := tb.connect(t)
	defer stop()
	waitConn(t, tb.Bot, "the first connection", func(s bot.ConnStatus) bool { return s.Connected })
	s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "refresh"), time.Now().Add(time.Second))
	s.conn.Close()
	var next *websocket.Conn
	select {
	case next = <-tb.fake.conns:
	case <-time.After(10 * time.Second):
		t.Fatal("slack-go did not reconnect")
	}
	defer next.Close()
	got := waitConn(t, tb.Bot, "the reconnection", func(s bot.ConnStatus) bool { return s.Connected && s.Reconnects == 1 })
	if got.Connects != 2 {
		t.Errorf("status %+v, want 2 connects", got)
	}
}

// TestHTTPModeReadyOnceRunning: in HTTP mode the adapter is ready once Run has
// checked the token and serves.
func TestHTTPModeReadyOnceRunning(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	if tb.Connection().Connected {
		t.Fatal("ready before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tb.Run(ctx) }()
	waitConn(t, tb.Bot, "HTTP mode serving", func(s bot.ConnStatus) bool { return s.Connected })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
