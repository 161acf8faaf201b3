package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// fixedClock keeps the end-to-end test independent of the wall clock.
var fixedClock = bot.ClockFunc(func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) })

// runConsoleMain runs Main in console mode over pipes, as `studybot console` does.
func runConsoleMain(t *testing.T, db, input string) string {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Database.Path = db
	var out, logs bytes.Buffer
	m := NewMain(cfg)
	m.Clock = fixedClock
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(input), &out, &logs
	m.ConsoleMember, m.ConsoleSpace = "ann", "local"
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestConsoleProgressSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	out := runConsoleMain(t, db, "next\ndone\nnext\nprogress\n")
	for _, want := range []string{"Next up: How the Internet works", "✅ Done: How the Internet works", "Next up: What is HTTP", "Overall", "1/"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run output lacks %q:\n%s", want, out)
		}
	}
	out = runConsoleMain(t, db, "progress\nnext\n")
	if !strings.Contains(out, "1 of ") || strings.Contains(out, "Next up: How the Internet works") {
		t.Errorf("second run lost progress:\n%s", out)
	}
}

func TestConsoleBadInputIsOneLine(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	out := runConsoleMain(t, db, "teleport\nstart nothing-like-this\nnote dns "+strings.Repeat("x", 10240)+"\nnote dns caf\xe9\n")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 one-line errors, got:\n%s", out)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "error: ") {
			t.Errorf("not an error line: %q", l)
		}
	}
}

func TestSecondProcessFailsFast(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	cfg := DefaultConfig()
	cfg.Database.Path = db
	m := NewMain(cfg)
	m.Stderr = &bytes.Buffer{}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"console", "--db", db}, strings.NewReader("next\n"), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "database "+db+" is in use by another studybot process") {
		t.Errorf("second open: %v", err)
	}
}

func TestRoadmapJSONListsEverything(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"roadmap", "--json"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Stages   []string
		Sections []struct {
			ID     string
			Topics []struct{ ID, Title string }
		}
		Picks []struct{ ID string }
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range r.Sections {
		n += len(s.Topics)
	}
	if len(r.Stages) != 5 || len(r.Sections) < 10 || n < 50 || len(r.Picks) != 5 {
		t.Errorf("roadmap json: %d stages, %d sections, %d topics, %d picks", len(r.Stages), len(r.Sections), n, len(r.Picks))
	}
}

func TestBrokenRoadmapFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(f, []byte("id = \"x\"\ntitle = \"X\"\n[[section]]\nid = \"s\"\nstage = \"basics\"\ntitle = \"S\"\n[[section.topic]]\nid = \"s/a\"\ntitle = \"A\"\nsummary = \"A.\"\nafter = [\"s/missing\"]\n"), 0o644)
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"roadmap", "--file", f}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), `bad.toml:8: "s/a": prerequisite "s/missing" is not a topic`) {
		t.Errorf("got %v", err)
	}
	err = run(context.Background(), []string{"console", "--db", filepath.Join(t.TempDir(), "x.db"), "--roadmap", f}, strings.NewReader("next\n"), &out, &errb)
	if err == nil {
		t.Error("console started with a broken roadmap")
	}
}

func TestRunWithNoAdapterPointsAtConsole(t *testing.T) {
	t.Setenv("STUDYBOT_CONFIG", "")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"run", "--config", ""}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "studybot console") {
		t.Errorf("got %v", err)
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("sekrit-token\n"), 0o600)
	cfgFile := filepath.Join(dir, "c.toml")
	os.WriteFile(cfgFile, []byte("[discord]\nenabled = true\napp_id = \"1\"\ntoken_file = \""+tokenFile+"\"\n[nudge]\ngrace = \"30m\"\n"), 0o644)
	env := map[string]string{"STUDYBOT_DATABASE_PATH": "/tmp/x.db", "STUDYBOT_DISCORD_GUILD_IDS": "1, 2"}
	c, err := LoadConfig(cfgFile, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Discord.Token != "sekrit-token" || c.Database.Path != "/tmp/x.db" || len(c.Discord.GuildIDs) != 2 || c.Nudge.Grace.Duration != 30*time.Minute {
		t.Errorf("config %+v", c)
	}
	for _, s := range []string{fmtAll(c), string(mustJSON(t, c))} {
		if strings.Contains(s, "sekrit") {
			t.Errorf("secret leaked: %s", s)
		}
	}

	bad := []struct{ file, want string }{
		{"[discord]\nenabled = true\n", "discord.token is not set"},
		{"[nudge]\ndefault_zone = \"Mars/Base\"\n", "nudge.default_zone"},
		{"[database]\npathh = \"x\"\n", `unknown key "database.pathh"`},
		{"[log\n", "c.toml:2: expected"},
		{"[slack]\nenabled = true\nmode = \"carrier-pigeon\"\nbot_token = \"x\"\n", "slack.mode"},
	}
	for _, b := range bad {
		os.WriteFile(cfgFile, []byte(b.file), 0o644)
		_, err := LoadConfig(cfgFile, func(string) (string, bool) { return "", false })
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: got %v, want %q", b.file, err, b.want)
		}
	}
}

