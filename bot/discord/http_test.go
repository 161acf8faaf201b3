package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// httpEnv is a bot in http mode behind an httptest server, with a fake Discord
// for the REST calls that follow a deferral.
type httpEnv struct {
	t     *testing.T
	b     *Bot
	s     *signer
	srv   *httptest.Server
	fd    *fakeDiscord
	clock *bottest.Clock
	rec   *recorder
}

// newHTTPEnv starts a bot in http mode. With rec set, the engine is replaced by
// the recorder.
func newHTTPEnv(t *testing.T, cfg Config, rec *recorder) *httpEnv {
	t.Helper()
	s := newSigner(t)
	fd := newFakeDiscord(t)
	cfg.Mode = ModeHTTP
	cfg.PublicKey = s.hexKey()
	cfg.APIURL = fd.apiURL()
	b := newTestBot(t, cfg)
	if rec != nil {
		b.h = rec
	}
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	return &httpEnv{t: t, b: b, s: s, srv: srv, fd: fd, clock: b.clock.(*bottest.Clock), rec: rec}
}

func (e *httpEnv) do(r *http.Request) *http.Response {
	e.t.Helper()
	resp, err := e.srv.Client().Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// post sends a correctly signed body and decodes the answer.
func (e *httpEnv) post(body []byte) (int, map[string]any) {
	e.t.Helper()
	return decodeResponse(e.t, e.do(e.s.request(e.srv.URL, body, e.clock.Now())))
}

// withOption returns a fixture with its first subcommand's first option set to v.
func withOption(t *testing.T, name string, v any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	sub := m["data"].(map[string]any)["options"].([]any)[0].(map[string]any)
	sub["options"].([]any)[0].(map[string]any)["value"] = v
	data, _ := json.Marshal(m)
	return data
}

func TestHTTPPing(t *testing.T) {
	e := newHTTPEnv(t, Config{}, nil)
	resp := e.do(e.s.request(e.srv.URL, fixture(t, "ping"), e.clock.Now()))
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"type":1}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("PING answered %d %q (%s), want 200 {\"type\":1} application/json", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
}

// TestHTTPCommand runs a signed /study next through the real engine.
func TestHTTPCommand(t *testing.T) {
	e := newHTTPEnv(t, Config{}, nil)
	status, m := e.post(fixture(t, "study_next"))
	if status != http.StatusOK || respType(m) != 4 || respFlags(m) != 64 {
		t.Fatalf("answer %d %v, want 200, type 4, ephemeral", status, m)
	}
	if respContent(m) == "" && len(respData(m)["embeds"].([]any)) == 0 {
		t.Errorf("answer has no content: %v", m)
	}
}

func TestHTTPCommandReply(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Next up: DNS", Buttons: []bot.Button{{Label: "Done", Action: "done:internet/dns"}}}}
	e := newHTTPEnv(t, Config{}, rec)
	_, m := e.post(fixture(t, "study_done_topic"))
	if respType(m) != 4 || respFlags(m) != 64 {
		t.Fatalf("answer %v, want type 4 ephemeral", m)
	}
	embeds := respData(m)["embeds"].([]any)
	if len(embeds) != 1 || embeds[0].(map[string]any)["title"] != "Next up: DNS" {
		t.Errorf("embeds = %v", embeds)
	}
	if got := rec.reqs[0]; got.Command != "done" || got.Args["topic"] != "internet/dns" || got.Space.ID != "111" {
		t.Errorf("request = %+v", got)
	}
}

func TestHTTPPublicReply(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Leaderboard", Public: true}}
	e := newHTTPEnv(t, Config{}, rec)
	_, m := e.post(fixture(t, "study_next"))
	if respType(m) != 4 || respFlags(m) != 0 {
		t.Fatalf("answer %v, want type 4, not ephemeral", m)
	}
}

// TestHTTPRefused: requests that are not Discord's never reach the engine.
func TestHTTPRefused(t *testing.T) {
	rec := &recorder{}
	e := newHTTPEnv(t, Config{}, rec)
	other := newSigner(t)
	body := fixture(t, "study_next")
	now := e.clock.Now()
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"BadSignature", func() *http.Request { return other.request(e.srv.URL, body, now) }, http.StatusUnauthorized},
		{"MissingSignature", func() *http.Request {
			r := e.s.request(e.srv.URL, body, now)
			r.Header.Del("X-Signature-Ed25519")
			return r
		}, http.StatusUnauthorized},
		{"MissingTimestamp", func() *http.Request {
			r := e.s.request(e.srv.URL, body, now)
			r.Header.Del("X-Signature-Timestamp")
			return r
		}, http.StatusUnauthorized},
		{"NotHexSignature", func() *http.Request {
			r := e.s.request(e.srv.URL, body, now)
			r.Header.Set("X-Signature-Ed25519", "zz")
			return r
		}, http.StatusUnauthorized},
		{"TamperedBody", func() *http.Request {
			r := e.s.request(e.srv.URL, body, now)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte(`"next"`), []byte(`"undo"`), 1)))
			return r
		}, http.StatusUnauthorized},
		{"OtherTimestampSigned", func() *http.Request {
			r := e.s.request(e.srv.URL, body, now)
			r.Header.Set("X-Signature-Timestamp", "1")
			return r
		}, http.StatusUnauthorized},
		{"StaleTimestamp", func() *http.Request { return e.s.request(e.srv.URL, body, now.Add(-6*time.Minute)) }, http.StatusUnauthorized},
		{"FutureTimestamp", func() *http.Request { return e.s.request(e.srv.URL, body, now.Add(6*time.Minute)) }, http.StatusUnauthorized},
		{"BodyTooLarge", func() *http.Request {
			big := append(bytes.TrimSuffix(bytes.TrimSpace(body), []byte("}")), []byte(`,"pad":"`+strings.Repeat("x", maxBody)+`"}`)...)
			return e.s.request(e.srv.URL, big, now)
		}, http.StatusRequestEntityTooLarge},
		{"NotJSON", func() *http.Request { return e.s.request(e.srv.URL, []byte("{"), now) }, http.StatusBadRequest},
		{"GET", func() *http.Request { r, _ := http.NewRequest(http.MethodGet, e.srv.URL, nil); return r }, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(tt.req())
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	if n := rec.count(); n != 0 {
		t.Errorf("engine ran %d times for refused requests", n)
	}
	// Within the window is fine.
	if status, _ := decodeResponse(t, e.do(e.s.request(e.srv.URL, body, now.Add(-4*time.Minute)))); status != http.StatusOK {
		t.Errorf("4-minute-old request: status %d, want 200", status)
	}
}

