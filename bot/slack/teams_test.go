package slack

import (
	"net/url"
	"strings"
	"testing"
)

// TestAllowedTeams: with slack.allowed_teams set, a slash command, a button
// click and an App Home visit from another workspace get one polite sentence
// (or nothing, for the visit), never reach the engine or users.info, and
// write nothing to the database; a listed workspace is served as usual.
func TestAllowedTeams(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.teams = teamSet([]string{"T9OTHER"}) // testTeam is not on it
	tb.UseDeliveries(tb.rec.env.DB)         // as cmd/studybot wires it: handled events are stored,
	tb.UseRequestDeliveries(tb.rec.env.DB)  // and, on a shared database, handled commands and clicks
	stats := func() int64 {
		s, err := tb.rec.env.DB.Stats()
		if err != nil {
			t.Fatal(err)
		}
		return s.CommitWrites
	}
	before := stats()

	p := decodeAck(t, tb.post(t, "/slack/commands", commandBody("/study", "done internet/dns", "U1", tb.fake.responseURL(1)), nil))
	if p.ResponseType != ephemeral || p.Text != notServed {
		t.Errorf("command from another workspace answered %+v, want %q", p, notServed)
	}
	body := url.Values{"payload": {blockActions("done:internet/dns", tb.fake.responseURL(2), false)}}.Encode()
	tb.post(t, "/slack/interactivity", body, nil)
	res := tb.fake.wait("response", 1)
	if !strings.Contains(string(res[0].Body), notServed) {
		t.Errorf("click from another workspace answered %s", res[0].Body)
	}
	ev := `{"token":"x","team_id":"` + testTeam + `","api_app_id":"A1","type":"event_callback","event_id":"Ev9","event_time":1,` +
		`"event":{"type":"app_home_opened","user":"U1","channel":"D1","tab":"home","event_ts":"1.0"}}`
	tb.post(t, "/slack/events", ev, nil)
	tb.wg.Wait()
	if n := len(tb.rec.requests("")); n != 0 {
		t.Errorf("the engine saw %d requests from a workspace not served", n)
	}
	for _, method := range []string{"users.info", "views.publish", "chat.postMessage"} {
		if n := len(tb.fake.callsTo(method)); n != 0 {
			t.Errorf("%d %s calls for a workspace not served", n, method)
		}
	}
	if after := stats(); after != before {
		t.Errorf("the database was written (%d page writes) for a workspace not served", after-before)
	}

	tb.teams = teamSet([]string{"T9OTHER", testTeam})
	p = decodeAck(t, tb.post(t, "/slack/commands", commandBody("/study", "next", "U1", tb.fake.responseURL(3)), nil))
	if p.Text == notServed || len(tb.rec.requests("next")) != 1 {
		t.Errorf("a listed workspace was not served: %+v", p)
	}
}

func TestAllowedTeamsConfig(t *testing.T) {
	cfg := Config{Mode: ModeHTTP, BotToken: testBotToken, SigningSecret: testSecret, AllowedTeams: []string{" T0123ABCD ", "", "T0456EFGH"}}
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid allowed_teams refused: %v", err)
	}
	if cfg.AllowedTeams[0] != " T0123ABCD " {
		t.Error("Validate changed the caller's slice")
	}
	b, err := New(cfg, newRecorder(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.cancel()
	if !b.serves("T0123ABCD") || !b.serves("T0456EFGH") || b.serves("T1") {
		t.Errorf("serves: %v", b.teams)
	}
	cfg.AllowedTeams = []string{"study-group.slack.com"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "slack.allowed_teams") {
		t.Errorf("a workspace URL as a team id: %v", err)
	}
	cfg.AllowedTeams = nil
	b, err = New(cfg, newRecorder(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.cancel()
	if !b.serves("T1") {
		t.Error("with no allowed_teams every workspace is served")
	}
}
