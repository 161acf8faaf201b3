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
	b, err := New(cfg, env.Engine, env.Clock, slog.New(bottest.ScanHandler(nil)))
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
		// Without Manage Guild or Administrator, /studymod reached the bot only
		// because Discord's gate let the member through: a moderator.
		{fixture: "studymod_no_perms", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Access: bot.AccessModerator, Channel: "301", Command: "challenge list", Args: map[string]string{}}},
		{fixture: "autocomplete_challenge_post", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Access: bot.AccessModerator, Channel: "301", Command: "challenge post", Args: map[string]string{}}, wantFocus: &focus{"what", "dns"}},
		// An INTEGER option arrives as a JSON number, a USER option as the member's id.
		{fixture: "study_board_number", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "challenge board", Args: map[string]string{"number": "3"}}},
		{fixture: "studymod_remove_member", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Access: bot.AccessModerator, Channel: "301", Command: "challenge remove", Args: map[string]string{"member": "202", "number": "12"}}},
		// An ATTACHMENT option names the file; its bytes come later (run).
		{fixture: "studymod_roadmap_add", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Access: bot.AccessModerator, Channel: "301", Command: "roadmap add", Args: map[string]string{"file": "backend.toml"}}},
		{fixture: "button_done", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Channel: "301", Command: "done", Args: map[string]string{"topic": "internet/http"}}},
		{fixture: "button_other_member", want: &bot.Request{Space: guild, Member: "202", Name: "Grace", Channel: "301", Command: "next", Args: map[string]string{}}},
		{fixture: "button_ephemeral_other", want: &bot.Request{Space: guild, Member: "202", Name: "Ada", Channel: "301", Command: "next", Args: map[string]string{}}, wantUpdate: true},
		// A click in a nudge DM takes its guild from the custom id.
		{fixture: "button_dm", want: &bot.Request{Space: guild, Member: "201", Name: "Ada Lovelace", Channel: "301", DM: true, Command: "next", Args: map[string]string{}}, wantUpdate: true},
		// A moderator's button clicked by its owner runs at moderator level,
		// whatever their permissions; Administrator stays an admin.
		{fixture: "button_mod_owner", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Access: bot.AccessModerator, Channel: "301", Command: "challenge list", Args: map[string]string{}}, wantUpdate: true},
		{fixture: "button_mod_owner_admin", want: &bot.Request{Space: guild, Member: "201", Name: "Ada", Access: bot.AccessAdmin, Channel: "301", Command: "challenge list", Args: map[string]string{}}, wantUpdate: true},
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
		{"button_mod_other", bot.Forbidden, "This button was for another moderator."},
		{"button_mod_ownerless", bot.Forbidden, "use /studymod"},
		{"button_owner_on_member_action", bot.Invalid, "no longer valid"},
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
	tests := []struct {
		name, guild, owner, action, want string
	}{
		{"Ordinary", "111", "", "done:internet/http", "111|done:internet/http"},
		{"Moderators", "111", "201", "challenge close", "201@111|challenge close"},
		{"TooLong", "111", "", strings.Repeat("x", 100), ""},
		{"TooLongWithOwner", "111", "12345678901234567890", strings.Repeat("x", 76), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := customID(tt.guild, tt.owner, tt.action); got != tt.want {
				t.Errorf("customID = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOptionTypes: each kind takes only the option type it is registered
// with, and a value that does not fit that type is refused.
func TestOptionTypes(t *testing.T) {
	const (
		str  = discordgo.ApplicationCommandOptionString
		num  = discordgo.ApplicationCommandOptionInteger
		user = discordgo.ApplicationCommandOptionUser
		ch   = discordgo.ApplicationCommandOptionChannel
	)
	tests := []struct {
		name   string
		kind   bot.Kind
		typ    discordgo.ApplicationCommandOptionType
		value  any
		want   string
		wantOK bool
	}{
		{"IntegerIsDecimal", bot.KindNumber, num, float64(3), "3", true},
		{"LargeIntegerIsDecimal", bot.KindNumber, num, float64(1000000), "1000000", true},
		{"UserIsID", bot.KindMember, user, "202", "202", true},
		{"ChannelIsID", bot.KindChannel, ch, "302", "302", true},
		{"StringAsIs", bot.KindDuration, str, "6d", "6d", true},
		{"ChallengeKeepsQuotes", bot.KindChallenge, str, `"Write a resolver"`, `"Write a resolver"`, true},
		{"FractionRefused", bot.KindNumber, num, 2.5, "", false},
		{"HugeIntegerRefused", bot.KindNumber, num, 1e20, "", false},
		{"IntegerAsTextRefused", bot.KindNumber, num, "3", "", false},
		{"NumberAsStringTypeRefused", bot.KindNumber, str, "3", "", false},
		{"UserAsNumberRefused", bot.KindMember, user, float64(202), "", false},
		{"UserNotAnIDRefused", bot.KindMember, user, "@grace", "", false},
		{"MemberAsStringTypeRefused", bot.KindMember, str, "202", "", false},
		{"TextAsIntegerRefused", bot.KindText, num, float64(5), "", false},
		{"TextAsNumberValueRefused", bot.KindText, str, float64(5), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := optionValue(&discordgo.ApplicationCommandInteractionDataOption{Name: "x", Type: tt.typ, Value: tt.value}, tt.kind)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("optionValue = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// removeData is /studymod challenge remove with the given options.
func removeData(opts ...*discordgo.ApplicationCommandInteractionDataOption) discordgo.ApplicationCommandInteractionData {
	return discordgo.ApplicationCommandInteractionData{Name: "studymod", Options: []*discordgo.ApplicationCommandInteractionDataOption{{
		Name: "challenge", Type: discordgo.ApplicationCommandOptionSubCommandGroup,
		Options: []*discordgo.ApplicationCommandInteractionDataOption{{
			Name: "remove", Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts,
		}},
	}}}
}

// TestCommandRequestWrongType: a command whose option has the wrong type is
// refused with a sentence; in autocomplete the half-typed option is left out
// instead, so suggestions still come.
func TestCommandRequestWrongType(t *testing.T) {
	opt := func(name string, typ discordgo.ApplicationCommandOptionType, v any) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: typ, Value: v}
	}
	member := opt("member", discordgo.ApplicationCommandOptionUser, "202")
	tests := []struct {
		name  string
		opts  []*discordgo.ApplicationCommandInteractionDataOption
		wrong string // the option refused
	}{
		{"NumberAsString", []*discordgo.ApplicationCommandInteractionDataOption{member, opt("number", discordgo.ApplicationCommandOptionString, "3")}, "number"},
		{"NumberNotWhole", []*discordgo.ApplicationCommandInteractionDataOption{member, opt("number", discordgo.ApplicationCommandOptionInteger, 3.5)}, "number"},
		{"MemberAsInteger", []*discordgo.ApplicationCommandInteractionDataOption{opt("member", discordgo.ApplicationCommandOptionInteger, float64(202))}, "member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &bot.Request{Args: map[string]string{}}
			_, err := commandRequest(req, removeData(tt.opts...), false)
			if bot.ErrorCode(err) != bot.Invalid || !strings.Contains(bot.ErrorMessage(err), "The "+tt.wrong+" option has the wrong type") {
				t.Fatalf("err = %v, want Invalid: the %s option has the wrong type", err, tt.wrong)
			}
			req = &bot.Request{Args: map[string]string{}}
			if _, err := commandRequest(req, removeData(tt.opts...), true); err != nil {
				t.Fatalf("autocomplete: err = %v, want the option left out", err)
			}
			if _, ok := req.Args[tt.wrong]; ok || req.Command != "challenge remove" {
				t.Errorf("autocomplete request %+v, want challenge remove without %s", req, tt.wrong)
			}
		})
	}
}