// TestHTTPReplay: a replayed interaction gets the first answer again, and the
// engine runs once.
func TestHTTPReplay(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Marked done"}}
	e := newHTTPEnv(t, Config{}, rec)
	body := fixture(t, "study_done_topic")
	_, first := e.post(body)
	e.clock.Add(time.Minute) // re-signed a minute later: still fresh, still a replay
	_, again := e.post(body)
	if rec.count() != 1 {
		t.Fatalf("engine ran %d times, want 1", rec.count())
	}
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Errorf("replay answered\n%s\nfirst answer\n%s", b, a)
	}
}

// TestHTTPBadInput: a clear private error, and nothing runs.
func TestHTTPBadInput(t *testing.T) {
	rec := &recorder{}
	e := newHTTPEnv(t, Config{GuildIDs: []string{"111"}}, rec)
	tests := []struct {
		name string
		body []byte
		says string
	}{
		{"UnknownSubcommand", fixture(t, "unknown_subcommand"), "Unknown command"},
		{"WrongOptionType", fixture(t, "wrong_option_type"), "wrong type"},
		{"OptionOf6KB", withOption(t, "study_done_topic", strings.Repeat("é", 3000)), "too long"},
		{"UnknownGuild", fixture(t, "unknown_guild"), "not set up for this server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := e.post(tt.body)
			if status != http.StatusOK || respType(m) != 4 || respFlags(m) != 64 {
				t.Fatalf("answer %d %v, want 200 type 4 ephemeral", status, m)
			}
			if !strings.Contains(respContent(m), tt.says) {
				t.Errorf("content %q does not say %q", respContent(m), tt.says)
			}
		})
	}
	if n := rec.count(); n != 0 {
		t.Errorf("engine ran %d times, want 0", n)
	}
	if calls := e.fd.callsTo(http.MethodPost, "/"); len(calls) != 0 {
		t.Errorf("REST calls: %+v", calls)
	}
}

