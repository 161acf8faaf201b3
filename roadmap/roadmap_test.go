package roadmap

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// small is a valid roadmap exercising prerequisites and picks.
const small = `
id = "small"
title = "Small"

[[section]]
id = "base"
stage = "prerequisites"
title = "Base"

[[section.topic]]
id = "base/a"
title = "Alpha"
hours = 1
summary = "A."
resources = [{ kind = "official", title = "A", url = "https://example.org/a" }]

[[section.topic]]
id = "base/b"
title = "Beta basics"
hours = 1
after = ["base/a"]
summary = "B."

[[section]]
id = "lang"
stage = "basics"
title = "Language"

[[section.topic]]
id = "lang/go"
title = "Go"
hours = 1
summary = "Go."

[[section.topic]]
id = "lang/rust"
title = "Rust"
hours = 1
summary = "Rust."

[[section.topic]]
id = "lang/tools"
title = "Tools"
hours = 1
after = ["lang/go", "lang/rust"]
summary = "Tools."

[[section]]
id = "web"
stage = "intermediate"
title = "Web"

[[section.topic]]
id = "web/gin"
title = "Gin"
hours = 1
after = ["lang/go"]
summary = "Gin."

[[section.topic]]
id = "web/axum"
title = "Axum"
hours = 1
after = ["lang/rust"]
summary = "Axum."

[[pick]]
id = "lang"
title = "Pick a language"
options = ["lang/go", "lang/rust"]
suggests = { "lang/go" = "web/gin", "lang/rust" = "web/axum" }

[[pick]]
id = "web"
title = "Pick a framework"
options = ["web/gin", "web/axum"]
`

func mustParse(t *testing.T, src string) *Roadmap {
	t.Helper()
	r, err := Parse("small.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDefaultValidates(t *testing.T) {
	r := Default()
	if len(r.Topics()) < 50 {
		t.Errorf("built-in roadmap has %d topics, want the whole source document (50+)", len(r.Topics()))
	}
	for _, tp := range r.Topics() {
		if n := len(tp.Resources); n < 2 || n > 5 {
			t.Errorf("%s has %d resources, want 2-5", tp.ID, n)
		}
		if tp.Challenge == "" {
			t.Errorf("%s has no challenge prompt", tp.ID)
		}
	}
}

// TestDefaultCoversSource checks every item of the source document is a topic.
func TestDefaultCoversSource(t *testing.T) {
	r := Default()
	ids := []string{
		"internet/how-it-works", "internet/http", "internet/browsers", "internet/domain-names", "internet/hosting", "internet/dns",
		"frontend/html", "frontend/css", "frontend/javascript", "frontend/frameworks",
		"os/terminal-usage", "os/memory-management", "os/process-management", "os/threads-concurrency", "os/terminal-commands", "os/git",
		"language/javascript", "language/php", "language/python", "language/ruby", "language/csharp", "language/fundamentals", "language/runtime",
		"databases/postgresql", "databases/mysql", "databases/oracle", "databases/firebase", "databases/mongodb", "databases/cassandra", "databases/influxdb",
		"framework/nodejs", "framework/laravel", "framework/django", "framework/rails", "framework/aspnet",
		"apis/rest", "apis/json", "apis/soap", "apis/gson", "apis/xml-rpc",
		"caching/cdn", "caching/server-side", "caching/client-side",
		"security/https", "security/tls", "security/cors", "security/hashing", "security/aes",
		"testing/integration", "testing/unit", "testing/functional",
		"devops/ci-cd", "architecture/patterns", "devops/docker", "web-servers/apache", "web-servers/nginx",
	}
	for _, id := range ids {
		if r.Topic(id) == nil {
			t.Errorf("built-in roadmap lacks %s", id)
		}
	}
	for _, p := range []string{"language", "sql", "nosql", "framework", "webserver"} {
		if r.Pick(p) == nil {
			t.Errorf("built-in roadmap lacks pick group %s", p)
		}
	}
	if got := r.Pick("language").Suggests["language/python"]; got != "framework/django" {
		t.Errorf("python suggests %q, want framework/django", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"ErrDuplicateID", `id = "base/b"` + "\n" + `title = "Beta basics"`, `"base/a": duplicate id`},
		{"ErrUnknownPrerequisite", `after = ["base/a"]`, `prerequisite "base/zz" is not a topic`},
		{"ErrEmptyTitle", `title = "Beta basics"`, `title is empty`},
		{"ErrMalformedURL", `url = "https://example.org/a"`, `resource URL "ht!tp:/nope" is malformed`},
		{"ErrPickTooFewOptions", `options = ["web/gin", "web/axum"]`, `pick group needs at least two options`},
		{"ErrCycle", `title = "Alpha"`, `prerequisites form a cycle`},
		{"ErrSyntax", `hours = 1` + "\n" + `after = ["base/a"]`, `small.toml:`},
		{"ErrUnknownKey", `hours = 1` + "\n" + `after = ["base/a"]`, `small.toml:21: unknown key "section.topic.colour"`},
		{"ErrBadStage", `stage = "basics"`, `stage "expert" is not one of`},
		{"ErrTopicOutsideSection", `id = "lang/tools"`, `must start with its section id "lang/"`},
		{"ErrNoHours", `title = "Alpha"` + "\n" + `hours = 1`, `hours must be an estimate`},
	}
	repl := map[string]string{
		"ErrDuplicateID":         `id = "base/a"` + "\n" + `title = "Beta basics"`,
		"ErrUnknownPrerequisite": `after = ["base/zz"]`,
		"ErrEmptyTitle":          `title = ""`,
		"ErrMalformedURL":        `url = "ht!tp:/nope"`,
		"ErrPickTooFewOptions":   `options = ["web/gin"]`,
		"ErrCycle":               `title = "Alpha"` + "\n" + `after = ["base/b"]`,
		"ErrSyntax":              `hours = = 1`,
		"ErrUnknownKey":          `hours = 1` + "\n" + `colour = "red"`,
		"ErrBadStage":            `stage = "expert"`,
		"ErrTopicOutsideSection": `id = "web/tools"`,
		"ErrNoHours":             `title = "Alpha"`,
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(small, c.edit) {
				t.Fatalf("fixture lacks %q", c.edit)
			}
			src := strings.Replace(small, c.edit, repl[c.name], 1)
			_, err := Parse("small.toml", []byte(src))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			var re *Error
			if !errors.As(err, &re) || re.File != "small.toml" {
				t.Errorf("error %v does not name the file", err)
			}
		})
	}
}

