package slack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// roadmapTOML is a small roadmap file, as a moderator would upload it.
var roadmapTOML = []byte("id = \"backend\"\ntitle = \"Backend\"\n")

// uploadPath is where the uploaded file lives on the fake file host.
const uploadPath = "/files-pri/T1-F1/download/backend.toml"

// submission is a view_submission of the roadmap add modal by user, with
// the file (nil: none chosen) and the private_metadata of a command typed
// in channel.
func submission(t *testing.T, user, channel string, file map[string]any) string {
	t.Helper()
	meta, _ := json.Marshal(modalMeta{Command: "roadmap add", Team: testTeam, User: user, Channel: channel})
	input := map[string]any{"type": "file_input"}
	if file != nil {
		input["files"] = []any{file}
	}
	p, err := json.Marshal(map[string]any{
		"type":       "view_submission",
		"team":       map[string]any{"id": testTeam, "domain": "study"},
		"user":       map[string]any{"id": user, "username": "mod", "name": "mod", "team_id": testTeam},
		"api_app_id": "A1",
		"trigger_id": "4.5.6",
		"view": map[string]any{
			"id": "V1", "team_id": testTeam, "type": "modal", "callback_id": fileModalID,
			"private_metadata": string(meta), "hash": "1.abc",
			"state": map[string]any{"values": map[string]any{fileBlockID: map[string]any{fileActionID: input}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// uploaded is Slack's description of backend.toml on host, changed by edit.
func uploaded(host string, edit func(f map[string]any)) map[string]any {
	f := map[string]any{
		"id": "F1", "name": "backend.toml", "title": "backend.toml", "mimetype": "text/plain", "filetype": "toml",
		"size": len(roadmapTOML), "url_private": host + "/files-pri/T1-F1/backend.toml", "url_private_download": host + uploadPath,
	}
	if edit != nil {
		edit(f)
	}
	return f
}

func submit(t *testing.T, tb *testBot, payload string) *testResponse {
	t.Helper()
	w := tb.post(t, "/slack/interactivity", url.Values{"payload": {payload}}.Encode(), nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	return &testResponse{body: w.Body.Bytes()}
}

type testResponse struct{ body []byte }

// modalError is the error the acknowledgement shows under the file input,
// "" when it closes the modal.
func (r *testResponse) modalError(t *testing.T) string {
	t.Helper()
	if len(bytes.TrimSpace(r.body)) == 0 {
		return ""
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &resp); err != nil || resp.ResponseAction != "errors" || resp.Errors[fileBlockID] == "" {
		t.Fatalf("acknowledgement %s (%v), want errors on %q", r.body, err, fileBlockID)
	}
	return resp.Errors[fileBlockID]
}

// TestFileModalOpens: /studymod roadmap add, with or without text, opens
// the modal on the command's trigger_id and runs nothing.
func TestFileModalOpens(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	for i, text := range []string{"roadmap add", "roadmap add my backend.toml"} {
		w := tb.post(t, "/slack/commands", commandBody("/studymod", text, "UMOD", tb.fake.responseURL(1)), nil)
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("%q: acknowledgement %d %q, want an empty 200", text, w.Code, w.Body)
		}
		calls := tb.fake.wait("views.open", i+1)
		var open struct {
			TriggerID string         `json:"trigger_id"`
			View      map[string]any `json:"view"`
		}
		if err := json.Unmarshal(calls[i].Body, &open); err != nil {
			t.Fatal(err)
		}
		if open.TriggerID != "1.2.3" {
			t.Errorf("trigger_id %q, want the command's", open.TriggerID)
		}
		bottest.GoldenJSON(t, "roadmap_add_modal.golden", open.View)
	}
	if n := len(tb.rec.requests("")); n != 0 {
		t.Errorf("%d engine requests; opening the modal runs nothing", n)
	}
	if n := len(tb.fake.callsTo("response")); n != 0 {
		t.Errorf("%d response_url posts; the modal is the answer", n)
	}
	// A member who may not add roadmaps is told so at once; no modal.
	p := decodeAck(t, tb.post(t, "/slack/commands", commandBody("/studymod", "roadmap add", "U1", tb.fake.responseURL(3)), nil))
	if !strings.Contains(p.Text, "Only moderators") || len(tb.fake.callsTo("views.open")) != 2 {
		t.Errorf("a member's /studymod roadmap add: %+v, %d views.open", p, len(tb.fake.callsTo("views.open")))
	}
	// Under /study it is a moderator command, not a modal.
	p = decodeAck(t, tb.post(t, "/slack/commands", commandBody("/study", "roadmap add", "UMOD", tb.fake.responseURL(2)), nil))
	if !strings.Contains(p.Text, "moderator command") || len(tb.fake.callsTo("views.open")) != 2 {
		t.Errorf("/study roadmap add: %+v", p)
	}
}

// TestFileSubmission: the modal's file is downloaded from the file host with
// the bot token, the engine gets its bytes as the moderator, and the reply
// reaches them ephemerally in the channel they typed the command in.
func TestFileSubmission(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.fake.fileData[uploadPath] = roadmapTOML
	tb.rec.stand["roadmap add"] = &bot.Reply{Title: "Backend: 3 sections added"}
	if e := submit(t, tb, submission(t, "UMOD", "C1", uploaded(tb.fake.files.URL, nil))).modalError(t); e != "" {
		t.Fatalf("modal error %q, want the modal closed", e)
	}
	eph := tb.fake.wait("chat.postEphemeral", 1)
	if f := eph[0].Form; f.Get("channel") != "C1" || f.Get("user") != "UMOD" || !strings.Contains(f.Get("blocks"), "Backend: 3 sections added") {
		t.Errorf("chat.postEphemeral %v", f)
	}
	reqs := tb.rec.requests("roadmap add")
	if len(reqs) != 1 {
		t.Fatalf("engine saw %d roadmap add requests", len(reqs))
	}
	got := reqs[0]
	if got.Member != "UMOD" || got.Access != bot.AccessModerator || got.Channel != "C1" || got.Space.ID != testTeam || got.Args["file"] != "backend.toml" {
		t.Errorf("request %+v", got)
	}
	if f := got.File; f == nil || f.Name != "backend.toml" || f.Type != "text/plain" || !bytes.Equal(f.Data, roadmapTOML) {
		t.Errorf("file %+v", got.File)
	}
	gets := tb.fake.downloads()
	if len(gets) != 1 || gets[0].URL.Path != uploadPath || gets[0].Header.Get("Authorization") != "Bearer "+testBotToken {
		t.Errorf("downloads %v, want one of url_private_download with the bot token", gets)
	}
}

// TestFileSubmissionWithoutChannel: with no channel to answer in, the
// reply goes to the member's DM.
func TestFileSubmissionWithoutChannel(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.fake.fileData[uploadPath] = roadmapTOML
	tb.rec.stand["roadmap add"] = &bot.Reply{Title: "Backend added"}
	submit(t, tb, submission(t, "UMOD", "", uploaded(tb.fake.files.URL, nil)))
	posts := tb.fake.wait("chat.postMessage", 1)
	if f := posts[0].Form; f.Get("channel") != "DUMOD" || !strings.Contains(f.Get("blocks"), "Backend added") {
		t.Errorf("chat.postMessage %v, want the reply in the DM", f)
	}
	if n := len(tb.fake.callsTo("chat.postEphemeral")); n != 0 {
		t.Errorf("%d ephemeral messages", n)
	}
}

// TestFileSubmissionRefusedInModal: what can be told before downloading is
// shown in the modal, which stays open; nothing is downloaded and the
// engine does not run.
func TestFileSubmissionRefusedInModal(t *testing.T) {
	tests := []struct {
		name string
		file func(f *fakeSlack) map[string]any
		says string
	}{
		{"ErrNoFile", func(*fakeSlack) map[string]any { return nil }, "Choose a .toml file"},
		{"ErrNotTOML", func(f *fakeSlack) map[string]any {
			return uploaded(f.files.URL, func(f map[string]any) { f["name"] = "backend.yaml" })
		}, "backend.yaml is not a .toml file"},
		{"ErrDeclaredTooLarge", func(f *fakeSlack) map[string]any {
			return uploaded(f.files.URL, func(f map[string]any) { f["size"] = bot.MaxRoadmapFile + 1 })
		}, "backend.toml is 257 KB; a roadmap file may be at most 256 KB."},
		{"ErrForeignHost", func(*fakeSlack) map[string]any {
			return uploaded("https://files.example.com", nil)
		}, "Slack's own file host"},
		// Another loopback server: the Web API's, which must not get the
		// token for a file either.
		{"ErrOtherLocalHost", func(f *fakeSlack) map[string]any { return uploaded(f.srv.URL, nil) }, "Slack's own file host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBot(t, ModeHTTP)
			tb.fake.fileData[uploadPath] = roadmapTOML
			tb.rec.stand["roadmap add"] = &bot.Reply{Title: "added"}
			got := submit(t, tb, submission(t, "UMOD", "C1", tt.file(tb.fake))).modalError(t)
			if !strings.Contains(got, tt.says) {
				t.Errorf("modal error %q, want it to say %q", got, tt.says)
			}
			if n := len(tb.rec.requests("")); n != 0 {
				t.Errorf("engine ran %d times", n)
			}
			if n := len(tb.fake.downloads()); n != 0 {
				t.Errorf("%d downloads", n)
			}
			if n := len(tb.fake.callsTo("files-pri/T1-F1/download/backend.toml")); n != 0 {
				t.Errorf("the Web API's host got the download")
			}
		})
	}
}

// TestFileSubmissionDownloadRefused: what shows only in the download is
// told to the moderator ephemerally, and the engine does not run.
func TestFileSubmissionDownloadRefused(t *testing.T) {
	tests := []struct {
		name  string
		serve func(tb *testBot) func(w http.ResponseWriter, r *http.Request)
		says  string
	}{
		{"ErrBodyTooLarge", func(*testBot) func(w http.ResponseWriter, r *http.Request) {
			return func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("#"), bot.MaxRoadmapFile+1)) }
		}, "larger than 256 KB"},
		{"ErrSignInPage", func(*testBot) func(w http.ResponseWriter, r *http.Request) {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte("<html>sign in</html>"))
			}
		}, "files:read"},
		{"ErrRedirectOffHost", func(tb *testBot) func(w http.ResponseWriter, r *http.Request) {
			return func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tb.fake.responseURL(9), http.StatusFound)
			}
		}, "files:read"},
		{"ErrGone", func(*testBot) func(w http.ResponseWriter, r *http.Request) { return http.NotFound }, "could not download backend.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBot(t, ModeHTTP)
			tb.fake.filesServe = tt.serve(tb)
			tb.rec.stand["roadmap add"] = &bot.Reply{Title: "added"}
			if e := submit(t, tb, submission(t, "UMOD", "C1", uploaded(tb.fake.files.URL, nil))).modalError(t); e != "" {
				t.Fatalf("modal error %q; the download runs after the modal closes", e)
			}
			eph := tb.fake.wait("chat.postEphemeral", 1)
			if text := eph[0].Form.Get("text"); !strings.Contains(text, tt.says) || strings.Contains(text, "\n") {
				t.Errorf("ephemeral %q, want one line saying %q", text, tt.says)
			}
			if n := len(tb.rec.requests("")); n != 0 {
				t.Errorf("engine ran %d times", n)
			}
			if n := len(tb.fake.callsTo("response")); n != 0 {
				t.Errorf("the redirect was followed off the file host")
			}
		})
	}
}

