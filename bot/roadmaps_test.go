package bot_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
)

func goRoadmap(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../roadmap/testdata/go.toml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// addRoadmap runs roadmap add as the moderator with data as the attached file.
func addRoadmap(t *testing.T, env *bottest.Env, sp bot.Space, name string, data []byte) (*bot.Reply, error) {
	t.Helper()
	req, err := env.Request("mod", "roadmap add "+name)
	if err != nil {
		t.Fatal(err)
	}
	req.Space = sp
	req.File = &bot.File{Name: name, Type: "application/toml", Data: data}
	return env.Engine.Handle(context.Background(), req)
}

// progressOf is the "Overall" bar of a member's progress reply.
func progressOf(t *testing.T, env *bottest.Env, id string) (title string, bar bot.Bar) {
	t.Helper()
	r := env.MustDo(t, id, "progress")
	return r.Title, r.Bars[0]
}

// TestRoadmapsPerSpace: a moderator adds a roadmap; a member follows it,
// works on it, switches back to the built-in with that progress intact and
// forth again with this; another space never sees it.
func TestRoadmapsPerSpace(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ana", "done") // the built-in's first topic
	_, before := progressOf(t, env, "ana")

	r, err := addRoadmap(t, env, bottest.Space, "go.toml", goRoadmap(t))
	if err != nil || !strings.Contains(r.Title, "Added roadmap Go Developer") {
		t.Fatalf("add: %+v, %v", r, err)
	}
	list := env.MustDo(t, "ana", "roadmap list")
	if len(list.Fields) != 2 || !strings.Contains(list.Fields[1].Name, "(go)") || !strings.Contains(list.Fields[0].Value, "you follow it") {
		t.Errorf("list %+v: want backend (followed) and go", list.Fields)
	}
	r = env.MustDo(t, "ana", "roadmap follow go")
	if !strings.Contains(r.Title, "Go Developer") {
		t.Errorf("follow reply %q", r.Title)
	}
	if r := env.MustDo(t, "ana", "next"); !strings.Contains(r.Title, "A Tour of Go") {
		t.Errorf("next on go: %q", r.Title)
	}
	env.MustDo(t, "ana", "done")
	title, bar := progressOf(t, env, "ana")
	if !strings.Contains(title, "Go Developer") || bar.Done != 1 || bar.Total != 4 {
		t.Errorf("go progress %q %+v: want 1 of 4 (the optional topic and the other option not counted)", title, bar)
	}
	if r := env.MustDo(t, "ana", "topic tour"); !strings.Contains(r.Title, "A Tour of Go") {
		t.Errorf("topic search on go: %q", r.Title)
	}

	env.MustDo(t, "ana", "roadmap follow backend")
	if _, back := progressOf(t, env, "ana"); back != before {
		t.Errorf("backend progress after switching back %+v, want %+v", back, before)
	}
	env.MustDo(t, "ana", "roadmap follow go")
	if _, bar := progressOf(t, env, "ana"); bar.Done != 1 {
		t.Errorf("go progress after switching forth %+v, want 1 done", bar)
	}
	// Undo works on the change's own roadmap.
	env.MustDo(t, "ana", "roadmap follow backend")
	env.MustDo(t, "ana", "undo")
	if got := member(t, env, "ana").Track("go").Status("start/tour"); got != roadmap.Todo {
		t.Errorf("undo left go's start/tour %q", got)
	}

	// Another space does not see it.
	other := bot.Space{Platform: bottest.Space.Platform, ID: "other"}
	req, _ := env.Request("bo", "roadmap follow go")
	req.Space = other
	_, err = env.Engine.Handle(context.Background(), req)
	wantCode(t, err, bot.NotFound, `no roadmap "go"`)
	req, _ = env.Request("bo", "roadmap list")
	req.Space = other
	if r, err := env.Engine.Handle(context.Background(), req); err != nil || len(r.Fields) != 1 {
		t.Errorf("other space's list: %+v, %v; want the built-in only", r, err)
	}
}

// TestRoadmapAddRefusesBadFiles: every problem at once, and nothing stored.
func TestRoadmapAddRefusesBadFiles(t *testing.T) {
	env := bottest.New(t)
	bad := strings.Replace(string(goRoadmap(t)), `after = ["start/modules"]`, `after = ["start/nope"]`, 1)
	bad = strings.Replace(bad, `id = "start/generics"`, `id = "start/tour"`, 1)
	for _, c := range []struct {
		name, data, want string
	}{
		{"go.toml", bad, "3 problems"},
		{"go.toml", bad, "start/nope"},
		{"go.toml", "id = \"x\"\ntitle = ", "go.toml:2"},
		{"notes.txt", string(goRoadmap(t)), "not a .toml file"},
		{"big.toml", strings.Repeat("#", bot.MaxRoadmapFile+1), "at most 256 KB"},
		{"backend.toml", strings.Replace(string(goRoadmap(t)), `id = "go"`, `id = "backend"`, 1), "built-in"},
	} {
		_, err := addRoadmap(t, env, bottest.Space, c.name, []byte(c.data))
		if err == nil || !strings.Contains(bot.ErrorMessage(err), c.want) {
			t.Errorf("%s: err %v, want one containing %q", c.name, err, c.want)
		}
	}
	req, _ := env.Request("mod", "roadmap add go.toml")
	_, err := env.Engine.Handle(context.Background(), req)
	wantCode(t, err, bot.Invalid, "Attach")
	if rec, _ := env.DB.Space(context.Background(), bottest.Space); len(rec.Roadmaps) != 0 {
		t.Errorf("a refused file was stored: %+v", rec.Roadmaps)
	}
}

// TestRoadmapUpdateKeepsProgress: an update shows its changes and waits for
// apply; a removed topic's marks are kept (not counted) and count again when
// the topic comes back.
func TestRoadmapUpdateKeepsProgress(t *testing.T) {
	env := bottest.New(t)
	orig := goRoadmap(t)
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", orig); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "ana", "roadmap follow go")
	env.MustDo(t, "ana", "done start/tour")
	env.MustDo(t, "ana", "done start/modules")
	// Version 2 drops modules (net/http then follows the tour directly).
	v2 := string(orig)
	i := strings.Index(v2, "[[section.topic]]\nid = \"start/modules\"")
	j := strings.Index(v2[i+1:], "[[section.topic]]") + i + 1
	v2 = v2[:i] + v2[j:]
	v2 = strings.Replace(v2, `after = ["start/modules"]`, `after = ["start/tour"]`, -1)
	v2 = strings.Replace(v2, `title = "A Tour of Go"`+"\nhours", `title = "The Go Tour"`+"\nhours", 1)

	r, err := addRoadmap(t, env, bottest.Space, "go.toml", []byte(v2))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(r.Text, "\n")
	for _, want := range []string{"Removed (1): start/modules", "Retitled (1): A Tour of Go → The Go Tour", "1 member have progress on removed topics"} {
		if !strings.Contains(text, want) {
			t.Errorf("update preview %q lacks %q", text, want)
		}
	}
	if len(r.Buttons) != 1 || r.Buttons[0].Action != "roadmap apply:go" {
		t.Errorf("buttons %+v: want Apply", r.Buttons)
	}
	if _, bar := progressOf(t, env, "ana"); bar.Done != 2 || bar.Total != 4 {
		t.Fatalf("before apply %+v: want nothing changed", bar)
	}
	if _, err := env.Do(t, "bo", "roadmap apply go"); err == nil {
		t.Errorf("someone else applied the moderator's upload")
	}
	env.MustDo(t, "mod", "roadmap apply go")
	if _, bar := progressOf(t, env, "ana"); bar.Done != 1 || bar.Total != 3 {
		t.Errorf("after apply %+v: want 1 of 3", bar)
	}
	ex := env.MustDo(t, "ana", "mydata export")
	var dump struct {
		Member struct {
			Tracks map[string]struct {
				Topics map[string]json.RawMessage `json:"topics"`
			} `json:"tracks"`
		} `json:"member"`
	}
	if err := json.Unmarshal(ex.File.Data, &dump); err != nil || dump.Member.Tracks["go"].Topics["start/modules"] == nil {
		t.Errorf("export %s: want the removed topic's mark kept (%v)", ex.File.Data, err)
	}
	// The topic comes back: it counts again.
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", orig); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "mod", "roadmap apply go")
	if _, bar := progressOf(t, env, "ana"); bar.Done != 2 || bar.Total != 4 {
		t.Errorf("after the topic came back %+v: want 2 of 4", bar)
	}
	// An upload waits 15 minutes at most.
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", []byte(v2)); err != nil {
		t.Fatal(err)
	}
	env.Clock.Add(bot.PendingFor + time.Minute)
	_, err = env.Do(t, "mod", "roadmap apply go")
	wantCode(t, err, bot.Conflict, "more than 15 minutes")
}

