package discord

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// TestServeLogsTheInteraction: what serve logs about an interaction carries
// its id, kind and guild, and its command once the request is valid (the
// logger is built only when something is logged, interactionLog).
func TestServeLogsTheInteraction(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := bottest.NewClock(bottest.Start)
	b, err := New(Config{Token: testToken, AppID: testApp}, &recorder{reply: &bot.Reply{Text: []string{"hi"}}}, clock, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.cancel)
	lines := func() []map[string]any {
		var out []map[string]any
		for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			var m map[string]any
			if err := json.Unmarshal(l, &m); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			out = append(out, m)
		}
		buf.Reset()
		return out
	}
	in := loadInteraction(t, "study_next")

	// A valid command whose answer panics: the panic is logged with the command.
	b.serve(in, false, func(*response) { panic("boom") })
	b.wg.Wait()
	got := lines()
	if len(got) != 1 || got[0]["msg"] != "discord interaction panicked" {
		t.Fatalf("logged %v", got)
	}
	want := map[string]any{"interaction": in.ID, "kind": "command", "guild": in.GuildID, "command": "next", "panic": "boom", "platform": "discord"}
	for k, v := range want {
		if got[0][k] != v {
			t.Errorf("panic log: %s = %v, want %v (%v)", k, got[0][k], v, got[0])
		}
	}

	// A refused one: logged at debug without a command.
	in.Data = discordgo.ApplicationCommandInteractionData{Name: "nosuch"}
	answered := false
	b.serve(in, false, func(*response) { answered = true })
	got = lines()
	if !answered || len(got) != 1 || got[0]["msg"] != "discord interaction refused" {
		t.Fatalf("answered %v, logged %v", answered, got)
	}
	if _, ok := got[0]["command"]; ok || got[0]["interaction"] != in.ID || got[0]["kind"] != "command" || got[0]["guild"] != in.GuildID {
		t.Errorf("refusal log %v", got[0])
	}
}