// TestHTTPModeratorByDiscordsGate: a member with neither Manage Server nor
// Administrator whom Discord let invoke /studymod (a role granted it in
// Server Settings > Integrations) is served as a moderator, end to end
// through the signed endpoint and the real engine; /study from the same
// member stays a member's.
func TestHTTPModeratorByDiscordsGate(t *testing.T) {
	e := newHTTPEnv(t, Config{}, nil)
	_, m := e.post(fixture(t, "studymod_no_perms"))
	embeds, _ := respData(m)["embeds"].([]any)
	if respType(m) != 4 || respFlags(m) != 64 || len(embeds) != 1 || embeds[0].(map[string]any)["title"] != "Challenges" {
		t.Fatalf("answer %v, want the private challenge list", m)
	}

	rec := &recorder{reply: &bot.Reply{Title: "ok"}}
	e = newHTTPEnv(t, Config{}, rec)
	e.post(fixture(t, "studymod_no_perms"))
	e.post(fixture(t, "study_next"))
	if n := rec.count(); n != 2 {
		t.Fatalf("engine ran %d times, want 2", n)
	}
	if got := rec.reqs[0].Access; got != bot.AccessModerator {
		t.Errorf("/studymod from a member without Manage Server: access %v, want moderator", got)
	}
	if got := rec.reqs[1].Access; got != bot.AccessMember {
		t.Errorf("/study from the same member: access %v, want member", got)
	}
}

// TestHTTPModeratorAutocomplete: /studymod's autocomplete is served to whom
// Discord lets through too, and a challenge's text suggests topics.
func TestHTTPModeratorAutocomplete(t *testing.T) {
	e := newHTTPEnv(t, Config{}, nil)
	_, m := e.post(fixture(t, "autocomplete_challenge_post"))
	choices, _ := respData(m)["choices"].([]any)
	if respType(m) != 8 || len(choices) == 0 || len(choices) > 25 {
		t.Fatalf("answer %v, want type 8 with choices", m)
	}
	for _, c := range choices {
		if c.(map[string]any)["value"] == "internet/dns" {
			return
		}
	}
	t.Errorf("choices for %q lack internet/dns: %v", "dns", choices)
}

// TestHTTPDeferred: an engine slower than deferAfter gets a deferred answer,
// then the original response is edited over REST.
func TestHTTPDeferred(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Slow answer"}, gate: make(chan struct{})}
	e := newHTTPEnv(t, Config{}, rec)
	e.b.deferAfter = time.Millisecond
	_, m := e.post(fixture(t, "study_next"))
	if respType(m) != 5 || respFlags(m) != 64 {
		t.Fatalf("answer %v, want type 5 ephemeral", m)
	}
	close(rec.gate)
	c := e.fd.waitCall(http.MethodPatch, "/webhooks/900/itok-1001-SECRET/messages/@original")
	body := c.json(t)
	if embeds := body["embeds"].([]any); len(embeds) != 1 || embeds[0].(map[string]any)["title"] != "Slow answer" {
		t.Errorf("edit = %s", c.Body)
	}
	if _, ok := body["flags"]; ok {
		t.Errorf("edit sets flags: %s", c.Body)
	}
}

// TestHTTPDeferredPublic: a public reply to a privately deferred command goes as a
// public follow-up.
func TestHTTPDeferredPublic(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Challenge", Public: true}, gate: make(chan struct{})}
	e := newHTTPEnv(t, Config{}, rec)
	e.b.deferAfter = time.Millisecond
	_, m := e.post(fixture(t, "study_next"))
	if respType(m) != 5 {
		t.Fatalf("answer %v, want type 5", m)
	}
	close(rec.gate)
	c := e.fd.waitCall(http.MethodPost, "/webhooks/900/itok-1001-SECRET")
	if body := c.json(t); body["flags"] != nil || len(body["embeds"].([]any)) != 1 {
		t.Errorf("follow-up = %s, want public embed", c.Body)
	}
	c = e.fd.waitCall(http.MethodPatch, "/webhooks/900/itok-1001-SECRET/messages/@original")
	if !strings.Contains(string(c.Body), "Posted") {
		t.Errorf("edit = %s", c.Body)
	}
}