// TestRoadmapDefaultAndRemove: the default is followed by members who never
// chose; removing a roadmap sends its followers back to the default and
// stops a schedule that names it.
func TestRoadmapDefaultAndRemove(t *testing.T) {
	env := bottest.New(t)
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", goRoadmap(t)); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "ana", "roadmap follow backend") // chose
	env.MustDo(t, "mod", "roadmap default go")
	if r := env.MustDo(t, "bo", "next"); !strings.Contains(r.Title, "A Tour of Go") {
		t.Errorf("a member who never chose follows the default: next %q", r.Title)
	}
	if r := env.MustDo(t, "ana", "next"); strings.Contains(r.Title, "Tour of Go") {
		t.Errorf("a member who chose keeps the choice: next %q", r.Title)
	}
	env.MustDo(t, "bo", "done")
	env.MustDo(t, "mod", "challenge schedule #study MON 09:00 go")
	if rec, _ := env.DB.Space(context.Background(), bottest.Space); rec.Challenge.Roadmap != "go" {
		t.Fatalf("schedule roadmap %q, want go", rec.Challenge.Roadmap)
	}
	r := env.MustDo(t, "mod", "challenge post")
	if cs := challenges(t, env); cs[0].Roadmap != "go" || !strings.HasPrefix(cs[0].Topic, "start/") {
		t.Errorf("challenge %+v (%q): want a go topic", cs[0], r.Title)
	}
	env.MustDo(t, "mod", "challenge close")

	_, err := env.Do(t, "mod", "roadmap remove backend")
	wantCode(t, err, bot.Invalid, "cannot be removed")
	r = env.MustDo(t, "mod", "roadmap remove go")
	if text := strings.Join(r.Text, " "); !strings.Contains(text, "stopped the schedule") || !strings.Contains(text, "default") {
		t.Errorf("remove reply %q: want the schedule stop and the default said", text)
	}
	rec, _ := env.DB.Space(context.Background(), bottest.Space)
	if rec.Challenge.Spec != "" || rec.DefaultRoadmap != "" || len(rec.Roadmaps) != 0 {
		t.Errorf("after remove: %+v", rec)
	}
	if r := env.MustDo(t, "bo", "next"); strings.Contains(r.Title, "Tour of Go") {
		t.Errorf("after remove bo still on go: %q", r.Title)
	}
	if got := member(t, env, "bo").Track("go").Status("start/tour"); got != roadmap.Done {
		t.Errorf("bo's go marks after remove: %q, want kept", got)
	}
	ex := env.MustDo(t, "mod", "roadmap list")
	if len(ex.Fields) != 1 {
		t.Errorf("list after remove %+v", ex.Fields)
	}
}

