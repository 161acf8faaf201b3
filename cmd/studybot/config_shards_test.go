package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot/discord"
)

func TestDiscordShardSettings(t *testing.T) {
	const enabled = "[discord]\nenabled = true\ntoken = \"x.y.z\"\napp_id = \"900\"\n"
	tests := []struct {
		name    string
		file    string
		env     map[string]string
		shards  int
		ids     []int
		wantErr string
	}{
		{"Unsharded", enabled, nil, 0, nil, ""},
		{"Auto", enabled + "shards = \"auto\"\n", nil, discord.ShardsAuto, nil, ""},
		{"NumberAndIDs", enabled + "shards = 4\nshard_ids = [2, 3]\n", nil, 4, []int{2, 3}, ""},
		{"FromEnv", enabled, map[string]string{"STUDYBOT_DISCORD_SHARDS": "auto", "STUDYBOT_DISCORD_SHARD_IDS": "0, 2"}, discord.ShardsAuto, []int{0, 2}, ""},
		{"ErrWord", enabled + "shards = \"many\"\n", nil, 0, nil, "discord.shards must be \"auto\" or a number"},
		{"ErrIDsNotNumbers", enabled + "shards = 2\nshard_ids = [\"a\"]\n", nil, 0, nil, "discord.shard_ids"},
		{"ErrIDOutOfRange", enabled + "shards = 2\nshard_ids = [0, 2]\n", nil, 0, nil, "discord.shard_ids: 2 is not a shard of 2"},
		{"ErrIDsAlone", enabled + "shard_ids = [0]\n", nil, 0, nil, "discord.shard_ids needs discord.shards"},
		{"ErrEnvWord", enabled, map[string]string{"STUDYBOT_DISCORD_SHARDS": "lots"}, 0, nil, "STUDYBOT_DISCORD_SHARDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "studybot.toml")
			if err := os.WriteFile(file, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(file, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadConfig = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := c.Discord.adapter()
			if a.Shards != tt.shards || !slices.Equal(a.ShardIDs, tt.ids) {
				t.Errorf("shards %d ids %v, want %d %v", a.Shards, a.ShardIDs, tt.shards, tt.ids)
			}
		})
	}
}
