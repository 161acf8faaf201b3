package discord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

var pngBytes = []byte("\x89PNG\r\n\x1a\nfake")

// TestRender renders replies to the payloads Discord receives.
func TestRender(t *testing.T) {
	many := make([]bot.Button, 30)
	for i := range many {
		many[i] = bot.Button{Label: fmt.Sprintf("B%d", i), Action: fmt.Sprintf("topic:t/%d", i)}
	}
	tests := []struct {
		name  string
		reply *bot.Reply
	}{
		{"full", &bot.Reply{
			Title: "Next up: HTTP",
			Text:  []string{"HTTP is how browsers and servers talk.", "You have 3 topics in progress."},
			Fields: []bot.Field{
				{Name: "Section", Value: "Internet", Inline: true},
				{Name: "Hours", Value: "2", Inline: true},
				{Name: "", Value: ""},
			},
			Bars: []bot.Bar{{Label: "Overall", Done: 7, Total: 10}, {Label: "Internet", Done: 0, Total: 6}, {Label: "Empty", Done: 0, Total: 0}, {Label: "Done", Done: 4, Total: 4}},
			Links: []bot.Link{
				{Title: "MDN: An overview of HTTP", URL: "https://developer.mozilla.org/en-US/docs/Web/HTTP/Overview", Kind: "official"},
				{Title: "What is [HTTP]?", URL: "javascript:alert(1)", Kind: "article"},
			},
			Buttons: []bot.Button{
				{Label: "Done", Action: "done:internet/http", Style: bot.ButtonSuccess},
				{Label: "Learning", Action: "start:internet/http", Style: bot.ButtonPrimary},
				{Label: "Skip", Action: "skip:internet/http", Style: bot.ButtonSecondary},
				{Label: "Next", Action: "next", Style: bot.ButtonPrimary},
				{Label: "Next again", Action: "next"}, // duplicate custom id: dropped
				{Label: "Undo", Action: "undo", Style: bot.ButtonDanger},
			},
			Footer: "Streak: 4 days",
		}},
		{"public", &bot.Reply{
			Title:   "Weekly challenge #3",
			Text:    []string{"Write a tiny DNS resolver. @everyone is not pinged."},
			Buttons: []bot.Button{{Label: "Submit", Action: "challenge board", Style: bot.ButtonPrimary}},
			Public:  true,
		}},
		{"image", &bot.Reply{Title: "Your progress", File: &bot.File{Name: "my card!.png", Type: "image/png", Data: pngBytes}}},
		{"image_only", &bot.Reply{File: &bot.File{Name: "progress.png", Type: "image/png", Data: pngBytes}}},
		{"empty", &bot.Reply{Buttons: []bot.Button{{Label: "Next", Action: "next"}}}},
		{"nil", nil},
		// A moderator's button is bound to the member the private reply is
		// shown to, and dropped from the same reply made public.
		{"moderator_private", modReply(false)},
		{"moderator_public", modReply(true)},
		{"limits", &bot.Reply{
			Title:   strings.Repeat("T", 300),
			Text:    []string{strings.Repeat("word ", 1000)},
			Buttons: append(many, bot.Button{Label: "too long", Action: "note:" + strings.Repeat("x", 100)}),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(tt.reply, "111", "201")
			bottest.Golden(t, "render/"+tt.name+".golden", indentJSON(t, &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m}))
			checkMessageLimits(t, m)
			if tt.reply != nil && tt.reply.File != nil {
				if len(m.files) != 1 || m.files[0].Name != m.Attachments[0].Filename {
					t.Fatalf("files = %+v, attachments = %+v", m.files, m.Attachments)
				}
			} else if len(m.files) != 0 {
				t.Errorf("files = %+v, want none", m.files)
			}
		})
	}
}

