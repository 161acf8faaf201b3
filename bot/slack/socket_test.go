package slack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// socketSession is the fake Slack's side of one Socket Mode connection.
type socketSession struct {
	t    *testing.T
	conn *websocket.Conn
	acks chan map[string]json.RawMessage
}

func (tb *testBot) connect(t *testing.T) (*socketSession, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- tb.Run(ctx) }()
	var conn *websocket.Conn
	select {
	case conn = <-tb.fake.conns:
	case err := <-errc:
		cancel()
		t.Fatalf("Run returned before connecting: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("no Socket Mode connection")
	}
	s := &socketSession{t: t, conn: conn, acks: make(chan map[string]json.RawMessage, 64)}
	go func() {
		for {
			var m map[string]json.RawMessage
			if err := conn.ReadJSON(&m); err != nil {
				close(s.acks)
				return
			}
			s.acks <- m
		}
	}()
	s.send(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A1"}})
	stop := func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
		conn.Close()
	}
	return s, stop
}

func (s *socketSession) send(v any) {
	s.t.Helper()
	if err := s.conn.WriteJSON(v); err != nil {
		s.t.Fatalf("send: %v", err)
	}
}

// envelope sends a Socket Mode request and returns its acknowledgement.
func (s *socketSession) envelope(id, typ string, retry int, payload any) map[string]json.RawMessage {
	s.t.Helper()
	return s.envelopeAccepting(id, typ, retry, typ == "slash_commands", payload)
}

func (s *socketSession) envelopeAccepting(id, typ string, retry int, accepts bool, payload any) map[string]json.RawMessage {
	s.t.Helper()
	s.send(map[string]any{
		"envelope_id": id, "type": typ, "payload": payload, "retry_attempt": retry, "retry_reason": "",
		"accepts_response_payload": accepts,
	})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-s.acks:
			if !ok {
				s.t.Fatalf("connection closed before the ack of %s", id)
			}
			var got string
			_ = json.Unmarshal(m["envelope_id"], &got)
			if got == id {
				return m
			}
		case <-deadline:
			s.t.Fatalf("no ack for envelope %s", id)
		}
	}
}

func slashPayload(text, user, responseURL string) map[string]any {
	return map[string]any{
		"token": "legacy", "team_id": testTeam, "team_domain": "study", "channel_id": "C1", "channel_name": "general",
		"user_id": user, "user_name": "ann", "command": "/study", "text": text,
		"api_app_id": "A1", "response_url": responseURL, "trigger_id": "1.2.3",
	}
}

func homeOpened(eventID, user string) map[string]any {
	return map[string]any{
		"token": "x", "team_id": testTeam, "api_app_id": "A1", "type": "event_callback", "event_id": eventID, "event_time": 1,
		"event": map[string]any{"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home", "event_ts": "1.0"},
	}
}

func rawAction(t *testing.T, action, responseURL string, home bool) json.RawMessage {
	t.Helper()
	return json.RawMessage(blockActions(action, responseURL, home))
}