func fmtAll(c Config) string {
	var b bytes.Buffer
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		b.WriteString(strings.ReplaceAll(f, "%", "") + ":" + fmt.Sprintf(f, c))
	}
	return b.String()
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServeStopsOnCancel runs Main as `studybot run` does with the HTTP listener
// on: health and metrics answer, and cancelling returns promptly.
func TestServeStopsOnCancel(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(t.TempDir(), "a.db")
	cfg.HTTP.Listen = "127.0.0.1:0"
	m := NewMain(cfg)
	m.Clock, m.Stderr = fixedClock, &bytes.Buffer{}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	base := "http://" + m.listener.Addr().String()
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %d %q", path, resp.StatusCode, body)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestBackupCommand: backup and backup --compact copy a stopped bot's file,
// and neither overwrites the database itself.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	runConsoleMain(t, db, "done\n")
	for _, args := range [][]string{
		{"backup", "--db", db, filepath.Join(dir, "plain.db")},
		{"backup", "--db", db, "--compact", filepath.Join(dir, "compact.db")},
	} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), args, nil, &out, &errs); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errs.String())
		}
		copyPath := args[len(args)-1]
		if !strings.Contains(out.String(), copyPath) {
			t.Errorf("%v said %q", args, out.String())
		}
		if got := runConsoleMain(t, copyPath, "progress\n"); !strings.Contains(got, "1 of ") {
			t.Errorf("progress in the copy made by %v:\n%s", args, got)
		}
	}
	var errs bytes.Buffer
	if err := run(context.Background(), []string{"backup", "--db", db, "--compact", db}, nil, io.Discard, &errs); err == nil || !strings.Contains(err.Error(), "live database") {
		t.Errorf("backup over the database itself: %v", err)
	}
}

// TestSlackModeratorsReachTheEngine: slack.moderators, as the adapter reads
// it, is the engine's floor, so moderators list shows it and moderators remove
// refuses it.
func TestSlackModeratorsReachTheEngine(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(t.TempDir(), "a.db")
	cfg.Slack.Enabled = true
	cfg.Slack.BotToken, cfg.Slack.AppToken = "xoxb-1", "xapp-1"
	cfg.Slack.APIURL = "http://127.0.0.1:1/api/"
	cfg.Slack.Moderators = []string{" U0MOD1 ", "U0MOD2"}
	m := NewMain(cfg)
	m.Clock = fixedClock
	m.Stderr = &bytes.Buffer{}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got := m.Engine.ConfiguredModerators[bot.PlatformSlack]
	if want := []string{"U0MOD1", "U0MOD2"}; !slices.Equal(got, want) {
		t.Errorf("engine's configured Slack moderators %q, want %q", got, want)
	}
}

// TestConsoleModeratorsScripted: the console user is the admin, so a script
// can add and remove moderators.
func TestConsoleModeratorsScripted(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	out := runConsoleMain(t, db, "moderators add bob\nmoderators list\nmoderators remove bob\nmoderators remove bob\n")
	for _, want := range []string{"Moderator added", "You are the admin here", "bob", "Moderator removed", "error: bob is not among the moderators added here."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestRoadmapFileChangeLoggedKeepsMarks: a roadmap.file that replaces the
// built-in and drops a topic is logged at start, and the member's mark on
// it is kept: it counts again once the topic is back.
func TestRoadmapFileChangeLoggedKeepsMarks(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	full, err := os.ReadFile("../../roadmap/testdata/go.toml")
	if err != nil {
		t.Fatal(err)
	}
	v1 := filepath.Join(dir, "v1.toml")
	os.WriteFile(v1, full, 0o644)
	v2 := filepath.Join(dir, "v2.toml")
	os.WriteFile(v2, bytes.Replace(full, []byte("[[section.topic]]\nid = \"start/generics\""), []byte("[[section.topic]]\nid = \"start/generics2\""), 1), 0o644)
	console := func(file, input string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"console", "--db", db, "--roadmap", file}, strings.NewReader(input), &out, &errb); err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String()
	}
	console(v1, "start start/generics\n")
	if _, logs := console(v1, "next\n"); strings.Contains(logs, "roadmap changed") {
		t.Errorf("an unchanged roadmap logged a change: %s", logs)
	}
	out, logs := console(v2, "mydata export\n")
	if !strings.Contains(logs, "the built-in roadmap changed") || !strings.Contains(logs, "start/generics") {
		t.Errorf("start with a changed roadmap logged %q", logs)
	}
	if !strings.Contains(out, `"start/generics"`) {
		t.Errorf("the mark on the removed topic is gone from the export: %s", out)
	}
	if out, _ := console(v1, "topic start/generics\n"); !strings.Contains(out, "learning") {
		t.Errorf("back on v1 the mark is not shown: %s", out)
	}
}

// TestConsoleAddsRoadmapFile: the console reads a local roadmap file and the
// member follows it, as typed.
func TestConsoleAddsRoadmapFile(t *testing.T) {
	var out, errb bytes.Buffer
	in := "roadmap add ../../roadmap/testdata/go.toml\nroadmap follow go\ndone\nprogress\nroadmap follow backend\nprogress\n"
	if err := run(context.Background(), []string{"console", "--db", filepath.Join(t.TempDir(), "x.db")}, strings.NewReader(in), &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Added roadmap Go Developer", "You follow Go Developer", "Done: A Tour of Go", "Your progress: Go Developer", "1 of 4 topics", "Your progress: Backend Developer", "0 of 42 topics"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestConsoleCardWritesPNG: card in the console writes the real card.
func TestConsoleCardWritesPNG(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "me.png")
	var stdout, errb bytes.Buffer
	if err := run(context.Background(), []string{"console", "--db", filepath.Join(dir, "x.db")}, strings.NewReader("done\ncard "+out+"\n"), &stdout, &errb); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) || !strings.Contains(stdout.String(), "Saved your card to "+out) {
		t.Errorf("card file %d bytes (%v); output %q", len(data), err, stdout.String())
	}
}