func TestParseErrorNamesLine(t *testing.T) {
	src := strings.Replace(small, `after = ["base/a"]`, `after = ["base/zz"]`, 1)
	_, err := Parse("small.toml", []byte(src))
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want *Error", err)
	}
	lines := strings.Split(src, "\n")
	if re.Line == 0 || !strings.Contains(lines[re.Line-1], `"base/b"`) {
		t.Errorf("line %d does not point at base/b's id", re.Line)
	}
}

func TestLoadRejectsInvalidUTF8AndHugeFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("id = \"x\xff\"\n"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8: got %v", err)
	}
	huge := filepath.Join(dir, "huge.toml")
	os.WriteFile(huge, make([]byte, MaxFileBytes+10), 0o644)
	if _, err := Load(huge); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("huge file: got %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); err == nil {
		t.Error("missing file: no error")
	}
}

// learner is a test Learner.
type learner struct {
	status map[string]Status
	picks  map[string]string
}

func (l learner) Status(id string) Status { return l.status[id] }
func (l learner) Choice(id string) string { return l.picks[id] }
func st(kv ...string) map[string]Status {
	m := map[string]Status{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = Status(kv[i+1])
	}
	return m
}

func TestNext(t *testing.T) {
	r := mustParse(t, small)
	cases := []struct {
		name      string
		l         learner
		topic     string
		pick      string
		suggested string
		complete  bool
	}{
		{name: "FirstTopicForNewMember", l: learner{}, topic: "base/a"},
		{name: "LearningTopicFirst", l: learner{status: st("base/b", "learning")}, topic: "base/b"},
		{name: "PrerequisiteBlocks", l: learner{status: st("base/a", "skipped")}, topic: "base/b"},
		{name: "AskForPick", l: learner{status: st("base/a", "done", "base/b", "done")}, pick: "lang"},
		{name: "ExplicitPickFollowed", l: learner{status: st("base/a", "done", "base/b", "done"), picks: map[string]string{"lang": "lang/rust"}}, topic: "lang/rust"},
		{name: "UnchosenAlternativeDoesNotBlock", l: learner{status: st("base/a", "done", "base/b", "done", "lang/go", "done")}, topic: "lang/tools"},
		{name: "SuggestionFromEarlierPick", l: learner{status: st("base/a", "done", "base/b", "done", "lang/go", "done", "lang/tools", "skipped")}, pick: "web", suggested: "web/gin"},
		{name: "Complete", l: learner{status: st("base/a", "done", "base/b", "done", "lang/go", "done", "lang/tools", "done", "web/gin", "done")}, complete: true},
		{name: "AllOptionsSkippedPassesGroup", l: learner{status: st("base/a", "done", "base/b", "done", "lang/go", "skipped", "lang/rust", "skipped")}, topic: "lang/tools"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.Next(c.l)
			if c.topic != "" && (got.Topic == nil || got.Topic.ID != c.topic) {
				t.Errorf("Next = %+v, want topic %s", got, c.topic)
			}
			if c.pick != "" && (got.Pick == nil || got.Pick.ID != c.pick) {
				t.Errorf("Next = %+v, want pick %s", got, c.pick)
			}
			if got.Suggested != c.suggested {
				t.Errorf("Suggested = %q, want %q", got.Suggested, c.suggested)
			}
			if got.Complete != c.complete {
				t.Errorf("Complete = %v, want %v", got.Complete, c.complete)
			}
		})
	}
}