func TestSocketModeEndToEnd(t *testing.T) {
	tb := newTestBot(t, ModeSocket)
	tb.rec.canned["next"] = nextReply()
	tb.rec.canned["progress"] = &bot.Reply{Title: "Your progress", Bars: []bot.Bar{{Label: "Overall", Done: 7, Total: 120}, {Label: "Internet", Done: 3, Total: 6}}}
	s, stop := tb.connect(t)

	// A slash command is acknowledged with the answer inside the ack.
	ack := s.envelope("env-slash-1", "slash_commands", 0, slashPayload("next", "U1", tb.fake.responseURL(1)))
	var answer struct {
		ResponseType string            `json:"response_type"`
		Text         string            `json:"text"`
		Blocks       []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(ack["payload"], &answer); err != nil || answer.ResponseType != ephemeral || answer.Text != "Next: DNS and how it works" || len(answer.Blocks) == 0 {
		t.Errorf("slash ack payload %s (%v)", ack["payload"], err)
	}

	// A button click is acknowledged at once; the command runs and answers
	// through the response_url.
	ack = s.envelope("env-click-1", "interactive", 0, rawAction(t, "done:internet/dns", tb.fake.responseURL(2), false))
	if p, ok := ack["payload"]; ok && string(p) != "null" {
		t.Errorf("interaction ack carries a payload: %s", p)
	}
	res := tb.fake.wait("response", 1)
	if !strings.Contains(res[0].Form.Get("path"), "/response/2") {
		t.Errorf("answer went to %s", res[0].Form.Get("path"))
	}

	// Opening the Home tab publishes the member's progress and next topic.
	s.envelope("env-home-1", "events_api", 0, homeOpened("Ev1", "U1"))
	views := tb.fake.wait("views.publish", 1)
	var pub struct {
		UserID string `json:"user_id"`
		View   struct {
			Type   string            `json:"type"`
			Blocks []json.RawMessage `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal(views[0].Body, &pub); err != nil {
		t.Fatal(err)
	}
	body := string(views[0].Body)
	if pub.UserID != "U1" || pub.View.Type != "home" || !strings.Contains(body, "Internet: 3 of 6, 50%  `▓▓▓▓▓░░░░░`") || !strings.Contains(body, `"action_id":"done:internet/dns"`) {
		t.Errorf("views.publish %s", body)
	}

	// A click on the Home tab re-publishes it with the answer on top.
	s.envelope("env-click-home", "interactive", 0, rawAction(t, "skip:internet/dns", "", true))
	views = tb.fake.wait("views.publish", 2)
	var again struct {
		View struct {
			Blocks []json.RawMessage `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal(views[1].Body, &again); err != nil {
		t.Fatal(err)
	}
	// Same tab as before, with the click's answer and a divider on top.
	if n, m := len(again.View.Blocks), len(pub.View.Blocks); n < m+2 || !slices.EqualFunc(again.View.Blocks[n-m:], pub.View.Blocks, func(a, b json.RawMessage) bool { return string(a) == string(b) }) ||
		!strings.Contains(string(again.View.Blocks[n-m-1]), `"divider"`) {
		t.Errorf("home after click %s", views[1].Body)
	}

	// Redeliveries are acknowledged and change nothing: the same envelope id
	// again, a retry_attempt, and the same event under a new envelope.
	s.envelope("env-click-1", "interactive", 0, rawAction(t, "done:internet/dns", tb.fake.responseURL(2), false))
	s.envelope("env-click-1-retry", "interactive", 1, rawAction(t, "done:internet/dns", tb.fake.responseURL(2), false))
	s.envelope("env-slash-1", "slash_commands", 0, slashPayload("next", "U1", tb.fake.responseURL(1)))
	s.envelope("env-home-2", "events_api", 1, homeOpened("Ev1", "U1"))
	s.envelope("env-home-3", "events_api", 0, homeOpened("Ev1", "U1"))

	// A slash command from an admin through /studymod, answered in the ack.
	p := slashPayload("challenge list", "UADMIN", tb.fake.responseURL(5))
	p["command"] = "/studymod"
	ack = s.envelope("env-slash-mod", "slash_commands", 0, p)
	if !strings.Contains(string(ack["payload"]), `"response_type":"ephemeral"`) {
		t.Errorf("moderator ack %s", ack["payload"])
	}
	stop() // Run waits for work in flight before it returns

	if n := len(tb.rec.requests("done")); n != 1 {
		t.Errorf("done ran %d times, want 1", n)
	}
	// In the store: the topic was marked done, then skipped from the Home tab;
	// had a redelivered "done" click run again, it would be done now.
	m, err := tb.rec.env.DB.Member(context.Background(), slackSpace, "U1")
	if err != nil || m.Track(bot.BuiltinRoadmap).Status("internet/dns") != roadmap.Skipped {
		t.Errorf("stored status %q (%v), want skipped", m.Track(bot.BuiltinRoadmap).Status("internet/dns"), err)
	}
	if n := len(tb.rec.requests("next")); n != 3 { // the slash command, then next for the home tab twice
		t.Errorf("next ran %d times, want 3", n)
	}
	if n := len(tb.fake.callsTo("views.publish")); n != 2 {
		t.Errorf("views.publish called %d times, want 2", n)
	}
	if n := len(tb.fake.callsTo("response")); n != 1 {
		t.Errorf("%d response_url posts, want 1", n)
	}
	mod := tb.rec.requests("challenge list")
	if len(mod) != 1 || mod[0].Access < bot.AccessModerator || mod[0].Zone != "America/New_York" {
		t.Errorf("moderator request %+v", mod)
	}
	click := tb.rec.requests("skip")
	if len(click) != 1 || click[0].Args["topic"] != "internet/dns" || click[0].Channel != "" || click[0].DM {
		t.Errorf("home click request %+v", click)
	}
}

func TestSocketModeAnswerWithoutAckPayload(t *testing.T) {
	tb := newTestBot(t, ModeSocket)
	tb.ackBudget = 0
	s, stop := tb.connect(t)
	defer stop()
	ack := s.envelope("env-1", "slash_commands", 0, slashPayload("", "U1", tb.fake.responseURL(9)))
	if p, ok := ack["payload"]; ok && string(p) != "null" {
		t.Errorf("ack carries %s; a slow command acknowledges empty", p)
	}
	res := tb.fake.wait("response", 1)
	if !strings.Contains(res[0].Form.Get("path"), "/response/9") {
		t.Errorf("answer went to %s", res[0].Form.Get("path"))
	}
	if reqs := tb.rec.requests("help"); len(reqs) != 1 {
		t.Errorf("empty text ran %v, want help", reqs)
	}
}

func TestSocketModeEnvelopeWithoutResponsePayload(t *testing.T) {
	tb := newTestBot(t, ModeSocket)
	s, stop := tb.connect(t)
	defer stop()
	ack := s.envelopeAccepting("env-2", "slash_commands", 0, false, slashPayload("streak", "U1", tb.fake.responseURL(10)))
	if p, ok := ack["payload"]; ok && string(p) != "null" {
		t.Errorf("ack carries %s; this envelope takes no answer", p)
	}
	res := tb.fake.wait("response", 1)
	if !strings.Contains(res[0].Form.Get("path"), "/response/10") {
		t.Errorf("answer went to %s", res[0].Form.Get("path"))
	}
}

func TestSocketModeRefusedAppToken(t *testing.T) {
	tb := newTestBot(t, ModeSocket)
	b, err := New(Config{Mode: ModeSocket, BotToken: testBotToken, AppToken: "xapp-wrong", APIURL: tb.fake.apiURL()}, tb.rec.eng, tb.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Run(ctx); err == nil || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "xapp-wrong") {
		t.Errorf("Run = %v, want an invalid_auth error without the token", err)
	}
}
