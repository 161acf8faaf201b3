package console_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/bot/console"
)

func TestRender(t *testing.T) {
	r := &bot.Reply{
		Title:   "Your progress",
		Text:    []string{"3 of 6 topics."},
		Fields:  []bot.Field{{Name: "Streak", Value: "2 days"}},
		Bars:    []bot.Bar{{Label: "Overall", Done: 3, Total: 6}, {Label: "A very long section label that keeps going on and on and on", Done: 0, Total: 0}, {Label: "Over", Done: 9, Total: 6}},
		Links:   []bot.Link{{Title: "MDN", URL: "https://developer.mozilla.org/", Kind: "official"}},
		Buttons: []bot.Button{{Label: "Done", Action: "done:internet/dns"}, {Label: "Next", Action: "next"}},
		File:    &bot.File{Name: "progress.png", Type: "image/png"},
		Footer:  "internet/dns",
	}
	bottest.Golden(t, "render.golden", []byte(console.Render(r)))
	if console.Render(nil) != "ok\n" {
		t.Error("nil reply")
	}
}

func TestRunScripted(t *testing.T) {
	env := bottest.New(t)
	var out bytes.Buffer
	c := console.New(env.Engine, &out, console.Options{Member: "ann"})
	in := strings.NewReader("next\n\n# a comment\n/study done\n/next\nteleport\nquit\nnext\n")
	if err := c.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Count(got, "== Next up") != 2 || !strings.Contains(got, "✅ Done") {
		t.Errorf("scripted run:\n%s", got)
	}
	if !strings.Contains(got, "error: Unknown command \"teleport\"") {
		t.Errorf("unknown command not reported:\n%s", got)
	}
	if strings.Count(got, "==") != 6 { // three replies, nothing after quit
		t.Errorf("want exactly three replies (nothing after quit):\n%s", got)
	}
	if strings.Contains(got, "> ") {
		t.Error("prompt printed in non-interactive mode")
	}
}

func TestInteractivePrompt(t *testing.T) {
	env := bottest.New(t)
	var out bytes.Buffer
	c := console.New(env.Engine, &out, console.Options{Member: "ann", Interactive: true, Roadmap: "Backend Developer"})
	if err := c.Run(context.Background(), strings.NewReader("next\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "studybot: Backend Developer roadmap. You are \"ann\"") || strings.Count(out.String(), "> ") < 2 {
		t.Errorf("interactive output:\n%s", out.String())
	}
}

func TestMessenger(t *testing.T) {
	env := bottest.New(t)
	var out bytes.Buffer
	c := console.New(env.Engine, &out, console.Options{Member: "ann", Space: "grp"})
	ctx := context.Background()
	if err := c.Direct(ctx, c.Space(), "ann", &bot.Reply{Title: "Nudge"}); err != nil || !strings.Contains(out.String(), "[direct message]") {
		t.Errorf("direct: %v %q", err, out.String())
	}
	if err := c.Direct(ctx, c.Space(), "bob", &bot.Reply{}); bot.ErrorCode(err) != bot.Unreachable {
		t.Errorf("direct to someone else: %v", err)
	}
	if err := c.Post(ctx, c.Space(), "#general", &bot.Reply{Title: "Challenge"}); err != nil || !strings.Contains(out.String(), "[#general]") {
		t.Errorf("post: %v", err)
	}
	if err := c.Post(ctx, bot.Space{Platform: bot.PlatformConsole, ID: "other"}, "x", &bot.Reply{}); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("post to another space: %v", err)
	}
}

func TestOversizedLineIsRefusedAndSessionGoesOn(t *testing.T) {
	env := bottest.New(t)
	var out bytes.Buffer
	c := console.New(env.Engine, &out, console.Options{Member: "ann"})
	in := strings.NewReader("note dns " + strings.Repeat("x", 2<<20) + "\nnext\n")
	if err := c.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "error: That line is too long") || !strings.Contains(out.String(), "== Next up") {
		t.Errorf("output:\n%.300s", out.String())
	}
	if m, err := env.DB.Member(context.Background(), c.Space(), "ann"); err == nil && len(m.WriteTrack(bot.BuiltinRoadmap).Topics) > 0 {
		t.Errorf("oversized note was stored: %+v", m.WriteTrack(bot.BuiltinRoadmap).Topics)
	}
}

// TestCardWritesFile: card writes the engine's picture where the member
// says (progress.png by default) and prints where; the engine never does.
func TestCardWritesFile(t *testing.T) {
	env := bottest.New(t)
	png := []byte("\x89PNG fake card")
	env.Engine.Card = func(string, string, []bot.Bar) ([]byte, error) { return png, nil }
	dir := t.TempDir()
	c := console.New(env.Engine, io.Discard, console.Options{Member: "ann", Dir: dir})
	for _, tt := range []struct{ line, file string }{
		{"card", "progress.png"},
		{"card my card.png", "my card.png"},
	} {
		out := c.Do(context.Background(), tt.line)
		want := filepath.Join(dir, tt.file)
		if !strings.Contains(out, "Saved your card to "+want) {
			t.Errorf("%q printed %q, want the path %s", tt.line, out, want)
		}
		if got, err := os.ReadFile(want); err != nil || !bytes.Equal(got, png) {
			t.Errorf("%s: %q, %v; want the card", want, got, err)
		}
	}
	if out := c.Do(context.Background(), "card "+dir); !strings.Contains(out, "error:") || !strings.Contains(out, "is a directory") {
		t.Errorf("card into a directory: %q", out)
	}
}
