package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// fakeGateway is a Discord REST base (GET /gateway/bot) and a gateway that
// says HELLO, reads IDENTIFY and, once released, answers READY on its first
// connection. When
// the test calls drop, it closes that connection with a resumable code and
// refuses every later one, as an outage looks to the bot.
type fakeGateway struct {
	srv      *httptest.Server
	release  chan struct{} // the test closes it to let READY go out
	ready    chan struct{} // closed once READY was sent
	mu       sync.Mutex
	conns    int
	dropped  chan struct{}
	dropOnce sync.Once
	refused  chan struct{} // gets a value each time a dial is refused
}

func newFakeGateway(t *testing.T) *fakeGateway {
	fg := &fakeGateway{release: make(chan struct{}), ready: make(chan struct{}), dropped: make(chan struct{}), refused: make(chan struct{}, 16)}
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/gateway/bot", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"url": "ws" + strings.TrimPrefix(fg.srv.URL, "http") + "/gw"})
	})
	mux.HandleFunc("GET /gw", func(w http.ResponseWriter, r *http.Request) {
		fg.mu.Lock()
		fg.conns++
		n := fg.conns
		fg.mu.Unlock()
		if n > 1 {
			http.Error(w, "outage", http.StatusServiceUnavailable)
			select {
			case fg.refused <- struct{}{}:
			default:
			}
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.WriteJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}})
		var identify map[string]any
		if err := ws.ReadJSON(&identify); err != nil {
			return
		}
		<-fg.release
		ws.WriteJSON(map[string]any{"op": 0, "t": "READY", "s": 1, "d": map[string]any{
			"session_id": "s1", "resume_gateway_url": "ws" + strings.TrimPrefix(fg.srv.URL, "http") + "/gw",
			"user": map[string]any{"id": "900", "username": "studybot"},
		}})
		close(fg.ready)
		<-fg.dropped
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "unknown error"), time.Now().Add(time.Second))
	})
	fg.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		fg.drop()
		select {
		case <-fg.release:
		default:
			close(fg.release)
		}
		fg.srv.Close()
	})
	return fg
}

func (fg *fakeGateway) drop() { fg.dropOnce.Do(func() { close(fg.dropped) }) }

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestReadiness runs Main with Discord in gateway mode against a local fake:
// /readyz is 503 until READY, 200 once connected, still 200 for a short
// outage, and 503 with the reason once the outage outlasts the grace period,
// while /healthz stays 200 throughout (an outage is no reason to restart).
func TestReadiness(t *testing.T) {
	fg := newFakeGateway(t)
	clock := bot.NewManualClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	cfg := gatewayConfig(t, fg)
	cfg.Log.Level = "debug"
	m := NewMain(cfg)
	logs := &bottest.LogBuffer{}
	m.Clock, m.Stderr = clock, logs
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := "http://" + m.listener.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		<-done
	})
	defer stop()
	// Until READY nothing is connected.
	// Run may not have planned the shards yet, or they are connecting.
	if code, body := getBody(t, base+"/readyz"); code != http.StatusServiceUnavailable ||
		!(strings.Contains(body, "discord gateway not started") || strings.Contains(body, "discord gateway connecting since 2026-01-05T09:00:00Z")) {
		t.Errorf("/readyz before connecting: %d %q, want 503 naming discord", code, body)
	}
	if code, _ := getBody(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz before connecting: %d, want 200", code)
	}

	close(fg.release)
	waitFor(t, "READY", fg.ready)
	// READY was written; the bot marks itself connected right after reading it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := getBody(t, base+"/readyz")
		if code == http.StatusOK && body == "ready\ndiscord shard 0 of 1: ready since 2026-01-05T09:00:00Z, 0 reconnects\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after READY: %d %q", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}

	fg.drop()
	waitFor(t, "a reconnect attempt", fg.refused)
	clock.Add(readyGrace - time.Second)
	if code, body := getBody(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz %v into an outage: %d %q, want 200 within the grace", readyGrace-time.Second, code, body)
	}
	clock.Add(2 * time.Second)
	code, body := getBody(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "discord gateway reconnecting since 2026-01-05T09:00:00Z") {
		t.Errorf("/readyz past the grace: %d %q, want 503 with the reason", code, body)
	}
	if code, body := getBody(t, base+"/healthz"); code != http.StatusOK || body != "ok\ndiscord shard 0 of 1: reconnecting since 2026-01-05T09:00:00Z, 1 reconnects\n" {
		t.Errorf("/healthz during the outage: %d %q, want 200 with the shard's state", code, body)
	}
	stop()
	if strings.Contains(logs.String(), "test-token") {
		t.Errorf("the token was logged at debug level:\n%s", logs.String())
	}
}