func TestProgressCountsOnlyChosenOptions(t *testing.T) {
	r := mustParse(t, small)
	all, secs := r.Progress(learner{})
	// base/a, base/b, one lang slot, lang/tools, one web slot.
	if all.Total != 5 || all.Done != 0 {
		t.Errorf("new member: %+v, want 0/5", all)
	}
	l := learner{status: st("base/a", "done", "lang/rust", "learning", "lang/go", "skipped")}
	all, secs = r.Progress(l)
	if all.Total != 5 || all.Done != 1 {
		t.Errorf("got %+v, want 1/5", all)
	}
	if secs[0].Done != 1 || secs[0].Total != 2 || secs[1].Total != 2 {
		t.Errorf("sections %+v %+v", secs[0].Tally, secs[1].Tally)
	}
	if all.Percent() != 20 {
		t.Errorf("Percent = %d, want 20", all.Percent())
	}
}

func TestFind(t *testing.T) {
	r := Default()
	cases := []struct{ q, want string }{
		{"internet/dns", "internet/dns"},
		{"dns", "internet/dns"},
		{"DNS", "internet/dns"},
		{"nginx", "web-servers/nginx"},
		{"python", "language/python"},
		{"docker", "devops/docker"},
		{"http basics", "internet/http"},
	}
	for _, c := range cases {
		got, cands := r.Find(c.q)
		if got == nil || got.ID != c.want {
			t.Errorf("Find(%q) = %v (candidates %v), want %s", c.q, got, cands, c.want)
		}
	}
	if got, cands := r.Find("dnzz"); got != nil || len(cands) == 0 || cands[0].ID != "internet/dns" {
		t.Errorf("Find(dnzz) = %v, %v; want suggestion internet/dns", got, cands)
	}
	if got, cands := r.Find("zzzzzzzz"); got != nil || len(cands) != 0 {
		t.Errorf("Find(nonsense) = %v, %v", got, cands)
	}
	if got, _ := r.Find(strings.Repeat("x", 5000)); got != nil {
		t.Error("huge query matched")
	}
}

func TestMismatch(t *testing.T) {
	r := mustParse(t, small)
	picks := func(kv ...string) learner {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return learner{picks: m}
	}
	cases := []struct {
		name   string
		l      learner
		option string
		want   string
	}{
		{"FrameworkAgainstLanguage", picks("lang", "lang/go", "web", "web/axum"), "web/axum", "Heads-up: your lang pick, Go, goes with Gin rather than Axum; you can keep Axum, or type: pick web gin"},
		{"LanguageAgainstFramework", picks("lang", "lang/go", "web", "web/axum"), "lang/go", "Heads-up: Go goes with Gin, but your web pick is Axum; you can keep both, or type: pick web gin"},
		{"MatchingPair", picks("lang", "lang/go", "web", "web/gin"), "web/gin", ""},
		{"MatchingPairLanguageLast", picks("lang", "lang/go", "web", "web/gin"), "lang/go", ""},
		{"NoOtherChoice", picks("web", "web/axum"), "web/axum", ""},
		{"NotAnOption", picks("lang", "lang/go"), "base/a", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.Mismatch(c.l, c.option); got != c.want {
				t.Errorf("Mismatch = %q, want %q", got, c.want)
			}
		})
	}
}

func TestOptionByTag(t *testing.T) {
	r := Default()
	cases := []struct{ group, word, want string }{
		{"framework", "express", "framework/nodejs"},
		{"framework", "Django", "framework/django"},
		{"sql", "postgres", "databases/postgresql"},
		{"language", "c#", "language/csharp"},
		{"language", "rust", ""},
	}
	for _, c := range cases {
		got, ok := r.Option(r.Pick(c.group), c.word)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("Option(%s, %q) = %q, %v; want %q", c.group, c.word, got, ok, c.want)
		}
	}
}
