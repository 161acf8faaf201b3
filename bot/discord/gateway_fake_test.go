package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// This file is a scriptable fake gateway: each test plays Discord's side of
// every connection step by step (HELLO, READY, op 7, close codes...), and
// the bot's waits run on a fake clock and fake heartbeat timers, so nothing
// here sleeps or depends on the machine's speed.

// fakeGW is a local Discord: GET /gateway/bot, interaction callbacks, and
// websocket endpoints at /gateway and /resume (the resume_gateway_url).
type fakeGW struct {
	t     *testing.T
	srv   *httptest.Server
	conns chan *gwConn
	clock *bot.ManualClock // stamps IDENTIFYs; the bot's clock

	mu         sync.Mutex
	gatewayBot string // JSON answer to GET /gateway/bot
	callbacks  []string
	changed    chan struct{}
}

func newFakeGW(t *testing.T, clock *bot.ManualClock) *fakeGW {
	f := &fakeGW{t: t, conns: make(chan *gwConn, 16), clock: clock, changed: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.setGatewayBot(1, 1)
	return f
}

func (f *fakeGW) apiURL() string { return f.srv.URL + "/api/v10" }

// wsURL is the websocket URL of path (/gateway or /resume).
func (f *fakeGW) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + path
}

// setGatewayBot sets GET /gateway/bot's recommended shard count and
// max_concurrency.
func (f *fakeGW) setGatewayBot(shards, concurrency int) { f.setStartLimit(shards, concurrency, 990) }

// setStartLimit also sets how many session starts remain today.
func (f *fakeGW) setStartLimit(shards, concurrency, remaining int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gatewayBot = fmt.Sprintf(`{"url":%q,"shards":%d,"session_start_limit":{"total":1000,"remaining":%d,"reset_after":3600000,"max_concurrency":%d}}`,
		f.wsURL("/gateway"), shards, remaining, concurrency)
}

