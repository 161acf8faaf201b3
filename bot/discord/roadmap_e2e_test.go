package discord

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
)

// Issue 11 end to end: these tests run the adapter on the real engine
// (newHTTPEnv without a recorder) and the local CDN, so what they check is
// what a moderator and members see.

// goTOML is the roadmap the engine's own tests add, as a moderator would
// attach it.
func goTOML(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../../roadmap/testdata/go.toml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// goAttachmentPath is where the CDN serves the attached go.toml.
const goAttachmentPath = "/ephemeral-attachments/5001/7001/go.toml"

// e2eEnv is an httpEnv on the real engine with a CDN, and a counter that
// gives each interaction its own id (the same id would be a replay).
type e2eEnv struct {
	*httpEnv
	cdn *fakeCDN
	n   int
}

func newE2EEnv(t *testing.T) *e2eEnv {
	t.Helper()
	cdn := newFakeCDN(t)
	// Both servers are set up for the bot; they share one engine and store.
	e := newHTTPEnv(t, Config{CDNURL: cdn.srv.URL, GuildIDs: []string{"111", "222"}}, nil)
	if _, ok := e.b.h.(*bot.Engine); !ok {
		t.Fatalf("handler %T, want the real engine", e.b.h)
	}
	return &e2eEnv{httpEnv: e, cdn: cdn}
}

// fresh gives an interaction fixture (as a JSON object) its own id and token.
func (e *e2eEnv) fresh(m map[string]any) {
	e.n++
	id := strconv.Itoa(20000 + e.n)
	m["id"] = id
	m["token"] = "itok-" + id + "-SECRET"
}

// addFile posts /studymod roadmap add in guild 111 by Ada (Manage Guild) with
// data attached as go.toml, and returns the answer.
func (e *e2eEnv) addFile(data []byte) map[string]any {
	e.t.Helper()
	e.cdn.mu.Lock()
	e.cdn.files[goAttachmentPath] = data
	e.cdn.mu.Unlock()
	body := roadmapAdd(e.t, e.cdn.srv.URL, func(a map[string]any) {
		a["filename"] = "go.toml"
		a["size"] = len(data)
		a["url"] = strings.Replace(a["url"].(string), "backend.toml", "go.toml", 1)
	})
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		e.t.Fatal(err)
	}
	e.fresh(m)
	out, _ := json.Marshal(m)
	_, ans := e.post(out)
	if respType(ans) != 4 || respFlags(ans) != 64 {
		e.t.Fatalf("roadmap add answered %v, want a private message (type 4)", ans)
	}
	return ans
}

// study posts /study <line> as member user of guild: line is the subcommand
// (after a group, as in "roadmap follow") then name:value options.
func (e *e2eEnv) study(guild, user, line string) map[string]any {
	e.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(fixture(e.t, "study_next"), &m); err != nil {
		e.t.Fatal(err)
	}
	e.fresh(m)
	m["guild_id"] = guild
	m["member"].(map[string]any)["user"].(map[string]any)["id"] = user
	var opts []any
	words := strings.Fields(line)
	var path []string
	for _, w := range words {
		name, value, ok := strings.Cut(w, ":")
		if !ok {
			path = append(path, w)
			continue
		}
		opts = append(opts, map[string]any{"name": name, "type": 3, "value": value})
	}
	sub := map[string]any{"name": path[len(path)-1], "type": 1}
	if len(opts) > 0 {
		sub["options"] = opts
	}
	if len(path) == 2 {
		sub = map[string]any{"name": path[0], "type": 2, "options": []any{sub}}
	}
	m["data"].(map[string]any)["options"] = []any{sub}
	body, _ := json.Marshal(m)
	status, ans := e.post(body)
	if status != 200 || respType(ans) != 4 || respFlags(ans) != 64 {
		e.t.Fatalf("/study %s in %s: answer %d %v, want a private message (type 4)", line, guild, status, ans)
	}
	return ans
}

