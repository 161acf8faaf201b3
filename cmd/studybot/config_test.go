package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot/discord"
	"github.com/studybot/studybot/bot/slack"
)

// Settings every case shares: a database in the test's directory (run must
// refuse before it would create it) and platform URLs nothing listens on.
const (
	discordOK = "[discord]\nenabled = true\ntoken = \"t\"\napp_id = \"900\"\napi_url = \"http://127.0.0.1:1/api\"\n"
	slackBase = "[slack]\nenabled = true\nbot_token = \"xoxb-1\"\napi_url = \"http://127.0.0.1:1/api/\"\n"
	publicKey = "\"" + "abababababababababababababababababababababababababababababababab" + "\""
)

// TestCheckConfigRefusesWhatRunRefuses: for each config that `studybot run`
// refuses, `studybot check-config` refuses it with the same sentence, and run
// refused it before taking the database.
func TestCheckConfigRefusesWhatRunRefuses(t *testing.T) {
	t.Setenv("STUDYBOT_CONFIG", "")
	tests := []struct {
		name string
		file string
		says string
	}{
		{"ErrNoAdapter", "", "no adapter is enabled"},
		{"ErrUnknownKey", "[discord]\ntokn = \"t\"\n", `unknown key "discord.tokn"`},
		{"ErrDiscordNoToken", "[discord]\nenabled = true\napp_id = \"900\"\n", "config: discord.token is not set"},
		{"ErrDiscordAppIDNotNumeric", "[discord]\nenabled = true\ntoken = \"t\"\napp_id = \"studybot\"\n", `config: discord.app_id "studybot" is not the application's numeric id`},
		{"ErrDiscordMode", discordOK + "mode = \"webhook\"\n", `config: discord.mode "webhook" is not gateway or http`},
		{"ErrDiscordHTTPNoPublicKey", discordOK + "mode = \"http\"\n[http]\nlisten = \"127.0.0.1:0\"\n", "config: discord.public_key must be"},
		{"ErrDiscordHTTPNoListen", discordOK + "mode = \"http\"\npublic_key = " + publicKey + "\n", "config: discord.mode = \"http\" needs http.listen"},
		{"ErrDiscordGuildID", discordOK + "guild_ids = [\"my server\"]\n", `config: discord.guild_ids: "my server"`},
		{"ErrDiscordSendRateAboveLimit", "[discord]\nenabled = true\ntoken = \"t\"\napp_id = \"900\"\nsend_rate = 60\n", "config: discord.send_rate 60 must be above 0 and at most 50"},
		{"ErrDiscordAPIURL", "[discord]\nenabled = true\ntoken = \"t\"\napp_id = \"900\"\napi_url = \"discord.com/api\"\n", "config: discord.api_url"},
		{"ErrDiscordCDNURLPlainHTTP", discordOK + "cdn_url = \"http://cdn.discordapp.com\"\n", `config: discord.cdn_url "http://cdn.discordapp.com" is not an https URL`},
		{"ErrSlackFilesURL", slackBase + "app_token = \"xapp-1\"\nfiles_url = \"files.slack.com\"\n", `config: slack.files_url "files.slack.com" is not an https URL`},
		{"ErrChallengesRecentTopics", discordOK + "[challenges]\nrecent_topics = 0\n", "config: challenges.recent_topics must be between 1 and 100, not 0"},
		{"ErrLeaderboardFastDone", discordOK + "[leaderboard]\nfast_done = 0\n", "config: leaderboard.fast_done must be between 1 and 1000, not 0"},
		{"ErrSlackBotTokenAsAppToken", slackBase + "app_token = \"xoxb-2\"\n", "config: slack.app_token does not look like an app-level token"},
		{"ErrSlackNoAppToken", slackBase, "config: slack.app_token is not set"},
		{"ErrSlackUserToken", "[slack]\nenabled = true\nbot_token = \"xoxp-1\"\napp_token = \"xapp-1\"\n", "config: slack.bot_token does not look like a bot token"},
		{"ErrSlackSigningSecretForm", slackBase + "mode = \"http\"\nsigning_secret = \"not a secret!\"\n[http]\nlisten = \"127.0.0.1:0\"\n", "config: slack.signing_secret does not look like one"},
		{"ErrSlackHTTPNoListen", slackBase + "mode = \"http\"\nsigning_secret = \"abc123\"\n", "config: slack.mode = \"http\" needs http.listen"},
		{"ErrSlackModerator", slackBase + "app_token = \"xapp-1\"\nmoderators = [\"@ann\"]\n", `config: slack.moderators: "@ann" is not a user id`},
		{"ErrSlackSendRate", slackBase + "app_token = \"xapp-1\"\nsend_rate = -1\n", "config: slack.send_rate -1 must be"},
		{"ErrNudgeSendRateNegative", discordOK + "[nudge]\nsend_rate = -5\n", "config: nudge.send_rate (deprecated) must be positive"},
		{"ErrZone", discordOK + "[nudge]\ndefault_zone = \"Mars/Base\"\n", "config: nudge.default_zone"},
		{"ErrRoadmapMissing", discordOK + "[roadmap]\nfile = \"/nonexistent/roadmap.toml\"\n", "roadmap.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "studybot.db")
			file := filepath.Join(dir, "studybot.toml")
			if err := os.WriteFile(file, []byte("[database]\npath = \""+db+"\"\n"+tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			// A cancelled context: a config that run wrongly accepted would
			// stop at once instead of connecting.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			runErr := run(ctx, []string{"run", "--config", file}, nil, &bytes.Buffer{}, &bytes.Buffer{})
			if runErr == nil || !strings.Contains(runErr.Error(), tt.says) {
				t.Fatalf("run: %v, want an error saying %q", runErr, tt.says)
			}
			if _, err := os.Stat(db); err == nil {
				t.Errorf("run created the database before refusing the config")
			}
			var out bytes.Buffer
			checkErr := run(context.Background(), []string{"check-config", "--config", file}, nil, &out, &bytes.Buffer{})
			if checkErr == nil {
				t.Fatalf("check-config accepted it:\n%s", out.String())
			}
			if got, want := checkErr.Error(), runErr.Error(); got != want {
				t.Errorf("check-config said\n%s\nrun said\n%s", got, want)
			}
			if strings.Contains(runErr.Error(), "discord: discord") || strings.Contains(runErr.Error(), "slack: slack") {
				t.Errorf("doubled prefix: %v", runErr)
			}
		})
	}
}

// TestCheckConfigAcceptsAValidConfig: check-config says valid, shows each
// platform's send rate, and never a secret.
func TestCheckConfigAcceptsAValidConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "studybot.toml")
	cfg := "[discord]\nenabled = true\ntoken = \"sekrit\"\napp_id = \"900\"\n" + slackBase + "app_token = \"xapp-sekrit\"\n"
	os.WriteFile(file, []byte(cfg), 0o600)
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"check-config", "--config", file}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"is valid", "discord: enabled=true mode=gateway token=(set) send_rate=45", "slack: enabled=true mode=socket", "send_rate=10"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String()+errb.String(), "sekrit") {
		t.Errorf("a secret was printed:\n%s", out.String())
	}
}

