package discord

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

func newTestBot(t testing.TB, cfg Config) *Bot {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.AppID == "" {
		cfg.AppID = testApp
	}
	env := bottest.New(t)
	b, err := New(cfg, env.Engine, env.Clock, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.cancel)
	return b
}

func loadInteraction(t testing.TB, name string) *discordgo.Interaction {
	t.Helper()
	var in discordgo.Interaction
	if err := json.Unmarshal(fixture(t, name), &in); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &in
}

// TestRequest translates interaction fixtures into engine requests.
func TestRequest(t *testing.T) {
	guild := bot.Space{Platform: bot.PlatformDiscord, ID: "111"}
	tests := []struct {
		fixture    string
		want       *bot.Request
		wantFocus  *focus
		wantUpdate bool
	}{
		{fixture: "study_next", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "next", Args: map[string]string{}}},
		{fixture: "study_done_topic", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "done", Args: map[string]string{"topic": "internet/dns"}}},
		{fixture: "study_nudge_at", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "nudge at", Args: map[string]string{"time": "08:30", "zone": "Europe/Berlin"}}},
		{fixture: "studymod_post_admin", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Access: bot.AccessAdmin, Channel: "301", Command: "challenge post", Args: map[string]string{"what": "Write a DNS resolver"}}},
		{fixture: "studymod_schedule_manage", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Access: bot.AccessModerator, Channel: "301", Command: "challenge schedule", Args: map[string]string{"channel": "302", "when": "MON 09:00"}}},
		// Without Manage Guild the request is not a moderator's; the engine refuses it.
		{fixture: "studymod_no_perms", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "challenge list", Args: map[string]string{}}},
		{fixture: "button_done", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "done", Args: map[string]string{"topic": "internet/http"}}, wantUpdate: true},
		{fixture: "button_other_member", want: &bot.Request{Space: guild, Member: "202", Name: "Grace", Channel: "301", Command: "next", Args: map[string]string{}}},
		{fixture: "button_ephemeral_other", want: &bot.Request{Space: guild, Member: "202", Name: "Ada", Channel: "301", Command: "next", Args: map[string]string{}}, wantUpdate: true},
		// A click in a nudge DM takes its guild from the custom id.
		{fixture: "button_dm", want: &bot.Request{Space: guild, Member: "201", Name: "Ada Lovelace", Channel: "301", DM: true, Command: "next", Args: map[string]string{}}, wantUpdate: true},
		{fixture: "autocomplete_done", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "done", Args: map[string]string{}}, wantFocus: &focus{"topic", "dns"}},
		{fixture: "autocomplete_pick", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "pick", Args: map[string]string{"group": "language"}}, wantFocus: &focus{"option", "py"}},
	}
	b := newTestBot(t, Config{})
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			in := loadInteraction(t, tt.fixture)
			got, f, err := b.request(in)
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("request:\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(f, tt.wantFocus) {
				t.Errorf("focus = %+v, want %+v", f, tt.wantFocus)
			}
			if u := updatesMessage(in, got); u != tt.wantUpdate {
				t.Errorf("updatesMessage = %v, want %v", u, tt.wantUpdate)
			}
		})
	}
}

// TestRequestRefused: bad input is refused with a code and a sentence, before
// the engine sees it.
func TestRequestRefused(t *testing.T) {
	tests := []struct {
		fixture string
		code    bot.Code
		says    string
	}{
		{"unknown_subcommand", bot.Invalid, "Unknown command /study fly"},
		{"unknown_command", bot.Invalid, "Unknown command /other"},
		{"wrong_option_type", bot.Invalid, "wrong type"},
		{"study_note_unknown_option", bot.Invalid, "no option \"colour\""},
		{"mod_command_under_study", bot.Invalid, "Unknown command /study challenge post"},
		{"button_other_guild", bot.Invalid, "another server"},
		{"button_dm_moderator", bot.Forbidden, "not in direct messages"},
		{"unknown_guild", bot.Forbidden, "not set up for this server"},
	}
	b := newTestBot(t, Config{GuildIDs: []string{"111"}})
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			_, _, err := b.request(loadInteraction(t, tt.fixture))
			if got := bot.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.code)
			}
			if msg := bot.ErrorMessage(err); !strings.Contains(msg, tt.says) {
				t.Errorf("message %q does not say %q", msg, tt.says)
			}
		})
	}
}

func TestRequestOversizeOption(t *testing.T) {
	b := newTestBot(t, Config{})
	in := loadInteraction(t, "study_done_topic")
	data := in.Data.(discordgo.ApplicationCommandInteractionData)
	data.Options[0].Options[0].Value = strings.Repeat("x", 6000)
	in.Data = data
	_, _, err := b.request(in)
	if bot.ErrorCode(err) != bot.Invalid || !strings.Contains(bot.ErrorMessage(err), "too long") {
		t.Fatalf("err = %v, want Invalid too long", err)
	}
}

func TestCustomID(t *testing.T) {
	if got := customID("111", "done:internet/http"); got != "111|done:internet/http" {
		t.Errorf("customID = %q", got)
	}
	if got := customID("111", strings.Repeat("x", 100)); got != "" {
		t.Errorf("customID over 100 characters = %q, want empty", got)
	}
}