// TestHealthzFailsWithoutDatabase: liveness is about the process and its
// database, so a closed database fails it.
func TestHealthzFailsWithoutDatabase(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(t.TempDir(), "a.db")
	m := NewMain(cfg)
	m.Clock, m.Stderr = fixedClock, &bytes.Buffer{}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/healthz on an open database: %d", rec.Code)
	}
	m.Close()
	for path, h := range map[string]http.HandlerFunc{"/healthz": m.healthz, "/readyz": m.readyz} {
		rec = httptest.NewRecorder()
		h(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "database:") {
			t.Errorf("%s on a closed database: %d %q, want 503 naming the database", path, rec.Code, rec.Body.String())
		}
	}
}

// TestHealthcheckCommand: `studybot healthcheck` exits 0 while the bot
// answers and 1 once it is gone, reading where to look from http.listen.
func TestHealthcheckCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(dir, "a.db")
	cfg.HTTP.Listen = "127.0.0.1:0"
	m := NewMain(cfg)
	m.Clock, m.Stderr = fixedClock, &bytes.Buffer{}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	_, port, _ := strings.Cut(m.listener.Addr().String(), ":")
	conf := filepath.Join(dir, "studybot.toml")
	// A wildcard listen address, as in the image, is checked on 127.0.0.1.
	if err := os.WriteFile(conf, []byte("[http]\nlisten = \"0.0.0.0:"+port+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"healthcheck", "--config", conf}, {"healthcheck", "--config", conf, "--ready"}} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), args, nil, &out, &errs); err != nil {
			t.Errorf("%v while the bot runs: %v %s", args, err, errs.String())
		}
		if got := out.String(); got != "ok\n" && got != "ready\n" {
			t.Errorf("%v printed %q", args, got)
		}
	}
	cancel()
	<-done
	m.Close()
	err := run(context.Background(), []string{"healthcheck", "--config", conf, "--timeout", "2s"}, nil, io.Discard, io.Discard)
	if err == nil {
		t.Error("healthcheck passed with the bot stopped")
	}
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"healthcheck", "--config", conf}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "http.listen is not set") {
		t.Errorf("healthcheck with no http.listen: %v", err)
	}
}

func TestLocalAddr(t *testing.T) {
	for listen, want := range map[string]string{
		":8080":          "127.0.0.1:8080",
		"0.0.0.0:8080":   "127.0.0.1:8080",
		"[::]:8080":      "127.0.0.1:8080",
		"127.0.0.1:9000": "127.0.0.1:9000",
		"[::1]:9000":     "[::1]:9000",
	} {
		if got, err := localAddr(listen); err != nil || got != want {
			t.Errorf("localAddr(%q) = %q, %v; want %q", listen, got, err, want)
		}
	}
	if _, err := localAddr("8080"); err == nil {
		t.Error("localAddr accepted a port with no colon")
	}
}

// gatewayConfig runs Discord in gateway mode against fg, on a database in a
// temp dir, with the HTTP listener on a free port.
func gatewayConfig(t *testing.T, fg *fakeGateway) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(t.TempDir(), "a.db")
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Discord.Enabled = true
	cfg.Discord.Token = "test-token"
	cfg.Discord.AppID = "900"
	cfg.Discord.RegisterCommands = false
	cfg.Discord.APIURL = fg.srv.URL + "/api"
	return cfg
}
