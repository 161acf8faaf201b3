package slack

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"
)

// TestMalformedRequests sends 1,000 generated bad requests (issue 14) to each
// of Slack's HTTP endpoints, each signed properly unless its signature
// headers are what is wrong: none may panic or get a 5xx; a broken one gets
// a 4xx with a reason (401 for the signature), an odd but well-formed one a
// 4xx or Slack's ordinary answer. A good request is still answered
// afterwards. The clock moves a second per request, so two identical bodies
// are two requests, not a replay.
func TestMalformedRequests(t *testing.T) {
	event := `{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"Ev1","event_time":1,` +
		`"event":{"type":"app_home_opened","user":"U1","channel":"D1","tab":"home","event_ts":"1.0"}}`
	for _, tt := range []struct {
		path string
		spec bottest.Spec
		good func(tb *testBot) string
	}{
		{"/slack/commands", bottest.Spec{
			Body: []byte(commandBody(slashStudy, "topic internet/dns", "U1", "https://hooks.example/1")), ContentType: formType, Form: true,
			IDs: []string{"team_id", "user_id", "channel_id"},
		}, func(tb *testBot) string { return commandBody(slashStudy, "next", "U1", tb.fake.responseURL(1)) }},
		{"/slack/interactivity", bottest.Spec{
			Body: []byte(url.Values{"payload": {blockActions("done:internet/dns", "https://hooks.example/2", false)}}.Encode()), ContentType: formType,
			Form: true, JSONField: "payload",
			// What slack-go decodes strictly (it decodes actions leniently),
			// and the ids the adapter keys the member and space by.
			Typed: []string{"type", "team", "team.id", "user", "user.id", "user.name", "response_url", "trigger_id",
				"container", "container.type", "container.is_ephemeral", "channel", "channel.id", "channel.name"},
			IDs: []string{"team.id", "user.id", "channel.id"},
		}, func(tb *testBot) string {
			return url.Values{"payload": {blockActions("next", tb.fake.responseURL(2), false)}}.Encode()
		}},
		{"/slack/events", bottest.Spec{
			Body: []byte(event), ContentType: "application/json",
			Typed: []string{"type", "event_id", "challenge"},
		}, func(*testBot) string {
			return `{"token":"x","team_id":"T1","type":"url_verification","challenge":"still-here"}`
		}},
	} {
		t.Run(tt.path[len("/slack/"):], func(t *testing.T) {
			tb := newTestBot(t, ModeHTTP)
			tt.spec.MaxBody = maxBody
			// The clock moves a second per request: no two are a replay.
			bottest.SendMalformed(t, bottest.Malformed(1400, 1000, tt.spec), []int{http.StatusUnauthorized}, func(bad bottest.Bad) *httptest.ResponseRecorder {
				tb.clock.Add(time.Second)
				w := httptest.NewRecorder()
				tb.Handler().ServeHTTP(w, tb.faulty(tt.path, bad))
				return w
			}, nil)
			tb.wg.Wait() // background work of accepted odd requests
			tb.clock.Add(time.Second)
			w := httptest.NewRecorder()
			tb.Handler().ServeHTTP(w, tb.faulty(tt.path, bottest.Bad{Body: []byte(tt.good(tb)), ContentType: tt.spec.ContentType}))
			if w.Code != http.StatusOK {
				t.Fatalf("good request after the bad ones: %d %s", w.Code, w.Body)
			}
			switch tt.path {
			case "/slack/commands":
				if !bytes.Contains(w.Body.Bytes(), []byte(`"blocks"`)) {
					t.Errorf("good command answered %s", w.Body)
				}
			case "/slack/interactivity":
				tb.fake.wait("response", 1)
			case "/slack/events":
				if !bytes.Contains(w.Body.Bytes(), []byte("still-here")) {
					t.Errorf("url_verification answered %s", w.Body)
				}
			}
		})
	}
}

// faulty builds bad's request to path, signed at the bot's clock, then
// spoiled as its Fault says.
func (tb *testBot) faulty(path string, bad bottest.Bad) *http.Request {
	ts := strconv.FormatInt(tb.clock.Now().Unix(), 10)
	return bottest.Signature{
		SigHeader: "X-Slack-Signature", TSHeader: "X-Slack-Request-Timestamp",
		Sig: sign(testSecret, ts, bad.Body), TS: ts,
		DupSig: "v0=00", DupTS: ts + "1",
		WrongSig: func() string { return sign(testSecret, ts, []byte("other")) },
	}.Request(path, bad)
}