// embed0 is the answer's first embed, nil when it has none.
func embed0(m map[string]any) map[string]any {
	es, _ := respData(m)["embeds"].([]any)
	if len(es) == 0 {
		return nil
	}
	e, _ := es[0].(map[string]any)
	return e
}

func embedTitle(m map[string]any) string { s, _ := embed0(m)["title"].(string); return s }

func embedText(m map[string]any) string { s, _ := embed0(m)["description"].(string); return s }

// roadmapsListed is /study roadmap list's field names in guild.
func (e *e2eEnv) roadmapsListed(guild, user string) []string {
	e.t.Helper()
	fs, _ := embed0(e.study(guild, user, "roadmap list"))["fields"].([]any)
	var names []string
	for _, f := range fs {
		names = append(names, f.(map[string]any)["name"].(string))
	}
	return names
}

// TestRoadmapFileEndToEnd: a moderator attaches go.toml to /studymod roadmap
// add; a member of the same server follows it and walks it (next, done,
// progress); a member of another server does not see it.
func TestRoadmapFileEndToEnd(t *testing.T) {
	e := newE2EEnv(t)
	ans := e.addFile(goTOML(t))
	if got := embedTitle(ans); got != "Added roadmap Go Developer" {
		t.Fatalf("roadmap add answered %q (%s), want \"Added roadmap Go Developer\"", got, respContent(ans))
	}
	if gets := e.cdn.requests(); len(gets) != 1 || gets[0].URL.Path != goAttachmentPath {
		t.Errorf("CDN requests %v, want one download of the attachment", gets)
	}

	const member = "202"
	if got := embedTitle(e.study("111", member, "roadmap follow roadmap:go")); !strings.Contains(got, "Go Developer") {
		t.Errorf("follow answered %q, want it to name Go Developer", got)
	}
	if got := embedTitle(e.study("111", member, "next")); !strings.Contains(got, "A Tour of Go") {
		t.Errorf("next answered %q, want A Tour of Go", got)
	}
	e.study("111", member, "done")
	p := e.study("111", member, "progress")
	if title, text := embedTitle(p), embedText(p); !strings.Contains(title, "Go Developer") || !strings.Contains(text, "Overall: 1 of 4, 25%") {
		t.Errorf("progress %q %q, want Go Developer and 1 of 4 topics overall", title, text)
	}

	// Another server has only the built-in roadmap.
	other := e.study("222", "301", "roadmap follow roadmap:go")
	if c := respContent(other); !strings.Contains(c, `no roadmap "go"`) || embed0(other) != nil {
		t.Errorf("follow in another server answered %v, want the no-roadmap refusal", other)
	}
	if names := e.roadmapsListed("222", "301"); len(names) != 1 || strings.Contains(names[0], "(go)") {
		t.Errorf("another server lists %q, want the built-in only", names)
	}
}

// TestRoadmapFileRefusedEndToEnd: an invalid file gets the engine's one-line
// refusal, privately, and the server keeps only the built-in roadmap.
func TestRoadmapFileRefusedEndToEnd(t *testing.T) {
	e := newE2EEnv(t)
	bad := strings.Replace(string(goTOML(t)), `after = ["start/modules"]`, `after = ["start/nope"]`, 1)
	ans := e.addFile([]byte(bad))
	c := respContent(ans)
	if !strings.HasPrefix(c, "Nothing changed: go.toml has 1 problem") || !strings.Contains(c, "start/nope") || strings.Contains(c, "\n") {
		t.Errorf("roadmap add answered %q, want one line: Nothing changed: go.toml has 1 problem … start/nope", c)
	}
	if embed0(ans) != nil {
		t.Errorf("refusal has an embed: %v", ans)
	}
	if names := e.roadmapsListed("111", "202"); len(names) != 1 || strings.Contains(names[0], "(go)") {
		t.Errorf("after the refusal the server lists %q, want the built-in only", names)
	}
}