// TestRenderEngineReplies renders the engine's own replies of the
// moderator's challenge loop, as a moderator (201) would receive them.
func TestRenderEngineReplies(t *testing.T) {
	for _, nr := range append(bottest.ChallengeReplies(t), bottest.ChangeReplies(t)...) {
		t.Run(nr.Name, func(t *testing.T) {
			m := render(nr.Reply, "111", "201")
			bottest.Golden(t, "render/"+nr.Name+".golden", indentJSON(t, &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m}))
			checkMessageLimits(t, m)
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"error_not_found", bot.Errorf(bot.NotFound, "No topic matches %q.", "qwerty")},
		{"error_internal", bot.Wrap(errSentinel, "store")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := errorMessage(tt.err)
			data := indentJSON(t, &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m})
			bottest.Golden(t, "render/"+tt.name+".golden", data)
			if bytes.Contains(data, []byte("sentinel")) {
				t.Error("an internal error's cause reached the member")
			}
		})
	}
}

// checkMessageLimits asserts Discord's limits on a rendered message.
func checkMessageLimits(t *testing.T, m *message) {
	t.Helper()
	if m.Flags&^discordgo.MessageFlagsEphemeral != 0 {
		t.Errorf("flags = %d", m.Flags)
	}
	if m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed_mentions = %+v, want no mentions parsed", m.AllowedMentions)
	}
	if m.Content == "" && len(m.Embeds) == 0 {
		t.Error("message has neither content nor embed")
	}
	for _, e := range m.Embeds {
		if embedSize(e) > maxEmbedTotal || utf8.RuneCountInString(e.Title) > maxTitle || utf8.RuneCountInString(e.Description) > maxDescription4 || len(e.Fields) > maxFields {
			t.Errorf("embed over Discord's limits: size %d", embedSize(e))
		}
		for _, f := range e.Fields {
			if f.Name == "" || f.Value == "" || utf8.RuneCountInString(f.Value) > maxFieldValue {
				t.Errorf("bad field %+v", f)
			}
		}
	}
	if len(m.Components) > maxRows {
		t.Errorf("%d rows", len(m.Components))
	}
	ids := map[string]bool{}
	for _, c := range m.Components {
		row := c.(discordgo.ActionsRow)
		if len(row.Components) == 0 || len(row.Components) > maxRowButtons {
			t.Errorf("row with %d buttons", len(row.Components))
		}
		for _, c := range row.Components {
			bt := c.(discordgo.Button)
			if len(bt.CustomID) > maxCustomID || ids[bt.CustomID] || utf8.RuneCountInString(bt.Label) > maxLabel {
				t.Errorf("bad button %+v", bt)
			}
			ids[bt.CustomID] = true
		}
	}
}

func TestInviteURL(t *testing.T) {
	b := newTestBot(t, Config{})
	want := "https://discord.com/oauth2/authorize?client_id=900&permissions=52224&scope=bot+applications.commands"
	if got := b.InviteURL(); got != want {
		t.Errorf("InviteURL = %s, want %s", got, want)
	}
}

// modReply is a challenge post's answer with a moderator's button and a
// member's one.
func modReply(public bool) *bot.Reply {
	return &bot.Reply{
		Title: "Challenge #3 posted",
		Buttons: []bot.Button{
			{Label: "Close it", Action: "challenge close", Style: bot.ButtonDanger},
			{Label: "Board", Action: "challenge board:3"},
		},
		Public: public,
	}
}

// customIDs lists a message's button custom ids in order.
func customIDs(m *message) []string {
	var ids []string
	for _, c := range m.Components {
		for _, b := range c.(discordgo.ActionsRow).Components {
			ids = append(ids, b.(discordgo.Button).CustomID)
		}
	}
	return ids
}

// TestRenderModeratorButtons: a moderator's button appears only in a private
// reply with an owner to bind it to, never where others may see it.
func TestRenderModeratorButtons(t *testing.T) {
	tests := []struct {
		name  string
		reply *bot.Reply
		owner string
		want  []string
	}{
		{"PrivateWithOwner", modReply(false), "201", []string{"201@111|challenge close", "111|challenge board:3"}},
		{"Public", modReply(true), "201", []string{"111|challenge board:3"}},
		{"NoOwner", modReply(false), "", []string{"111|challenge board:3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := customIDs(render(tt.reply, "111", tt.owner)); !slices.Equal(got, tt.want) {
				t.Errorf("custom ids %q, want %q", got, tt.want)
			}
		})
	}
}
