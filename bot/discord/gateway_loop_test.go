package discord

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// readyBot runs h's bot and takes its first connection to READY (session
// S1, sequence 1).
func readyBot(t *testing.T, h *gwHarness) (*running, *gwConn) {
	t.Helper()
	run := runBot(t, h.Bot)
	c := h.fake.accept()
	if f := c.handshake(); f.Op != opIdentify {
		t.Fatalf("first frame op %d, want IDENTIFY", f.Op)
	}
	c.ready(h.fake, "S1", 1)
	return run, c
}

// expectResume checks that the bot's next connection resumes session S1 at
// seq on the resume URL, and finishes the resume.
func expectResume(t *testing.T, h *gwHarness, seq int) *gwConn {
	t.Helper()
	c := h.fake.accept()
	if c.path != "/resume" || c.query.Get("v") != "10" || c.query.Get("encoding") != "json" {
		t.Errorf("reconnected to %s?%s, want the resume_gateway_url with v=10&encoding=json", c.path, c.query.Encode())
	}
	f := c.handshake()
	if f.Op != opResume {
		t.Fatalf("after reconnect op %d %s, want RESUME", f.Op, f.D)
	}
	d := f.data(t)
	if d["session_id"] != "S1" || d["token"] != testToken || d["seq"] != float64(seq) {
		t.Errorf("RESUME %v, want session S1 at seq %d", d, seq)
	}
	c.dispatch("RESUMED", seq+1, nil)
	return c
}

// expectIdentify checks that the bot's next connection starts a new session
// on the configured URL, not the resume URL.
func expectIdentify(t *testing.T, h *gwHarness) (*gwConn, gwFrame) {
	t.Helper()
	c := h.fake.accept()
	if c.path != "/gateway" {
		t.Errorf("a new session connected to %s, want /gateway", c.path)
	}
	f := c.handshake()
	if f.Op != opIdentify {
		t.Fatalf("after reconnect op %d %s, want IDENTIFY", f.Op, f.D)
	}
	return c, f
}

// serves checks that the bot answers an interaction on c.
func serves(t *testing.T, h *gwHarness, c *gwConn, seq int, fixtureName, id string) {
	t.Helper()
	c.dispatch("INTERACTION_CREATE", seq, json.RawMessage(fixture(t, fixtureName)))
	h.fake.waitCallback(id)
}

// TestGatewayOp7ResumesOnResumeURL: op 7 closes with a code that keeps the
// session, and the bot resumes at once on resume_gateway_url with the last
// sequence number it saw.
func TestGatewayOp7ResumesOnResumeURL(t *testing.T) {
	h := newGatewayHarness(t, Config{})
	_, c := readyBot(t, h)
	c.dispatch("GUILD_CREATE", 2, map[string]any{"id": "111"})
	c.send(map[string]any{"op": opReconnect, "d": nil})
	c.waitClosed()
	if c.code == 1000 || c.code == 1001 {
		t.Errorf("closed with %d, which ends the session", c.code)
	}
	c = expectResume(t, h, 2)
	serves(t, h, c, 4, "study_next", "1001")
	for _, w := range h.waits.all() {
		if w > 0 {
			t.Errorf("waited %v before reconnecting; op 7 asks for an immediate reconnect", w)
		}
	}
	if st := h.Shards(); len(st) != 1 || st[0].State != ShardReady || st[0].Reconnects != 1 {
		t.Errorf("Shards() = %+v, want one ready shard with one reconnect", st)
	}
	if err := h.ShardsReady(h.clock.Now(), 30*time.Second); err != nil {
		t.Errorf("ShardsReady = %v, want nil", err)
	}
}

// TestShardsReadyGrace: a shard reconnecting counts as ready for the grace
// period, then not; one that stopped never does.
func TestShardsReadyGrace(t *testing.T) {
	h := newGatewayHarness(t, Config{})
	if err := h.ShardsReady(h.clock.Now(), time.Minute); err == nil {
		t.Error("ShardsReady before Run = nil")
	}
	run, c := readyBot(t, h)
	c.sync() // READY handled
	if err := h.ShardsReady(h.clock.Now(), 30*time.Second); err != nil {
		t.Errorf("ready: %v", err)
	}
	c.closeWith(4000)
	h.fake.accept() // the bot is back, waiting for HELLO: reconnecting
	st := h.Shards()
	if len(st) != 1 || st[0].State != ShardReconnecting {
		t.Fatalf("Shards() = %+v, want reconnecting", st)
	}
	if err := h.ShardsReady(st[0].Since.Add(29*time.Second), 30*time.Second); err != nil {
		t.Errorf("29 s into a reconnect: %v, want ready", err)
	}
	if err := h.ShardsReady(st[0].Since.Add(31*time.Second), 30*time.Second); err == nil {
		t.Error("31 s into a reconnect: ready, want not")
	}
	run.stop()
	if err := h.ShardsReady(h.clock.Now(), time.Hour); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("after Run: %v, want stopped", err)
	}
}