// TestHTTPImage: an HTTP response cannot carry files, so a reply with an image
// is deferred and the image goes with the edit.
func TestHTTPImage(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Your card", File: &bot.File{Name: "progress.png", Type: "image/png", Data: pngBytes}}}
	e := newHTTPEnv(t, Config{}, rec)
	_, m := e.post(fixture(t, "study_next"))
	if respType(m) != 5 || respFlags(m) != 64 {
		t.Fatalf("answer %v, want type 5 ephemeral", m)
	}
	c := e.fd.waitCall(http.MethodPatch, "/webhooks/900/itok-1001-SECRET/messages/@original")
	if !bytes.Equal(c.Files["progress.png"], pngBytes) {
		t.Errorf("files = %v", c.Files)
	}
	if !strings.Contains(string(c.Body), "attachment://progress.png") {
		t.Errorf("payload_json = %s", c.Body)
	}
}

// TestHTTPButtons: a click on a message private to the clicker (ephemeral, or
// in a DM) updates it with the reply; a click on a message others see, even
// one answering the clicker's own command, gets a new private reply; errors
// and empty replies never replace the message, and a public reply is a new
// public message.
func TestHTTPButtons(t *testing.T) {
	tests := []struct {
		name      string
		fixture   string
		reply     *bot.Reply
		err       error
		wantType  int
		wantFlags int
		wantTitle string // of the answer's embed, when it has one
		wantText  string // the answer's content, when it has no embed
	}{
		{"EphemeralUpdates", "button_ephemeral_other", &bot.Reply{Title: "Next"}, nil, 7, 0, "Next", ""},
		{"DMUpdates", "button_dm", &bot.Reply{Title: "Next"}, nil, 7, 0, "Next", ""},
		{"OwnPublicMessageReplies", "button_done", &bot.Reply{Title: "Marked done"}, nil, 4, 64, "Marked done", ""},
		{"OthersMessageReplies", "button_other_member", &bot.Reply{Title: "Next"}, nil, 4, 64, "Next", ""},
		{"ErrorReplies", "button_ephemeral_other", nil, bot.Errorf(bot.Conflict, "Already done."), 4, 64, "", "Already done."},
		{"DMErrorReplies", "button_dm", nil, bot.Errorf(bot.Conflict, "Already done."), 4, 64, "", "Already done."},
		{"NilReplyReplies", "button_ephemeral_other", nil, nil, 4, 64, "", "Done."},
		{"PublicReplyPosts", "button_ephemeral_other", &bot.Reply{Title: "Challenge #3 closed", Public: true}, nil, 4, 0, "Challenge #3 closed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{reply: tt.reply, err: tt.err}
			e := newHTTPEnv(t, Config{}, rec)
			_, m := e.post(fixture(t, tt.fixture))
			if respType(m) != tt.wantType || respFlags(m) != tt.wantFlags {
				t.Errorf("answer type %d flags %d, want %d %d: %v", respType(m), respFlags(m), tt.wantType, tt.wantFlags, m)
			}
			embeds, _ := respData(m)["embeds"].([]any)
			var title string
			if len(embeds) == 1 {
				title, _ = embeds[0].(map[string]any)["title"].(string)
			}
			if title != tt.wantTitle || (tt.wantText != "" && !strings.Contains(respContent(m), tt.wantText)) {
				t.Errorf("answer title %q content %q, want %q %q", title, respContent(m), tt.wantTitle, tt.wantText)
			}
		})
	}
}

// TestHTTPDeferredButtonError: a slow click on an ephemeral message is
// deferred as an update; if it then fails, the error goes as a private
// follow-up and the message stays.
func TestHTTPDeferredButtonError(t *testing.T) {
	rec := &recorder{err: bot.Errorf(bot.Conflict, "Already done."), gate: make(chan struct{})}
	e := newHTTPEnv(t, Config{}, rec)
	e.b.deferAfter = time.Millisecond
	_, m := e.post(fixture(t, "button_ephemeral_other"))
	if respType(m) != 6 {
		t.Fatalf("answer %v, want type 6", m)
	}
	close(rec.gate)
	c := e.fd.waitCall(http.MethodPost, "/webhooks/900/itok-1021-SECRET")
	if body := c.json(t); body["flags"] != float64(64) || body["content"] != "Already done." {
		t.Errorf("follow-up = %s", c.Body)
	}
	if n := len(e.fd.callsTo(http.MethodPatch, "/webhooks/")); n != 0 {
		t.Errorf("%d edits of the message", n)
	}
}

