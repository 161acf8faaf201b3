package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

var (
	slackTeam    = bot.Space{Platform: bot.PlatformSlack, ID: "T1"}
	discordGuild = bot.Space{Platform: bot.PlatformDiscord, ID: "G1"}
)

// as runs line as member of sp with the access the adapter gave them.
func as(t *testing.T, env *bottest.Env, sp bot.Space, member string, access bot.Access, line string) (*bot.Reply, error) {
	t.Helper()
	req, err := env.Request(member, line)
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	req.Space, req.Access = sp, access
	return env.Engine.Handle(context.Background(), req)
}

func mustAs(t *testing.T, env *bottest.Env, sp bot.Space, member string, access bot.Access, line string) *bot.Reply {
	t.Helper()
	r, err := as(t, env, sp, member, access, line)
	if err != nil {
		t.Fatalf("%s: %q: %v", member, line, err)
	}
	return r
}

// stored is the space's Moderators as stored.
func stored(t *testing.T, env *bottest.Env, sp bot.Space) []string {
	t.Helper()
	rec, err := env.DB.Space(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Moderators
}

func replyText(r *bot.Reply) string {
	return r.Title + "\n" + strings.Join(r.Text, "\n") + "\n" + fieldText(r)
}

func TestAddedModeratorGainsAndLosesAccess(t *testing.T) {
	env := bottest.New(t)
	_, err := as(t, env, slackTeam, "U2", bot.AccessMember, "challenge list")
	wantCode(t, err, bot.Forbidden, "Only moderators can use /studymod challenge list.")
	if help := mustAs(t, env, slackTeam, "U2", bot.AccessMember, "help"); strings.Contains(fieldText(help), "/studymod") {
		t.Error("help shows /studymod commands to a member")
	}

	r := mustAs(t, env, slackTeam, "UADMIN", bot.AccessAdmin, "moderators add U2")
	if r.Title != "Moderator added" || !strings.Contains(r.Text[0], "<@U2>") {
		t.Errorf("add reply %+v", r)
	}
	if got := stored(t, env, slackTeam); !slices.Equal(got, []string{"U2"}) {
		t.Errorf("stored moderators %q, want [U2]", got)
	}
	mustAs(t, env, slackTeam, "U2", bot.AccessMember, "challenge list")
	if help := mustAs(t, env, slackTeam, "U2", bot.AccessMember, "help"); !strings.Contains(fieldText(help), "/studymod challenge post") {
		t.Error("help hides /studymod commands from an added moderator")
	}
	// Moderating is not administering: an added moderator cannot add others.
	_, err = as(t, env, slackTeam, "U2", bot.AccessMember, "moderators add U3")
	wantCode(t, err, bot.Forbidden, "Only admins and owners can use /studymod moderators add.")
	// Another space's list is its own.
	_, err = as(t, env, bot.Space{Platform: bot.PlatformSlack, ID: "T2"}, "U2", bot.AccessMember, "challenge list")
	wantCode(t, err, bot.Forbidden, "Only moderators")

	r = mustAs(t, env, slackTeam, "UOWNER", bot.AccessAdmin, "moderators remove U2")
	if r.Title != "Moderator removed" || !strings.Contains(r.Text[0], "<@U2>") {
		t.Errorf("remove reply %+v", r)
	}
	if got := stored(t, env, slackTeam); len(got) != 0 {
		t.Errorf("stored moderators %q after remove, want none", got)
	}
	_, err = as(t, env, slackTeam, "U2", bot.AccessMember, "challenge list")
	wantCode(t, err, bot.Forbidden, "Only moderators can use /studymod challenge list.")
}

func TestModeratorsAddNeedsAdmin(t *testing.T) {
	env := bottest.New(t)
	for _, line := range []string{"moderators add U2", "moderators remove U2"} {
		for _, access := range []bot.Access{bot.AccessMember, bot.AccessModerator} {
			_, err := as(t, env, slackTeam, "UMOD", access, line)
			wantCode(t, err, bot.Forbidden, "Only admins and owners can use /studymod "+strings.TrimSuffix(line, " U2")+".")
		}
	}
	if got := stored(t, env, slackTeam); len(got) != 0 {
		t.Errorf("refused commands stored %q", got)
	}
}

func TestModeratorsOnDiscord(t *testing.T) {
	const steps = "Server Settings → Integrations → studybot → /studymod → add the role or member"
	env := bottest.New(t)
	for _, line := range []string{"moderators add 123456789012345678", "moderators remove 123456789012345678", "moderators list"} {
		r := mustAs(t, env, discordGuild, "1", bot.AccessAdmin, line)
		if !strings.Contains(replyText(r), steps) {
			t.Errorf("%q on Discord: %+v, want the Integrations steps", line, r)
		}
	}
	if got := stored(t, env, discordGuild); len(got) != 0 {
		t.Errorf("Discord stored moderators %q", got)
	}
	// Even a list stored on a Discord space (by hand, or an old version)
	// grants nothing: Discord's own gate decides.
	if _, err := env.DB.UpdateSpace(context.Background(), discordGuild, func(r *bot.SpaceRecord) error {
		r.Moderators = []string{"2"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err := as(t, env, discordGuild, "2", bot.AccessMember, "challenge list")
	wantCode(t, err, bot.Forbidden, "Only moderators")
}

func TestModeratorsInConsole(t *testing.T) {
	env := bottest.New(t)
	r := mustAs(t, env, bottest.Space, "ann", bot.AccessAdmin, "moderators list")
	if !strings.Contains(replyText(r), "You are the admin here") {
		t.Errorf("console list %+v", r)
	}
	mustAs(t, env, bottest.Space, "ann", bot.AccessAdmin, "moderators add bob")
	r = mustAs(t, env, bottest.Space, "ann", bot.AccessAdmin, "moderators list")
	if got := fieldText(r); !strings.Contains(got, "bob") || strings.Contains(got, "<@") {
		t.Errorf("console list fields %q, want bob as a plain id", got)
	}
	mustAs(t, env, bottest.Space, "bob", bot.AccessMember, "challenge list")
}

func TestModeratorsListOnSlack(t *testing.T) {
	env := bottest.New(t)
	env.Engine.ConfiguredModerators = map[bot.Platform][]string{bot.PlatformSlack: {"UCONF"}}
	mustAs(t, env, slackTeam, "UADMIN", bot.AccessAdmin, "moderators add U2")
	mustAs(t, env, slackTeam, "UADMIN", bot.AccessAdmin, "moderators add U3")
	r := mustAs(t, env, slackTeam, "UCONF", bot.AccessModerator, "moderators list")
	want := []bot.Field{
		{Name: "Workspace admins and owners", Value: "always"},
		{Name: "From the bot's config", Value: "<@UCONF> (slack.moderators; change it there)"},
		{Name: "Added with moderators add", Value: "<@U2>, <@U3>"},
	}
	if !slices.Equal(r.Fields, want) {
		t.Errorf("fields\n got %+v\nwant %+v", r.Fields, want)
	}
	if r.Public {
		t.Error("moderators list is public")
	}
}

// The config floor: a configured moderator moderates through the engine
// too, cannot be removed at runtime, and adding them again says why.
func TestConfiguredModeratorsAreAFloor(t *testing.T) {
	env := bottest.New(t)
	env.Engine.ConfiguredModerators = map[bot.Platform][]string{bot.PlatformSlack: {"UCONF"}}
	mustAs(t, env, slackTeam, "UCONF", bot.AccessMember, "challenge list")
	_, err := as(t, env, slackTeam, "UADMIN", bot.AccessAdmin, "moderators remove UCONF")
	wantCode(t, err, bot.Conflict, "<@UCONF> is a moderator because the bot's config (slack.moderators) names them; remove them there.")
	_, err = as(t, env, slackTeam, "UADMIN", bot.AccessAdmin, "moderators add UCONF")
	wantCode(t, err, bot.Conflict, "already a moderator: the bot's config (slack.moderators) names them")
	if got := stored(t, env, slackTeam); len(got) != 0 {
		t.Errorf("stored %q", got)
	}
	mustAs(t, env, slackTeam, "UCONF", bot.AccessMember, "challenge list")
	// The floor is per platform.
	_, err = as(t, env, bottest.Space, "UCONF", bot.AccessMember, "challenge list")
	wantCode(t, err, bot.Forbidden, "Only moderators")
}

func TestModeratorsRefusalsStoreNothing(t *testing.T) {
	full := make([]string, bot.MaxModerators)
	for i := range full {
		full[i] = fmt.Sprintf("U%03d", i)
	}
	tests := []struct {
		name  string
		have  []string
		line  string
		code  bot.Code
		msg   string
		admin bool
	}{
		{"ErrAlreadyModerator", []string{"U2"}, "moderators add U2", bot.Conflict, "<@U2> is already a moderator.", true},
		{"ErrNotAModerator", []string{"U2"}, "moderators remove U3", bot.NotFound, "<@U3> is not among the moderators added here.", true},
		{"ErrTooMany", full, "moderators add U2", bot.Conflict, "already has 100 moderators, the most I keep; remove one first.", true},
		{"ErrMemberWithSpaces", nil, `moderators add "U2 U3"`, bot.Invalid, `"U2 U3" is not a member id: mention one member, such as @ann.`, true},
		{"ErrMemberMention", nil, "moderators add <@U2>", bot.Invalid, "is not a member id", true},
		{"ErrMemberTooLong", nil, "moderators add U" + strings.Repeat("9", 64), bot.Invalid, "too long for a member id (the limit is 64 characters)", true},
		{"ErrMemberMissing", nil, "moderators remove", bot.Invalid, "Missing member", true},
		{"ErrMemberBlank", nil, `moderators add "  "`, bot.Invalid, "Missing member", true},
		{"ErrNotAdmin", nil, "moderators add U2", bot.Forbidden, "Only admins and owners", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := bottest.New(t)
			if tt.have != nil {
				if _, err := env.DB.UpdateSpace(context.Background(), slackTeam, func(r *bot.SpaceRecord) error {
					r.Moderators = slices.Clone(tt.have)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			access := bot.AccessModerator
			if tt.admin {
				access = bot.AccessAdmin
			}
			_, err := as(t, env, slackTeam, "UADMIN", access, tt.line)
			wantCode(t, err, tt.code, tt.msg)
			if strings.Contains(bot.ErrorMessage(err), "\n") {
				t.Errorf("message is not one line: %q", bot.ErrorMessage(err))
			}
			if got := stored(t, env, slackTeam); !slices.Equal(got, tt.have) {
				t.Errorf("stored %d moderators, want %d unchanged", len(got), len(tt.have))
			}
		})
	}
}

// countingStore counts Space reads, and fails the next one when told.
type countingStore struct {
	bot.Store
	reads    atomic.Int32
	failNext atomic.Bool
}

func (s *countingStore) Space(ctx context.Context, sp bot.Space) (*bot.SpaceRecord, error) {
	s.reads.Add(1)
	if s.failNext.Swap(false) {
		return nil, errors.New("disk on fire")
	}
	return s.Store.Space(ctx, sp)
}

// Only a member asking for a moderator command costs a read of the space;
// a failed read grants nothing.
func TestStoredModeratorsReadOnlyWhenNeeded(t *testing.T) {
	env := bottest.New(t)
	cs := &countingStore{Store: env.DB}
	env.Engine.Store = cs
	tests := []struct {
		line   string
		access bot.Access
		reads  int32
	}{
		{"streak", bot.AccessMember, 0},            // a member command that reads no roadmap
		{"moderators add U2", bot.AccessMember, 0}, // an admin command: no list can make a member an admin
		{"challenge list", bot.AccessMember, 1},    // refused after one read
	}
	for _, tt := range tests {
		cs.reads.Store(0)
		as(t, env, slackTeam, "U2", tt.access, tt.line)
		if got := cs.reads.Load(); got != tt.reads {
			t.Errorf("%q as %v: %d space reads, want %d", tt.line, tt.access, got, tt.reads)
		}
	}
	cs.failNext.Store(true) // only the moderators' read: the command's own would work
	_, err := as(t, env, slackTeam, "U2", bot.AccessMember, "challenge list")
	wantCode(t, err, bot.Internal, "Something went wrong")
}

// TestHelpPointsDiscordModeratorsToStudymod: /study help cannot know who
// Discord lets use /studymod, so it says where to look.
func TestHelpPointsDiscordModeratorsToStudymod(t *testing.T) {
	env := bottest.New(t)
	discord := bot.Space{Platform: bot.PlatformDiscord, ID: "g1"}
	r, err := as(t, env, discord, "U2", bot.AccessMember, "help")
	if err != nil || !strings.Contains(r.Footer, "/studymod") {
		t.Errorf("help footer %q, %v: want /studymod named", r.Footer, err)
	}
	r, err = as(t, env, discord, "U2", bot.AccessModerator, "help")
	if err != nil || strings.Contains(r.Footer, "type /studymod") {
		t.Errorf("a moderator's help footer %q: the commands are listed already", r.Footer)
	}
}
