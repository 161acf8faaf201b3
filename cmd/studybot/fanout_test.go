package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// countingDiscord is a local Discord REST API that counts requests by kind.
type countingDiscord struct {
	srv *httptest.Server
	mu  sync.Mutex
	n   map[string]int // "open" (create DM channel), "send"
}

func newCountingDiscord(t *testing.T) *countingDiscord {
	d := &countingDiscord{n: map[string]int{}}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		d.mu.Lock()
		defer d.mu.Unlock()
		if r.URL.Path == "/api/v10/users/@me/channels" {
			d.n["open"]++
			_, id, _ := strings.Cut(string(body), `"recipient_id":"`)
			id, _, _ = strings.Cut(id, `"`)
			io.WriteString(w, `{"id":"7`+id+`","type":1}`)
			return
		}
		d.n["send"]++
		io.WriteString(w, `{"id":"1"}`)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *countingDiscord) counts() (open, send int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n["open"], d.n["send"]
}

// TestNudgeAfterRestartOneRequest: through Main as `studybot run` wires it,
// the first nudges open each member's DM channel (two requests), and after
// a restart on the same database each nudge is exactly one request, because
// the channel ids were stored. /metrics counts the nudges and the calls.
func TestNudgeAfterRestartOneRequest(t *testing.T) {
	fake := newCountingDiscord(t)
	day0 := time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC)
	clock := bot.NewManualClock(day0.Add(-time.Hour))
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(t.TempDir(), "studybot.db")
	cfg.Discord.Enabled = true
	cfg.Discord.Token = "test-token"
	cfg.Discord.AppID = "900"
	cfg.Discord.APIURL = fake.srv.URL + "/api/v10"
	cfg.Discord.SendRate = 1000
	open := func() *Main {
		m := NewMain(cfg)
		m.Clock = clock
		m.Stderr = &bytes.Buffer{}
		if err := m.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	const members = 40
	sp := bot.Space{Platform: bot.PlatformDiscord, ID: "111"}
	m := open()
	for i := range members {
		id := strconv.Itoa(300_000_000_000 + i)
		if _, err := m.DB.UpdateMember(context.Background(), sp, id, func(mb *bot.Member) error {
			mb.Nudge = bot.Nudge{On: true, Hour: 8, Minute: 30, Zone: "UTC", Next: day0}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(day0)
	if st, err := m.Scheduler.Tick(context.Background()); err != nil || st.Sent != members {
		t.Fatalf("first tick: %+v, %v", st, err)
	}
	if o, s := fake.counts(); o != members || s != members {
		t.Fatalf("first nudges: %d opens, %d sends; want %d each", o, s, members)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	m = open() // a restart: nothing in memory
	defer m.Close()
	clock.Set(day0.AddDate(0, 0, 1))
	if st, err := m.Scheduler.Tick(context.Background()); err != nil || st.Sent != members {
		t.Fatalf("tick after restart: %+v, %v", st, err)
	}
	if o, s := fake.counts(); o != members || s != 2*members {
		t.Errorf("after the restart: %d opens in all (want %d, none new), %d sends (want %d)", o, members, s, 2*members)
	}
	rec := httptest.NewRecorder()
	m.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`studybot_nudges_total{reason="delivered",result="sent"} 40`,
		`studybot_platform_api_calls_total{platform="discord",route="send direct message",status="2xx"} 40`,
		`studybot_nudge_send_rate_configured 1000`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics after restart lack %s", want)
		}
	}
	if strings.Contains(rec.Body.String(), `route="create DM channel"`) {
		t.Error("a DM channel was opened after the restart")
	}
}
