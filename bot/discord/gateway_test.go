package discord

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/studybot/studybot/bot/bottest"
)

// running is a Bot whose Run is going in the background.
type running struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned; err is then set
	err    error
}

// runBot starts b.Run; the test's cleanup stops it.
func runBot(t *testing.T, b *Bot) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = b.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() { r.stop() })
	return r
}

// stop cancels Run and returns its error.
func (r *running) stop() error {
	r.cancel()
	return r.wait()
}

// wait waits for Run to return by itself.
func (r *running) wait() error {
	select {
	case <-r.done:
		return r.err
	case <-time.After(10 * time.Second):
		r.t.Fatal("Run did not return")
		return nil
	}
}

func waitIdentify(t *testing.T, fd *fakeDiscord) map[string]any {
	t.Helper()
	select {
	case id := <-fd.identifies:
		return id
	case <-time.After(10 * time.Second):
		t.Fatal("no IDENTIFY")
		return nil
	}
}

// TestGatewayEndToEnd: the bot connects to a local gateway, registers its
// commands, and answers a command, a command with a topic, a button click and an
// autocomplete request with REST callbacks, through the real engine.
func TestGatewayEndToEnd(t *testing.T) {
	fd := newFakeDiscord(t)
	logs := &syncBuffer{}
	env := bottest.New(t)
	b, err := New(Config{Token: "Bot " + testToken, AppID: testApp, APIURL: fd.apiURL(), RegisterCommands: true, GuildIDs: []string{"111"}},
		env.Engine, env.Clock, testLog(logs))
	if err != nil {
		t.Fatal(err)
	}
	run := runBot(t, b)

	reg := fd.waitCall(http.MethodPut, "/applications/900/guilds/111/commands")
	if reg.Auth != "Bot "+testToken {
		t.Errorf("Authorization = %q", reg.Auth)
	}
	if !strings.Contains(string(reg.Body), `"name":"studymod"`) {
		t.Errorf("registration body lacks /studymod")
	}
	id := waitIdentify(t, fd)
	d := id["d"].(map[string]any)
	if id["op"] != float64(2) || d["token"] != testToken || d["intents"] != float64(1) {
		t.Errorf("IDENTIFY = %v, want op 2, the token, intents 1 (Guilds)", id)
	}

	for _, name := range []string{"study_next", "study_done_topic", "button_done", "autocomplete_done"} {
		fd.events <- fixture(t, name)
	}
	got := map[string]call{}
	for len(got) < 4 {
		c := fd.waitCall(http.MethodPost, "/interactions/")
		got[strings.Split(c.Path, "/")[2]] = c
	}
	wantPath := map[string]string{
		"1001": "/interactions/1001/itok-1001-SECRET/callback",
		"1002": "/interactions/1002/itok-1002-SECRET/callback",
		"1007": "/interactions/1007/itok-1007-SECRET/callback",
		"1010": "/interactions/1010/itok-1010-SECRET/callback",
	}
	for id, p := range wantPath {
		if got[id].Path != p {
			t.Errorf("callback for %s at %q, want %q", id, got[id].Path, p)
		}
	}
	for _, id := range []string{"1001", "1002"} {
		m := got[id].json(t)
		if respType(m) != 4 || respFlags(m) != 64 {
			t.Errorf("command %s answered %s, want type 4 ephemeral", id, got[id].Body)
		}
	}
	// The engine decides whether the click returns a reply (update, type 7)
	// or nothing (a private "Done.", type 4); either way it is answered.
	if m := got["1007"].json(t); respType(m) != 7 && !(respType(m) == 4 && respFlags(m) == 64) {
		t.Errorf("button answered %s", got["1007"].Body)
	}
	m := got["1010"].json(t)
	if respType(m) != 8 || len(respData(m)["choices"].([]any)) == 0 {
		t.Errorf("autocomplete answered %s", got["1010"].Body)
	}

	// A redelivered interaction is not answered twice.
	fd.events <- fixture(t, "study_next")
	fd.events <- fixture(t, "unknown_guild")
	c := fd.waitCall(http.MethodPost, "/interactions/1018/")
	if m := c.json(t); respFlags(m) != 64 || !strings.Contains(respContent(m), "not set up for this server") {
		t.Errorf("unknown guild answered %s", c.Body)
	}

	if err := run.stop(); err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	// Run drained in-flight interactions before returning, so a second answer
	// to the redelivered one would show by now.
	if n := len(fd.callsTo(http.MethodPost, "/interactions/1001/")); n != 1 {
		t.Errorf("interaction 1001 answered %d times, want 1", n)
	}
	out := logs.String()
	if strings.Contains(out, testToken) || strings.Contains(out, "SECRET") {
		t.Errorf("a token reached the logs:\n%s", out)
	}
	if !strings.Contains(out, "discord gateway ready") {
		t.Errorf("logs lack the ready line:\n%s", out)
	}
}

