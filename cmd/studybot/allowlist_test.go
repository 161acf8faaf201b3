package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSlackAllowedTeamsConfig: slack.allowed_teams comes from the file or
// STUDYBOT_SLACK_ALLOWED_TEAMS (comma-separated), reaches the adapter,
// is validated like the adapter validates it, and check-config shows both
// allowlists.
func TestSlackAllowedTeamsConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "studybot.toml")
	os.WriteFile(file, []byte(discordOK+"guild_ids = [\"111\"]\n"+slackBase+"app_token = \"xapp-1\"\nallowed_teams = [\"T0123ABCD\"]\n"), 0o600)
	c, err := LoadConfig(file, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Slack.adapter().AllowedTeams; !slices.Equal(got, []string{"T0123ABCD"}) {
		t.Errorf("from the file the adapter gets %q", got)
	}
	env := map[string]string{"STUDYBOT_SLACK_ALLOWED_TEAMS": "T0123ABCD, T0456EFGH"}
	c, err = LoadConfig(file, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Slack.adapter().AllowedTeams; !slices.Equal(got, []string{"T0123ABCD", "T0456EFGH"}) {
		t.Errorf("from the environment the adapter gets %q", got)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"check-config", "--config", file}, nil, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if want := "served: discord.guild_ids=111 slack.allowed_teams=T0123ABCD"; !strings.Contains(out.String(), want) {
		t.Errorf("check-config lacks %q:\n%s", want, out.String())
	}
	env["STUDYBOT_SLACK_ALLOWED_TEAMS"] = "https://study.slack.com"
	_, err = LoadConfig(file, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), "config: slack.allowed_teams") {
		t.Errorf("a workspace URL as a team id: %v", err)
	}
}
