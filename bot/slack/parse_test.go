package slack

import (
	"maps"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
)

func TestUnescape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"PlainText", "next", "next"},
		{"UserMentionWithName", "<@U123ABC|ann>", "U123ABC"},
		{"UserMentionBare", "ask <@W42>", "ask W42"},
		{"ChannelMention", "<#C0123|general> now", "C0123 now"},
		{"ChannelMentionBare", "<#C0123>", "C0123"},
		{"LinkWithLabel", "<https://example.com/a?b=1&amp;c=2|example.com/a>", "https://example.com/a?b=1&c=2"},
		{"LinkBare", "<https://go.dev>", "https://go.dev"},
		{"SpecialMention", "<!here> and <!subteam^S1|@devs>", "@here and @devs"},
		{"Entities", "a &lt;b&gt; &amp; c", "a <b> & c"},
		{"EntitiesDecodedOnce", "&amp;lt;", "&lt;"},
		{"UnclosedAngle", "a < b", "a < b"},
		{"Unicode", "note dns 日本語 ✓ <@U1|Zoë>", "note dns 日本語 ✓ U1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unescape(tt.in); got != tt.want {
				t.Errorf("unescape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		slash   string
		text    string
		command string
		args    map[string]string
		err     string // substring of the member-facing message; "" means success
		notErr  string // must not appear in the message
	}{
		{name: "Next", slash: "/study", text: "next", command: "next", args: map[string]string{}},
		{name: "EmptyIsHelp", slash: "/study", text: "  ", command: "help", args: map[string]string{}},
		{name: "HelpUnderStudyMod", slash: "/studymod", text: "", command: "help", args: map[string]string{}},
		{name: "DoubleQuotes", slash: "/study", text: `done "DNS and how it works"`, command: "done", args: map[string]string{"topic": "DNS and how it works"}},
		{name: "CurlyQuotes", slash: "/study", text: "note “dns basics” remember port 53", command: "note",
			args: map[string]string{"topic": "dns basics", "text": "remember port 53"}},
		{name: "RestWithoutQuotes", slash: "/study", text: "done dns and how it works", command: "done", args: map[string]string{"topic": "dns and how it works"}},
		{name: "TwoWordCommand", slash: "/study", text: "nudge at 08:30", command: "nudge at", args: map[string]string{"time": "08:30"}},
		{name: "TimeAndZone", slash: "/study", text: "nudge at 07:05 America/Sao_Paulo", command: "nudge at",
			args: map[string]string{"time": "07:05", "zone": "America/Sao_Paulo"}},
		{name: "ChannelMentionAndQuotedSchedule", slash: "/studymod", text: `challenge schedule <#C0ABC|study-group> "MON 09:00" Europe/Berlin`,
			command: "challenge schedule", args: map[string]string{"channel": "C0ABC", "when": "MON 09:00", "zone": "Europe/Berlin"}},
		{name: "UserMentionInText", slash: "/study", text: "note dns ask <@U777|bob> &amp; me", command: "note",
			args: map[string]string{"topic": "dns", "text": "ask U777 & me"}},
		{name: "LinkSubmission", slash: "/study", text: "challenge submit <https://github.com/ann/dns|github.com/ann/dns>", command: "challenge submit",
			args: map[string]string{"text": "https://github.com/ann/dns"}},
		{name: "UnicodeNote", slash: "/study", text: "note http 🚀 Größe — 日本語", command: "note",
			args: map[string]string{"topic": "http", "text": "🚀 Größe — 日本語"}},
		{name: "CaseInsensitive", slash: "/study", text: "NEXT", command: "next", args: map[string]string{}},

		{name: "ErrModeratorCommandUnderStudy", slash: "/study", text: "challenge post dns", err: "is a moderator command. Usage: /studymod challenge post"},
		{name: "ErrMemberCommandUnderStudyMod", slash: "/studymod", text: "next", err: "is a member command. Usage: /study next"},
		{name: "ErrUnknownCommandListsStudy", slash: "/study", text: "frobnicate now", err: `Unknown command "frobnicate". Usage: /study help`, notErr: "/studymod"},
		{name: "ErrUnknownCommandListsStudyMod", slash: "/studymod", text: "frobnicate", err: "Usage: /studymod challenge list | /studymod challenge post", notErr: "/study next"},
		{name: "GroupAloneUnderStudyMod", slash: "/studymod", text: "challenge", command: "challenge list", args: map[string]string{}},
		{name: "GroupAloneUnderStudy", slash: "/study", text: "challenge", command: "challenge board", args: map[string]string{}},
		{name: "ModeratorsAlone", slash: "/studymod", text: "moderators", command: "moderators list", args: map[string]string{}},
		{name: "ErrGroupUnderStudy", slash: "/study", text: "challenge frob", err: "Usage: /study challenge board [number] | /study challenge submit <text>", notErr: "studymod"},
		{name: "ErrMemberGroupUnderStudyMod", slash: "/studymod", text: "mydata", err: "mydata export is a member command. Usage: /study mydata export"},
		{name: "ErrUnclosedQuote", slash: "/study", text: `done "dns`, err: "quote is not closed"},
		{name: "ErrTooManyWords", slash: "/study", text: "next please now", err: "Too many words. Usage: /study next"},
		{name: "ErrTenKilobytes", slash: "/study", text: "note dns " + strings.Repeat("x", 10<<10), err: "too long"},
		{name: "ErrTenKilobytesOfMentions", slash: "/study", text: strings.Repeat("<@U1|a>", 10<<10/7), err: `Unknown command "U1U1U1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, args, err := parse(tt.slash, tt.text)
			if tt.err != "" {
				if err == nil {
					t.Fatalf("parse(%q) = %s %v, want error containing %q", tt.text, cmd.Name, args, tt.err)
				}
				if bot.ErrorCode(err) != bot.Invalid {
					t.Errorf("code %q, want invalid", bot.ErrorCode(err))
				}
				msg := bot.ErrorMessage(err)
				if !strings.Contains(msg, tt.err) || (tt.notErr != "" && strings.Contains(msg, tt.notErr)) {
					t.Errorf("message %q: want %q, not %q", msg, tt.err, tt.notErr)
				}
				if len(msg) > 3000 {
					t.Errorf("message is %d bytes; it must fit one Slack section", len(msg))
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.text, err)
			}
			if cmd.Name != tt.command || !maps.Equal(args, tt.args) {
				t.Errorf("parse(%q) = %q %v, want %q %v", tt.text, cmd.Name, args, tt.command, tt.args)
			}
		})
	}
}

// FuzzParse checks that no input panics and every refusal is Invalid.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"next", `done "dns`, "<@U1|a> <#C1>", "&amp;&lt;<", "challenge", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, slash := range []string{slashStudy, slashStudyMod} {
			if _, _, err := parse(slash, text); err != nil && bot.ErrorCode(err) != bot.Invalid {
				t.Fatalf("parse(%q): code %q", text, bot.ErrorCode(err))
			}
		}
	})
}