// TestGatewayFatalClose: a fatal close code stops Run with an error instead of
// reconnecting forever.
func TestGatewayFatalClose(t *testing.T) {
	for _, code := range []int{4004, 4010, 4011, 4012, 4013, 4014} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			fd := newFakeDiscord(t)
			fd.afterIdentify = func(ws *websocket.Conn, _ map[string]any) {
				ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, "closed"), time.Now().Add(time.Second))
				drainUntilClosed(ws) // the client's close echo: the frame got through
			}
			b := newTestBot(t, Config{APIURL: fd.apiURL(), GatewayURL: fd.gatewayURL()})
			err := runBot(t, b).wait()
			var fe *FatalError
			if !errors.As(err, &fe) || fe.Code != code {
				t.Fatalf("Run = %v, want FatalError %d", err, code)
			}
		})
	}
}

// TestGatewayRejectedToken: a 401 for /gateway/bot is fatal too.
func TestGatewayRejectedToken(t *testing.T) {
	fd := newFakeDiscord(t)
	fd.setREST(func(c call) (int, string, bool) {
		return http.StatusUnauthorized, `{"message":"401: Unauthorized","code":0}`, c.Path == "/gateway/bot"
	})
	b := newTestBot(t, Config{APIURL: fd.apiURL()})
	err := runBot(t, b).wait()
	var fe *FatalError
	if !errors.As(err, &fe) || fe.Code != http.StatusUnauthorized {
		t.Fatalf("Run = %v, want FatalError 401", err)
	}
}

// TestGatewayResume: after a non-fatal close the bot reconnects and resumes the
// session; heartbeats are sent and acknowledged.
func TestGatewayResume(t *testing.T) {
	fd := newFakeDiscord(t)
	fd.heartbeatMS = 5
	fd.afterReady = func(ws *websocket.Conn, n int) bool {
		if n > 1 {
			return false
		}
		select {
		case <-fd.beats: // one heartbeat, acknowledged by the fake
		case <-time.After(10 * time.Second):
			t.Error("no heartbeat")
		}
		// Whether the client sees 4000 or an abrupt 1006 here, both are
		// non-fatal and must lead to a resume, so no wait is needed.
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "unknown error"), time.Now().Add(time.Second))
		return true
	}
	b := newTestBot(t, Config{APIURL: fd.apiURL(), GatewayURL: fd.gatewayURL()})
	b.backoff = time.Millisecond
	runBot(t, b)
	if id := waitIdentify(t, fd); id["op"] != float64(2) {
		t.Fatalf("first frame %v, want IDENTIFY", id)
	}
	resume := waitIdentify(t, fd)
	d, _ := resume["d"].(map[string]any)
	if resume["op"] != float64(6) || d["session_id"] != "sess-1" || d["token"] != testToken || d["seq"] != float64(1) {
		t.Fatalf("after reconnect %v, want RESUME of sess-1 at seq 1", resume)
	}
	fd.events <- fixture(t, "study_next")
	fd.waitCall(http.MethodPost, "/interactions/1001/")
}

func TestBackoff(t *testing.T) {
	b := newTestBot(t, Config{})
	for n, max := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 20: time.Minute} {
		if d := b.backoffFor(n); d < max/2 || d > max {
			t.Errorf("backoffFor(%d) = %v, want in [%v, %v]", n, d, max/2, max)
		}
	}
}

// drainUntilClosed reads until the client answers the close frame (or gives up),
// so the server does not drop the TCP connection before the frame arrives.
func drainUntilClosed(ws *websocket.Conn) {
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
	}
}