// TestHTTPDeferredButtonUpdate: a slow click on an ephemeral message is
// deferred as an update, and the reply then edits that message; a public
// reply goes as a public follow-up instead, leaving the message as it was.
func TestHTTPDeferredButtonUpdate(t *testing.T) {
	for _, public := range []bool{false, true} {
		rec := &recorder{reply: &bot.Reply{Title: "Slow answer", Public: public}, gate: make(chan struct{})}
		e := newHTTPEnv(t, Config{}, rec)
		e.b.deferAfter = time.Millisecond
		_, m := e.post(fixture(t, "button_ephemeral_other"))
		if respType(m) != 6 {
			t.Fatalf("public %v: answer %v, want type 6", public, m)
		}
		close(rec.gate)
		method, path := http.MethodPatch, "/webhooks/900/itok-1021-SECRET/messages/@original"
		if public {
			method, path = http.MethodPost, "/webhooks/900/itok-1021-SECRET"
		}
		c := e.fd.waitCall(method, path)
		body := c.json(t)
		if embeds, _ := body["embeds"].([]any); len(embeds) != 1 || embeds[0].(map[string]any)["title"] != "Slow answer" {
			t.Errorf("public %v: %s %s = %s", public, method, path, c.Body)
		}
		if _, ok := body["flags"]; ok {
			t.Errorf("public %v: answer sets flags: %s", public, c.Body)
		}
		if public {
			if n := len(e.fd.callsTo(http.MethodPatch, "/webhooks/")); n != 0 {
				t.Errorf("%d edits of the message", n)
			}
		}
	}
}

func TestHTTPAutocomplete(t *testing.T) {
	e := newHTTPEnv(t, Config{}, nil)
	_, m := e.post(fixture(t, "autocomplete_done"))
	if respType(m) != 8 {
		t.Fatalf("answer %v, want type 8", m)
	}
	choices := respData(m)["choices"].([]any)
	if len(choices) == 0 || len(choices) > 25 {
		t.Fatalf("%d choices", len(choices))
	}
	found := false
	for _, c := range choices {
		if c.(map[string]any)["value"] == "internet/dns" {
			found = true
		}
	}
	if !found {
		t.Errorf("choices for %q lack internet/dns: %v", "dns", choices)
	}
	// Autocomplete from an unknown guild suggests nothing.
	e2 := newHTTPEnv(t, Config{GuildIDs: []string{"222"}}, nil)
	_, m = e2.post(fixture(t, "autocomplete_done"))
	if respType(m) != 8 || len(respData(m)["choices"].([]any)) != 0 {
		t.Errorf("unknown guild autocomplete = %v", m)
	}
}

// TestHandlerGatewayMode: the endpoint is off without a public key.
func TestHandlerGatewayMode(t *testing.T) {
	b := newTestBot(t, Config{})
	w := httptest.NewRecorder()
	b.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/discord/interactions", strings.NewReader("{}")))
	if w.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404", w.Code)
	}
}

// TestHTTPAfterShutdown: once Run has returned, commands are turned away politely
// instead of racing the shutdown.
func TestHTTPAfterShutdown(t *testing.T) {
	rec := &recorder{}
	e := newHTTPEnv(t, Config{}, rec)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.b.Run(ctx); err != nil {
		t.Fatalf("Run = %v", err)
	}
	_, m := e.post(fixture(t, "study_next"))
	if respType(m) != 4 || respFlags(m) != 64 || !strings.Contains(respContent(m), "restarting") {
		t.Errorf("answer %v, want a private restarting message", m)
	}
	if rec.count() != 0 {
		t.Error("the engine ran after shutdown")
	}
}

// runHTTP starts Run in http mode; stop cancels it and waits for it to return.
func runHTTP(t *testing.T, b *Bot) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return")
			return nil
		}
	}
}

// TestRunDrainsInFlightWork: once its context is done, Run waits for an
// interaction still in the engine, so its deferred answer goes out before Run
// returns.
func TestRunDrainsInFlightWork(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Slow answer"}, gate: make(chan struct{})}
	e := newHTTPEnv(t, Config{}, rec)
	e.b.deferAfter = time.Millisecond
	stop := runHTTP(t, e.b)
	if _, m := e.post(fixture(t, "study_next")); respType(m) != 5 {
		t.Fatalf("answer %v, want a deferral", m)
	}
	time.AfterFunc(50*time.Millisecond, func() { close(rec.gate) })
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if n := len(e.fd.callsTo(http.MethodPatch, "/webhooks/900/itok-1001-SECRET/messages/@original")); n != 1 {
		t.Errorf("Run returned before the deferred answer went out (%d edits)", n)
	}
}