func TestRoadmapExport(t *testing.T) {
	env := bottest.New(t)
	data := goRoadmap(t)
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", data); err != nil {
		t.Fatal(err)
	}
	r := env.MustDo(t, "mod", "roadmap export go")
	if r.File == nil || string(r.File.Data) != string(data) || r.File.Name != "go.toml" {
		t.Errorf("export %+v: want the file as uploaded", r.File)
	}
	_, err := env.Do(t, "mod", "roadmap export nope")
	wantCode(t, err, bot.NotFound, "no roadmap")
}

// TestRoadmapApplyStale: an upload applies only over the version its changes
// were shown against.
func TestRoadmapApplyStale(t *testing.T) {
	env := bottest.New(t)
	orig := goRoadmap(t)
	v2 := []byte(strings.Replace(string(orig), `title = "Go Developer"`, `title = "Go, version 2"`, 1))
	v3 := []byte(strings.Replace(string(orig), `title = "Go Developer"`, `title = "Go, version 3"`, 1))
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", orig); err != nil {
		t.Fatal(err)
	}
	// Removed meanwhile: apply must not bring it back.
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", v2); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "mod", "roadmap remove go")
	_, err := env.Do(t, "mod", "roadmap apply go")
	wantCode(t, err, bot.Conflict, "changed or was removed")
	if rec, _ := env.DB.Space(context.Background(), bottest.Space); len(rec.Roadmaps) != 0 {
		t.Errorf("a stale apply brought back %+v", rec.Roadmaps)
	}
	// Another moderator's update applied meanwhile: refused, theirs kept.
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", orig); err != nil {
		t.Fatal(err)
	}
	if _, err := addRoadmap(t, env, bottest.Space, "go.toml", v2); err != nil { // mod's
		t.Fatal(err)
	}
	req, _ := env.Request("mod2", "roadmap add go.toml")
	req.File = &bot.File{Name: "go.toml", Data: v3}
	if _, err := env.Engine.Handle(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	env.MustDo(t, "mod2", "roadmap apply go")
	_, err = env.Do(t, "mod", "roadmap apply go")
	wantCode(t, err, bot.Conflict, "changed or was removed")
	if r := env.MustDo(t, "ana", "roadmap list"); !strings.Contains(r.Fields[1].Name, "version 3") {
		t.Errorf("list %+v: want mod2's version 3 kept", r.Fields)
	}
	// An id members cannot type is refused.
	long := []byte(strings.Replace(string(orig), `id = "go"`, `id = "`+strings.Repeat("g", 41)+`"`, 1))
	_, err = addRoadmap(t, env, bottest.Space, "long.toml", long)
	wantCode(t, err, bot.Invalid, "longer than 40 characters")
}

// TestRoadmapSectionByTitle: a section is found by its title as well as its
// id, and a miss names the sections.
func TestRoadmapSectionByTitle(t *testing.T) {
	env := bottest.New(t)
	if r := env.MustDo(t, "ana", `roadmap "Web security"`); !strings.HasPrefix(r.Title, "Web security") {
		t.Errorf("by title: %q", r.Title)
	}
	if r := env.MustDo(t, "ana", "roadmap internet"); !strings.HasPrefix(r.Title, "Internet") {
		t.Errorf("by id: %q", r.Title)
	}
	_, err := env.Do(t, "ana", "roadmap zzzzqqq")
	wantCode(t, err, bot.NotFound, "Sections:")
}