// TestExampleConfigFileURLs: config.example.toml documents the file hosts
// with the adapters' defaults, and the environment overrides them.
func TestExampleConfigFileURLs(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "..", "config.example.toml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if c.Discord.CDNURL != discord.DefaultCDNURL || c.Slack.FilesURL != slack.DefaultFilesURL {
		t.Errorf("example: cdn_url %q, files_url %q", c.Discord.CDNURL, c.Slack.FilesURL)
	}
	if d := DefaultConfig(); d.Discord.CDNURL != discord.DefaultCDNURL || d.Slack.FilesURL != slack.DefaultFilesURL {
		t.Errorf("defaults: cdn_url %q, files_url %q", d.Discord.CDNURL, d.Slack.FilesURL)
	}
	env := map[string]string{"STUDYBOT_DISCORD_CDN_URL": "http://127.0.0.1:9000", "STUDYBOT_SLACK_FILES_URL": "http://127.0.0.1:9001"}
	c, err = LoadConfig("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Discord.adapter().CDNURL + " " + c.Slack.adapter().FilesURL; got != "http://127.0.0.1:9000 http://127.0.0.1:9001" {
		t.Errorf("from the environment, the adapters get %q", got)
	}
}

// TestNudgeSendRateAlias: the deprecated nudge.send_rate still loads, with a
// warning, as the send_rate of each platform that does not set its own
// (capped at Discord's global limit for Discord).
func TestNudgeSendRateAlias(t *testing.T) {
	tests := []struct {
		name                   string
		file                   string
		env                    map[string]string
		wantDiscord, wantSlack float64
		warns                  string
	}{
		{"NotSet", "", nil, 45, 10, ""},
		{"BothFromAlias", "[nudge]\nsend_rate = 5\n", nil, 5, 5, "using 5 as discord.send_rate and slack.send_rate"},
		{"DiscordCapped", "[nudge]\nsend_rate = 100\n", nil, 50, 100, "nudge.send_rate is deprecated"},
		{"DiscordSetsItsOwn", "[nudge]\nsend_rate = 5\n[discord]\nsend_rate = 30\n", nil, 30, 5, "using 5 as slack.send_rate"},
		{"SlackSetsItsOwnInEnv", "[nudge]\nsend_rate = 5\n", map[string]string{"STUDYBOT_SLACK_SEND_RATE": "3"}, 5, 3, "using 5 as discord.send_rate"},
		{"AliasFromEnv", "", map[string]string{"STUDYBOT_NUDGE_SEND_RATE": "7"}, 7, 7, "nudge.send_rate is deprecated"},
		{"BothSet", "[nudge]\nsend_rate = 5\n[discord]\nsend_rate = 30\n[slack]\nsend_rate = 2\n", nil, 30, 2, "nudge.send_rate is ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "studybot.toml")
			os.WriteFile(file, []byte(tt.file), 0o600)
			c, err := LoadConfig(file, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			if c.Discord.SendRate != tt.wantDiscord || c.Slack.SendRate != tt.wantSlack {
				t.Errorf("send rates discord %v, slack %v; want %v, %v", c.Discord.SendRate, c.Slack.SendRate, tt.wantDiscord, tt.wantSlack)
			}
			got := strings.Join(c.Warnings, "\n")
			if tt.warns == "" && got != "" || !strings.Contains(got, tt.warns) {
				t.Errorf("warnings %q, want one saying %q", got, tt.warns)
			}
		})
	}
}
