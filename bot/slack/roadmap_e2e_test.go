package slack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// Issue 11 end to end: the recorder here stands in for nothing, so every
// request reaches the real engine and its store, and what these tests check
// is what a moderator and members see.

// goTOML is the roadmap the engine's own tests add, as a moderator would
// upload it.
func goTOML(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../roadmap/testdata/go.toml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// goUploadPath is where the file host serves the uploaded go.toml.
const goUploadPath = "/files-pri/T1-F2/download/go.toml"

// addGoFile runs /studymod roadmap add as UMOD in C1: the modal opens, the
// submission carries data as go.toml, and the answer is the ephemeral
// message the moderator then gets.
func addGoFile(t *testing.T, tb *testBot, data []byte) url.Values {
	t.Helper()
	opened := len(tb.fake.callsTo("views.open"))
	told := len(tb.fake.callsTo("chat.postEphemeral"))
	w := tb.post(t, "/slack/commands", commandBody("/studymod", "roadmap add", "UMOD", tb.fake.responseURL(1)), nil)
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("/studymod roadmap add: %d %q, want an empty 200 (the modal is the answer)", w.Code, w.Body)
	}
	tb.fake.wait("views.open", opened+1)
	tb.fake.mu.Lock()
	tb.fake.fileData[goUploadPath] = data
	tb.fake.mu.Unlock()
	file := uploaded(tb.fake.files.URL, func(f map[string]any) {
		f["id"], f["name"], f["title"], f["size"] = "F2", "go.toml", "go.toml", len(data)
		f["url_private"] = tb.fake.files.URL + "/files-pri/T1-F2/go.toml"
		f["url_private_download"] = tb.fake.files.URL + goUploadPath
	})
	if e := submit(t, tb, submission(t, "UMOD", "C1", file)).modalError(t); e != "" {
		t.Fatalf("modal error %q, want the modal closed", e)
	}
	eph := tb.fake.wait("chat.postEphemeral", told+1)[told].Form
	if eph.Get("channel") != "C1" || eph.Get("user") != "UMOD" {
		t.Errorf("answer went to %s/%s, want the moderator in C1", eph.Get("channel"), eph.Get("user"))
	}
	return eph
}

// slash runs a slash command as user of team and returns the acknowledgement,
// which carries the answer.
func slash(t *testing.T, tb *testBot, team, user, command, text string) (p payload, body string) {
	t.Helper()
	form, _ := url.ParseQuery(commandBody(command, text, user, tb.fake.responseURL(1)))
	form.Set("team_id", team)
	w := tb.post(t, "/slack/commands", form.Encode(), nil)
	p = decodeAck(t, w)
	if p.ResponseType != ephemeral {
		t.Errorf("%s %s: response_type %q, want ephemeral", command, text, p.ResponseType)
	}
	return p, w.Body.String()
}

// listsGo reports whether team's roadmap list shows the go roadmap; it
// fails the test unless the list shows the built-in.
func listsGo(t *testing.T, tb *testBot, team, user string) bool {
	t.Helper()
	_, body := slash(t, tb, team, user, "/study", "roadmap list")
	if !strings.Contains(body, "(backend)") {
		t.Fatalf("roadmap list in %s: %s, want the built-in listed", team, body)
	}
	return strings.Contains(body, "(go)")
}

// TestRoadmapFileEndToEnd: a moderator uploads go.toml through the roadmap
// add modal; a member of the same workspace follows it and walks it (next,
// done, progress); a member of another workspace does not see it.
func TestRoadmapFileEndToEnd(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	eph := addGoFile(t, tb, goTOML(t))
	if eph.Get("text") != "Added roadmap Go Developer" || !strings.Contains(eph.Get("blocks"), "Added roadmap Go Developer") {
		t.Fatalf("moderator told %q %s, want \"Added roadmap Go Developer\"", eph.Get("text"), eph.Get("blocks"))
	}
	if gets := tb.fake.downloads(); len(gets) != 1 || gets[0].URL.Path != goUploadPath {
		t.Errorf("downloads %v, want one of the uploaded file", gets)
	}

	if p, _ := slash(t, tb, testTeam, "U1", "/study", "roadmap follow go"); !strings.Contains(p.Text, "Go Developer") {
		t.Errorf("follow answered %q, want it to name Go Developer", p.Text)
	}
	if p, _ := slash(t, tb, testTeam, "U1", "/study", "next"); !strings.Contains(p.Text, "A Tour of Go") {
		t.Errorf("next answered %q, want A Tour of Go", p.Text)
	}
	slash(t, tb, testTeam, "U1", "/study", "done")
	p, body := slash(t, tb, testTeam, "U1", "/study", "progress")
	var blocks struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	json.Unmarshal([]byte(body), &blocks)
	if !strings.Contains(p.Text, "Go Developer") || !strings.Contains(string(blocks.Blocks), "Overall") || !strings.Contains(string(blocks.Blocks), "Overall: 1 of 4, 25%") {
		t.Errorf("progress %q %s, want Go Developer and 1 of 4 topics overall", p.Text, blocks.Blocks)
	}

	// Another workspace has only the built-in roadmap.
	const other = "T2"
	if p, _ := slash(t, tb, other, "UOTHER", "/study", "roadmap follow go"); !strings.Contains(p.Text, `no roadmap "go"`) {
		t.Errorf("follow in another workspace answered %q, want the no-roadmap refusal", p.Text)
	}
	if listsGo(t, tb, other, "UOTHER") {
		t.Errorf("another workspace lists the go roadmap")
	}
	if !listsGo(t, tb, testTeam, "U1") {
		t.Errorf("the workspace it was added to does not list it")
	}
}

// TestRoadmapFileRefusedEndToEnd: an invalid file gets the engine's one-line
// refusal, ephemerally, and the workspace keeps only the built-in roadmap.
func TestRoadmapFileRefusedEndToEnd(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	bad := strings.Replace(string(goTOML(t)), `after = ["start/modules"]`, `after = ["start/nope"]`, 1)
	eph := addGoFile(t, tb, []byte(bad))
	text := eph.Get("text")
	if !strings.HasPrefix(text, "Nothing changed: go.toml has 1 problem") || !strings.Contains(text, "start/nope") || strings.Contains(text, "\n") {
		t.Errorf("moderator told %q, want one line: Nothing changed: go.toml has 1 problem … start/nope", text)
	}
	if listsGo(t, tb, testTeam, "U1") {
		t.Errorf("a refused file was added")
	}
}