// TestFileModalSocketMode: in Socket Mode the command opens the modal and
// the submission's acknowledgement carries the modal's errors, or nothing
// when the file is taken.
func TestFileModalSocketMode(t *testing.T) {
	tb := newTestBot(t, ModeSocket)
	tb.fake.fileData[uploadPath] = roadmapTOML
	tb.rec.stand["roadmap add"] = &bot.Reply{Title: "Backend added"}
	s, stop := tb.connect(t)
	defer stop()

	p := slashPayload("roadmap add", "UMOD", tb.fake.responseURL(1))
	p["command"] = "/studymod"
	if ack := s.envelope("env-add", "slash_commands", 0, p); ack["payload"] != nil && string(ack["payload"]) != "null" {
		t.Errorf("slash ack carries %s; the modal is the answer", ack["payload"])
	}
	tb.fake.wait("views.open", 1)

	ack := s.envelope("env-empty", "interactive", 0, json.RawMessage(submission(t, "UMOD", "C1", nil)))
	if got := (&testResponse{body: ack["payload"]}).modalError(t); !strings.Contains(got, "Choose a .toml file") {
		t.Errorf("ack error %q", got)
	}
	ack = s.envelope("env-file", "interactive", 0, json.RawMessage(submission(t, "UMOD", "C1", uploaded(tb.fake.files.URL, nil))))
	if pl := ack["payload"]; pl != nil && string(pl) != "null" {
		t.Errorf("ack carries %s, want none (the modal closes)", pl)
	}
	eph := tb.fake.wait("chat.postEphemeral", 1)
	if !strings.Contains(eph[0].Form.Get("blocks"), "Backend added") {
		t.Errorf("ephemeral %v", eph[0].Form)
	}
	if reqs := tb.rec.requests("roadmap add"); len(reqs) != 1 || reqs[0].File == nil || !bytes.Equal(reqs[0].File.Data, roadmapTOML) {
		t.Errorf("requests %+v", reqs)
	}
}