func (f *fakeGW) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/gateway" || r.URL.Path == "/resume":
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &gwConn{t: f.t, ws: ws, path: r.URL.Path, query: r.URL.Query(), frames: make(chan gwFrame, 64), closed: make(chan struct{}), clock: f.clock}
		go c.read()
		f.conns <- c
		<-c.closed
		ws.Close()
	case r.URL.Path == "/api/v10/gateway/bot":
		f.mu.Lock()
		body := f.gatewayBot
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	case strings.HasSuffix(r.URL.Path, "/callback"):
		f.mu.Lock()
		f.callbacks = append(f.callbacks, strings.Split(r.URL.Path, "/")[4]) // /api/v10/interactions/<id>/...
		close(f.changed)
		f.changed = make(chan struct{})
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"1"}`)
	}
}

// waitCallback waits until interaction id has been answered.
func (f *fakeGW) waitCallback(id string) {
	f.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		ch := f.changed
		for _, c := range f.callbacks {
			if c == id {
				f.mu.Unlock()
				return
			}
		}
		f.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			f.t.Fatalf("interaction %s was not answered", id)
		}
	}
}

// accept returns the bot's next connection.
func (f *fakeGW) accept() *gwConn {
	f.t.Helper()
	select {
	case c := <-f.conns:
		f.t.Cleanup(func() { c.ws.Close() })
		return c
	case <-time.After(10 * time.Second):
		f.t.Fatal("the bot did not connect")
		return nil
	}
}

// noConnection checks that the bot did not connect again.
func (f *fakeGW) noConnection() {
	f.t.Helper()
	select {
	case c := <-f.conns:
		f.t.Errorf("the bot connected again (%s)", c.path)
	default:
	}
}

// gwFrame is a frame the bot sent, with the fake clock's time when it came.
type gwFrame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	at time.Time
}

// gwConn is Discord's side of one connection.
type gwConn struct {
	t      *testing.T
	ws     *websocket.Conn
	path   string
	query  url.Values
	clock  *bot.ManualClock
	frames chan gwFrame
	closed chan struct{} // the bot closed the connection (or it broke)
	code   int           // the bot's close code; 0 when none came
	wmu    sync.Mutex
}

func (c *gwConn) read() {
	defer close(c.closed)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.code = ce.Code
			}
			return
		}
		var f gwFrame
		if json.Unmarshal(data, &f) == nil {
			f.at = c.clock.Now()
			c.frames <- f
		}
	}
}

func (c *gwConn) send(v any) {
	c.t.Helper()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("gateway send: %v", err)
	}
}

// hello sends HELLO with a 45 s heartbeat; the fake timers decide when the
// bot beats.
func (c *gwConn) hello() {
	c.send(map[string]any{"op": opHello, "d": map[string]any{"heartbeat_interval": 45000}})
}

// expect returns the bot's next frame with op, skipping heartbeats unless op
// is one.
func (c *gwConn) expect(op int) gwFrame {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f := <-c.frames:
			if f.Op == op {
				return f
			}
			if f.Op != opHeartbeat {
				c.t.Fatalf("on %s: got op %d %s, want op %d", c.path, f.Op, f.D, op)
			}
		case <-c.closed:
			c.t.Fatalf("on %s: connection closed (code %d) before op %d", c.path, c.code, op)
		case <-deadline:
			c.t.Fatalf("on %s: no op %d", c.path, op)
		}
	}
}

// handshake sends HELLO and returns the IDENTIFY or RESUME that follows.
func (c *gwConn) handshake() gwFrame {
	c.t.Helper()
	c.hello()
	select {
	case f := <-c.frames:
		return f
	case <-c.closed:
		c.t.Fatalf("on %s: closed after HELLO", c.path)
	case <-time.After(10 * time.Second):
		c.t.Fatalf("on %s: no IDENTIFY or RESUME", c.path)
	}
	return gwFrame{}
}

// ready sends READY for session id, with /resume as the resume URL.
func (c *gwConn) ready(f *fakeGW, session string, seq int) {
	c.send(map[string]any{"op": opDispatch, "t": "READY", "s": seq, "d": map[string]any{
		"v": 10, "session_id": session, "resume_gateway_url": f.wsURL("/resume"),
		"user": map[string]any{"id": "900", "username": "studybot"},
	}})
}

// sync asks the bot for a heartbeat (op 1 from Discord) and waits for it:
// the bot reads frames in order, so everything sent before has been
// handled by then. It returns the heartbeat's sequence number.
func (c *gwConn) sync() string {
	c.t.Helper()
	c.send(map[string]any{"op": opHeartbeat, "d": nil})
	return string(c.expect(opHeartbeat).D)
}

// dispatch sends an event with sequence number seq.
func (c *gwConn) dispatch(typ string, seq int, d any) {
	c.send(map[string]any{"op": opDispatch, "t": typ, "s": seq, "d": d})
}

// closeWith closes the connection with code, as Discord does, and waits
// for the bot's answer.
func (c *gwConn) closeWith(code int) {
	c.wmu.Lock()
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, "fake"), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.waitClosed()
}

// waitClosed waits until the bot has closed the connection.
func (c *gwConn) waitClosed() {
	c.t.Helper()
	select {
	case <-c.closed:
	case <-time.After(10 * time.Second):
		c.t.Fatalf("on %s: the bot did not close the connection", c.path)
	}
}

func (f gwFrame) data(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.D, &m); err != nil {
		t.Fatalf("frame op %d: %s: %v", f.Op, f.D, err)
	}
	return m
}

// fakeWaits replaces the gateway's sleep: it records each wait and moves
// the fake clock by it.
type fakeWaits struct {
	clock *bot.ManualClock
	mu    sync.Mutex
	waits []time.Duration
	// hold keeps the clock still: shards starting together then book their
	// identify slots at one instant, whichever goroutine runs first.
	hold bool
}

func (w *fakeWaits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.waits = append(w.waits, d)
	hold := w.hold
	w.mu.Unlock()
	if d > 0 && !hold {
		w.clock.Add(d)
	}
	return ctx.Err()
}

func (w *fakeWaits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.waits...)
}

// fakeTimers replaces the heartbeat timers; each connection's comes out of
// made, and the test fires it.
type fakeTimers struct{ made chan *fakeTimer }

type fakeTimer struct {
	c      chan time.Time
	mu     sync.Mutex
	resets []time.Duration // the first duration, then each Reset
}

func (ft *fakeTimers) newTimer(d time.Duration) gwTimer {
	t := &fakeTimer{c: make(chan time.Time, 1), resets: []time.Duration{d}}
	ft.made <- t
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }
func (t *fakeTimer) Reset(d time.Duration) {
	t.mu.Lock()
	t.resets = append(t.resets, d)
	t.mu.Unlock()
}
func (t *fakeTimer) Stop() {}
func (t *fakeTimer) fire() { t.c <- time.Time{} }
func (t *fakeTimer) durations() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]time.Duration(nil), t.resets...)
}

func (ft *fakeTimers) next(t *testing.T) *fakeTimer {
	t.Helper()
	select {
	case tm := <-ft.made:
		return tm
	case <-time.After(10 * time.Second):
		t.Fatal("no heartbeat timer")
		return nil
	}
}

// gwHarness is a bot on a fake gateway with fake waits and timers.
type gwHarness struct {
	*Bot
	fake   *fakeGW
	waits  *fakeWaits
	timers *fakeTimers
	logs   *syncBuffer
	clock  *bot.ManualClock
	env    *bottest.Env
}

// newGatewayHarness makes a gateway-mode bot on a new fake gateway. With
// cfg.GatewayURL "-" the URL comes from GET /gateway/bot; empty means
// /gateway.
func newGatewayHarness(t *testing.T, cfg Config) *gwHarness {
	t.Helper()
	env := bottest.New(t)
	h := &gwHarness{env: env, clock: env.Clock}
	h.fake = newFakeGW(t, env.Clock)
	return h.attach(t, cfg)
}

// attach makes a new bot on h's fake gateway and clock: a second process.
func (h *gwHarness) attach(t *testing.T, cfg Config) *gwHarness {
	t.Helper()
	cfg.APIURL = h.fake.apiURL()
	switch cfg.GatewayURL {
	case "":
		cfg.GatewayURL = h.fake.wsURL("/gateway")
	case "-":
		cfg.GatewayURL = ""
	}
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.AppID == "" {
		cfg.AppID = testApp
	}
	logs := &syncBuffer{}
	b, err := New(cfg, h.env.Engine, h.clock, testLog(logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.cancel)
	waits := &fakeWaits{clock: h.clock}
	timers := &fakeTimers{made: make(chan *fakeTimer, 16)}
	b.gw.sleep = waits.sleep
	b.gw.newTimer = timers.newTimer
	t.Cleanup(func() {
		if strings.Contains(logs.String(), testToken) {
			t.Errorf("the token reached the logs:\n%s", logs.String())
		}
	})
	return &gwHarness{Bot: b, fake: h.fake, waits: waits, timers: timers, logs: logs, clock: h.clock, env: h.env}
}
