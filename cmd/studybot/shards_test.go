package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// get serves one GET through h.
func get(h http.HandlerFunc, path string) (int, string) {
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// TestShardStateOnHealthAndMetrics runs Main with Discord sharded (this
// process runs shard 1 of 2) against the local fake gateway. Before Run,
// the configured shard is already on /metrics (every state 0) and named on
// /readyz and /healthz as not started; once READY, the gauge shows it ready
// and both pages carry its line, and /healthz never fails for it.
func TestShardStateOnHealthAndMetrics(t *testing.T) {
	fg := newFakeGateway(t)
	clock := bot.NewManualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	cfg := gatewayConfig(t, fg)
	cfg.Discord.Shards = 2
	cfg.Discord.ShardIDs = ShardIDs{1}
	m := NewMain(cfg)
	m.Clock, m.Stderr = clock, &bottest.LogBuffer{}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := "http://" + m.listener.Addr().String()
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rec.Body.String()
	}
	wantAll := func(when, body string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("%s: lacks %q in\n%s", when, w, body)
			}
		}
	}

	wantAll("metrics before Run", scrape(),
		`studybot_adapter_shard_state{adapter="discord",shard="1",state="connecting"} 0`,
		`studybot_adapter_shard_state{adapter="discord",shard="1",state="ready"} 0`,
		`studybot_adapter_shard_reconnects_total{adapter="discord",shard="1"} 0`,
		`studybot_adapter_shard_state_since_seconds{adapter="discord",shard="1"} 0`)
	if body := scrape(); strings.Contains(body, `shard="0"`) {
		t.Errorf("metrics show shard 0, which this process does not run:\n%s", body)
	}
	if code, body := get(m.readyz, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "discord shard 1 of 2: not started") {
		t.Errorf("/readyz before Run: %d %q", code, body)
	}
	if code, body := get(m.healthz, "/healthz"); code != http.StatusOK || body != "ok\ndiscord shard 1 of 2: not started\n" {
		t.Errorf("/healthz before Run: %d %q, want 200 with the shard's line", code, body)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	defer stop()
	close(fg.release)
	waitFor(t, "READY", fg.ready)
	line := "discord shard 1 of 2: ready since 2026-01-05T09:00:00Z, 0 reconnects"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		code, body := getBody(t, base+"/readyz")
		if code == http.StatusOK && body == "ready\n"+line+"\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after READY: %d %q", code, body)
		}
	}
	_, metricsBody := getBody(t, base+"/metrics")
	wantAll("metrics after READY", metricsBody,
		`studybot_adapter_shard_state{adapter="discord",shard="1",state="ready"} 1`,
		`studybot_adapter_shard_state{adapter="discord",shard="1",state="connecting"} 0`,
		`studybot_adapter_shard_state_since_seconds{adapter="discord",shard="1"} 1.7676036e+09`)
	if code, body := getBody(t, base+"/healthz"); code != http.StatusOK || body != "ok\n"+line+"\n" {
		t.Errorf("/healthz after READY: %d %q", code, body)
	}

	fg.drop()
	waitFor(t, "a reconnect attempt", fg.refused)
	clock.Add(readyGrace + time.Second)
	code, body := getBody(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "discord shard 1 of 2: reconnecting since 2026-01-05T09:00:00Z, 1 reconnects") {
		t.Errorf("/readyz past the grace: %d %q", code, body)
	}
	if code, _ := getBody(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with the shard down: %d, want 200 (liveness ignores platforms)", code)
	}
	_, metricsBody = getBody(t, base+"/metrics")
	wantAll("metrics during the outage", metricsBody,
		`studybot_adapter_shard_state{adapter="discord",shard="1",state="reconnecting"} 1`,
		`studybot_adapter_shard_reconnects_total{adapter="discord",shard="1"} 1`)
	stop()
}