// TestRunCancelsWorkPastGrace: work still running after shutdownGrace is
// cancelled, so a stuck engine call cannot hold shutdown.
func TestRunCancelsWorkPastGrace(t *testing.T) {
	rec := &recorder{gate: make(chan struct{})} // never opens
	e := newHTTPEnv(t, Config{}, rec)
	e.b.deferAfter = time.Millisecond
	e.b.shutdownGrace = 20 * time.Millisecond
	logs := &syncBuffer{}
	e.b.log = testLog(logs)
	stop := runHTTP(t, e.b)
	if _, m := e.post(fixture(t, "study_next")); respType(m) != 5 {
		t.Fatalf("answer %v, want a deferral", m)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(logs.String(), "did not finish in time") {
		t.Errorf("no warning about the cancelled work:\n%s", logs.String())
	}
}

// A fixed Ed25519 vector: the key from seed 00 01 ... 1f, and its signature
// of vectorTimestamp + vectorBody. Ed25519 signatures are deterministic, so
// the vector pins what a correct verifier accepts.
const (
	vectorPublicKey = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
	vectorTimestamp = "1767603600"
	vectorBody      = `{"type":1,"id":"1000","application_id":"900","token":"ptok"}`
	vectorSignature = "3a027959ae99ba73f2b375ecac31653c4798b67fa74d8679707c16dbe5c72bc39ea77ef75518cdbba7413e14b016a271616b2e629b2d6d5d896285887461990b"
)

// TestSignatureVector: the vector verifies, and every one-byte change of the
// timestamp, the body or the signature, every truncation and extension, and
// an empty header are refused.
func TestSignatureVector(t *testing.T) {
	b := newTestBot(t, Config{Mode: ModeHTTP, PublicKey: vectorPublicKey})
	if !b.verify(vectorSignature, vectorTimestamp, []byte(vectorBody)) {
		t.Fatal("the vector does not verify")
	}
	n := 0
	refuse := func(what, sig, ts, body string) {
		t.Helper()
		n++
		if b.verify(sig, ts, []byte(body)) {
			t.Errorf("%s accepted: sig %q ts %q body %q", what, sig, ts, body)
		}
	}
	for _, x := range mutate(vectorBody) {
		refuse("changed body", vectorSignature, vectorTimestamp, x)
	}
	for _, x := range mutate(vectorTimestamp) {
		refuse("changed timestamp", vectorSignature, x, vectorBody)
	}
	for _, x := range mutate(vectorSignature) {
		if strings.EqualFold(x, vectorSignature) {
			continue // the same bytes in upper-case hex
		}
		refuse("changed signature", x, vectorTimestamp, vectorBody)
	}
	refuse("truncated body", vectorSignature, vectorTimestamp, vectorBody[1:])
	refuse("extended body", vectorSignature, vectorTimestamp, vectorBody+" ")
	refuse("truncated signature", vectorSignature[:len(vectorSignature)-2], vectorTimestamp, vectorBody)
	refuse("extended signature", vectorSignature+"00", vectorTimestamp, vectorBody)
	refuse("no signature", "", vectorTimestamp, vectorBody)
	refuse("no timestamp", vectorSignature, "", vectorBody)
	t.Logf("%d changes refused", n)
}

// mutate returns every one-byte change of s: each position replaced by a byte
// that differs from the original.
func mutate(s string) []string {
	var out []string
	for i := range len(s) {
		for _, c := range []byte{s[i] ^ 0x01, s[i] ^ 0x20, '0', 'a'} {
			if c == s[i] {
				continue
			}
			m := []byte(s)
			m[i] = c
			out = append(out, string(m))
		}
	}
	return out
}

// buttonIDs lists the custom ids of the buttons in a message body (an
// interaction response's data, or a webhook or channel message).
func buttonIDs(m map[string]any) []string {
	var ids []string
	rows, _ := m["components"].([]any)
	for _, r := range rows {
		cs, _ := r.(map[string]any)["components"].([]any)
		for _, c := range cs {
			if id, ok := c.(map[string]any)["custom_id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// TestHTTPModeratorButtonClicks: a moderator's button works for the member it
// was shown to, at moderator level, and for no one else; one without an
// owner is refused.
func TestHTTPModeratorButtonClicks(t *testing.T) {
	e := newHTTPEnv(t, Config{}, nil)
	_, m := e.post(fixture(t, "button_mod_owner"))
	embeds, _ := respData(m)["embeds"].([]any)
	if respType(m) != 7 || len(embeds) != 1 || embeds[0].(map[string]any)["title"] != "Challenges" {
		t.Fatalf("owner's click answered %v, want the challenge list in place", m)
	}

	tests := []struct {
		name    string
		fixture string
		says    string
	}{
		{"OtherMember", "button_mod_other", "This button was for another moderator."},
		{"NoOwner", "button_mod_ownerless", "use /studymod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{reply: &bot.Reply{Title: "ran"}}
			e := newHTTPEnv(t, Config{}, rec)
			_, m := e.post(fixture(t, tt.fixture))
			if respType(m) != 4 || respFlags(m) != 64 || !strings.Contains(respContent(m), tt.says) {
				t.Errorf("answer %v, want a private %q", m, tt.says)
			}
			if n := rec.count(); n != 0 {
				t.Errorf("engine ran %d times", n)
			}
		})
	}
}

// TestHTTPModeratorButtonsStayPrivate: wherever an answer goes, a moderator's
// button is on it only when the answer to a moderator command is private to
// one member, and bound to that member.
func TestHTTPModeratorButtonsStayPrivate(t *testing.T) {
	const board = "111|challenge board:3"
	// The owner's click on a moderator button, had it been on a message
	// others see (it never is), would get a new private reply, theirs alone.
	var onPublic map[string]any
	if err := json.Unmarshal(fixture(t, "button_mod_owner"), &onPublic); err != nil {
		t.Fatal(err)
	}
	onPublic["message"].(map[string]any)["flags"] = 0
	onPublicBody, _ := json.Marshal(onPublic)
	tests := []struct {
		name   string
		body   []byte
		public bool
		want   []string
	}{
		{"PrivateReply", fixture(t, "studymod_no_perms"), false, []string{"201@111|challenge close", board}},
		{"PublicReply", fixture(t, "studymod_no_perms"), true, []string{board}},
		{"UpdateOfPrivateMessage", fixture(t, "button_mod_owner"), false, []string{"201@111|challenge close", board}},
		{"ReplyToClickOnOwnPublicMessage", fixture(t, "button_done"), false, []string{board}},
		{"ReplyToClickOnPublicMessage", onPublicBody, false, []string{"201@111|challenge close", board}},
		{"PrivateReplyToStudy", fixture(t, "study_next"), false, []string{board}},
		{"PrivateReplyToClickOnOthersMessage", fixture(t, "button_other_member"), false, []string{board}},
		{"DM", fixture(t, "button_dm"), false, []string{board}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newHTTPEnv(t, Config{}, &recorder{reply: modReply(tt.public)})
			_, m := e.post(tt.body)
			if got := buttonIDs(respData(m)); !slices.Equal(got, tt.want) {
				t.Errorf("buttons %q, want %q (answer %v)", got, tt.want, m)
			}
		})
	}

	// Deferred: the edit of the private "thinking" message keeps the
	// owner's button; a public reply, sent as a follow-up, drops it.
	for _, public := range []bool{false, true} {
		rec := &recorder{reply: modReply(public), gate: make(chan struct{})}
		e := newHTTPEnv(t, Config{}, rec)
		e.b.deferAfter = time.Millisecond
		e.post(fixture(t, "studymod_no_perms"))
		close(rec.gate)
		want := []string{"201@111|challenge close", board}
		method, path := http.MethodPatch, "/webhooks/900/itok-1006-SECRET/messages/@original"
		if public {
			want = []string{board}
			method, path = http.MethodPost, "/webhooks/900/itok-1006-SECRET"
		}
		c := e.fd.waitCall(method, path)
		if got := buttonIDs(c.json(t)); !slices.Equal(got, want) {
			t.Errorf("deferred, public %v: buttons %q, want %q", public, got, want)
		}
	}
}