// TestGatewayInvalidSession: op 9 with d=true resumes; with d=false the bot
// identifies anew on the gateway URL after Discord's 1 to 5 seconds.
func TestGatewayInvalidSession(t *testing.T) {
	t.Run("resumable", func(t *testing.T) {
		h := newGatewayHarness(t, Config{})
		_, c := readyBot(t, h)
		c.send(map[string]any{"op": opInvalidSession, "d": true})
		c.waitClosed()
		c = expectResume(t, h, 1)
		serves(t, h, c, 3, "study_next", "1001")
	})
	t.Run("not resumable", func(t *testing.T) {
		h := newGatewayHarness(t, Config{})
		run := runBot(t, h.Bot)
		c := h.fake.accept()
		first := c.handshake()
		c.ready(h.fake, "S1", 1)
		c.send(map[string]any{"op": opInvalidSession, "d": false})
		c.waitClosed()
		c, again := expectIdentify(t, h)
		if gap := again.at.Sub(first.at); gap < time.Second || gap < identifyWindow {
			t.Errorf("identified again %v after the first; want at least 1 s (Discord) and the identify window", gap)
		}
		c.ready(h.fake, "S2", 1)
		serves(t, h, c, 2, "study_next", "1001")
		if err := run.stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

// TestGatewayZombieConnection: heartbeats that are acknowledged keep the
// connection; one that is not is noticed at the next beat, so the bot
// reconnects (and resumes) within 2 heartbeat intervals.
func TestGatewayZombieConnection(t *testing.T) {
	h := newGatewayHarness(t, Config{})
	run := runBot(t, h.Bot)
	c := h.fake.accept()
	c.handshake()
	tm := h.timers.next(t)
	c.ready(h.fake, "S1", 1)
	c.sync() // READY handled

	tm.fire()
	if d := c.expect(opHeartbeat).D; string(d) != "1" {
		t.Errorf("heartbeat carries %s, want the last sequence 1", d)
	}
	c.send(map[string]any{"op": opHeartbeatAck})
	c.sync() // the ACK handled
	tm.fire()
	c.expect(opHeartbeat) // acknowledged before: still beating
	// No ACK this time. The connection stays until the next beat is due.
	select {
	case <-c.closed:
		t.Fatal("closed before the next heartbeat was due")
	default:
	}
	tm.fire()
	c.waitClosed()
	if c.code == 1000 || c.code == 1001 {
		t.Errorf("zombie closed with %d, which ends the session", c.code)
	}
	expectResume(t, h, 1)
	ds := tm.durations()
	if len(ds) < 3 || ds[0] <= 0 || ds[0] > 45*time.Second || ds[1] != 45*time.Second || ds[2] != 45*time.Second {
		t.Errorf("heartbeat timer durations %v, want a jittered first beat within 45s, then 45s", ds)
	}
	if err := run.stop(); err != nil {
		t.Errorf("Run = %v", err)
	}
}

// TestGatewayCloseCodes: each class of close code Discord sends. 1000 and
// 1001 (Discord restarting a node) and the reconnectable 4000-4009 resume,
// except 4007 (invalid sequence) and 4009 (session timed out), which start
// a new session; the fatal codes stop Run with an error and no reconnect.
func TestGatewayCloseCodes(t *testing.T) {
	const (
		resume   = "resume"
		identify = "identify"
		fatal    = "fatal"
	)
	for code, want := range map[int]string{
		1000: resume, 1001: resume,
		4000: resume, 4001: resume, 4002: resume, 4003: resume, 4005: resume, 4008: resume,
		4007: identify, 4009: identify,
		4004: fatal, 4010: fatal, 4011: fatal, 4012: fatal, 4013: fatal, 4014: fatal,
	} {
		t.Run(fmt.Sprintf("%d_%s", code, want), func(t *testing.T) {
			h := newGatewayHarness(t, Config{})
			run, c := readyBot(t, h)
			c.closeWith(code)
			switch want {
			case resume:
				c = expectResume(t, h, 1)
				serves(t, h, c, 3, "study_next", "1001")
			case identify:
				c, _ = expectIdentify(t, h)
				c.ready(h.fake, "S2", 1)
				serves(t, h, c, 2, "study_next", "1001")
			case fatal:
				err := run.wait()
				var fe *FatalError
				if !errors.As(err, &fe) || fe.Code != code {
					t.Fatalf("Run = %v, want FatalError %d", err, code)
				}
				h.fake.noConnection()
				if st := h.Shards(); len(st) != 1 || st[0].State != ShardStopped {
					t.Errorf("Shards() = %+v, want stopped", st)
				}
			}
		})
	}
}

// TestGatewayResumeRefusedFallsBackToIdentify: Discord answers a RESUME
// with op 9 (d=false); the bot starts a new session on the gateway URL.
func TestGatewayResumeRefusedFallsBackToIdentify(t *testing.T) {
	h := newGatewayHarness(t, Config{})
	_, c := readyBot(t, h)
	c.closeWith(4000)
	c = h.fake.accept()
	if f := c.handshake(); f.Op != opResume {
		t.Fatalf("op %d, want RESUME", f.Op)
	}
	c.send(map[string]any{"op": opInvalidSession, "d": false})
	c.waitClosed()
	c, f := expectIdentify(t, h)
	if d := f.data(t); d["token"] != testToken {
		t.Errorf("IDENTIFY %v lacks the token", d)
	}
	c.ready(h.fake, "S2", 1)
	serves(t, h, c, 2, "study_next", "1001")
	var slept time.Duration
	for _, w := range h.waits.all() {
		slept += w
	}
	if slept < time.Second {
		t.Errorf("waited %v in all before identifying after op 9; Discord asks for 1 to 5 s", slept)
	}
}

// TestGatewayIdentifyPacing: a gateway that closes every new session before
// READY gets IDENTIFYs no closer than Discord's identify window, and further
// apart as the backoff grows, so a bot that keeps failing does not burn its
// daily session starts.
func TestGatewayIdentifyPacing(t *testing.T) {
	h := newGatewayHarness(t, Config{})
	run := runBot(t, h.Bot)
	var at []time.Time
	for range 7 {
		c := h.fake.accept()
		f := c.handshake()
		if f.Op != opIdentify {
			t.Fatalf("op %d, want IDENTIFY (no session was ever ready)", f.Op)
		}
		at = append(at, f.at)
		c.closeWith(4000)
	}
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < identifyWindow {
			t.Errorf("IDENTIFY %d came %v after the one before; want at least %v", i+1, gap, identifyWindow)
		}
	}
	if last := at[6].Sub(at[5]); last < 2*identifyWindow {
		t.Errorf("the 7th IDENTIFY came %v after the 6th; the backoff should have grown past %v", last, 2*identifyWindow)
	}
	if err := run.stop(); err != nil {
		t.Errorf("Run = %v", err)
	}
}

// TestGatewayStartLimitSpent: with no session starts left today, the bot
// waits for Discord's reset_after before identifying, rather than get its
// token reset.
func TestGatewayStartLimitSpent(t *testing.T) {
	for _, cfg := range []Config{{GatewayURL: "-"}, {GatewayURL: "-", Shards: 1}} {
		t.Run(fmt.Sprintf("shards=%d", cfg.Shards), func(t *testing.T) {
			h := newGatewayHarness(t, cfg)
			h.fake.setStartLimit(1, 1, 0)
			start := h.clock.Now()
			runBot(t, h.Bot)
			c := h.fake.accept()
			f := c.handshake()
			if f.Op != opIdentify || f.at.Sub(start) < time.Hour {
				t.Errorf("op %d %v after start, want IDENTIFY after reset_after (1h)", f.Op, f.at.Sub(start))
			}
			if !strings.Contains(h.logs.String(), "session start limit is used up") {
				t.Errorf("no log line says why it waits:\n%s", h.logs.String())
			}
		})
	}
}

// TestGatewayGarbledFrames: a first frame that is not HELLO, and a frame
// that is not JSON mid-session, each cost one reconnect (resuming when there
// is a session), never the process.
func TestGatewayGarbledFrames(t *testing.T) {
	h := newGatewayHarness(t, Config{})
	runBot(t, h.Bot)
	c := h.fake.accept()
	c.send(map[string]any{"op": opDispatch, "t": "READY", "d": nil}) // not HELLO
	c.waitClosed()
	c = h.fake.accept()
	if f := c.handshake(); f.Op != opIdentify {
		t.Fatalf("op %d, want IDENTIFY", f.Op)
	}
	c.ready(h.fake, "S1", 1)
	c.wmu.Lock()
	c.ws.WriteMessage(websocket.TextMessage, []byte(`{"op":0,"t":"INTERACTION_CREATE","d":{`))
	c.wmu.Unlock()
	c.waitClosed()
	c = expectResume(t, h, 1)
	serves(t, h, c, 3, "study_next", "1001")
}
