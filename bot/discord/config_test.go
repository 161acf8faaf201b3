package discord

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot/bottest"
)

// TestNewRefusesBadConfig: each mistake gets an error that says what to fix.
func TestNewRefusesBadConfig(t *testing.T) {
	key := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		cfg  Config
		says string
	}{
		{"NoToken", Config{AppID: "900"}, "discord.token is not set"},
		{"NoAppID", Config{Token: "t"}, "app_id"},
		{"BadAppID", Config{Token: "t", AppID: "studybot"}, "app_id"},
		{"UnknownMode", Config{Token: "t", AppID: "900", Mode: "webhook"}, "mode"},
		{"HTTPWithoutKey", Config{Token: "t", AppID: "900", Mode: "http"}, "public_key"},
		{"HTTPShortKey", Config{Token: "t", AppID: "900", Mode: "http", PublicKey: "abcd"}, "public_key"},
		{"BadGuild", Config{Token: "t", AppID: "900", GuildIDs: []string{"my server"}}, "discord.guild_ids"},
		{"SendRateAboveDiscordLimit", Config{Token: "t", AppID: "900", SendRate: 51}, "discord.send_rate"},
		{"NegativeSendRate", Config{Token: "t", AppID: "900", SendRate: -1}, "discord.send_rate"},
		{"BadAPIURL", Config{Token: "t", AppID: "900", APIURL: "discord.com/api"}, "api_url"},
		{"BadGatewayURL", Config{Token: "t", AppID: "900", GatewayURL: "http://x"}, "gateway"},
		{"PlainHTTPCDNURL", Config{Token: "t", AppID: "900", CDNURL: "http://cdn.discordapp.com"}, "discord.cdn_url"},
		{"BadCDNURL", Config{Token: "t", AppID: "900", CDNURL: "cdn.discordapp.com"}, "discord.cdn_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, bottest.New(t).Engine, nil, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("New = %v, want an error about %s", err, tt.says)
			}
		})
	}
	b, err := New(Config{Token: "Bot secret", AppID: "900", Mode: "HTTP", PublicKey: key}, bottest.New(t).Engine, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.cancel()
	if b.cfg.Mode != ModeHTTP || b.cfg.Token != "secret" || b.cfg.APIURL != DefaultAPIURL || b.cfg.SendRate != DefaultSendRate || b.cfg.CDNURL != DefaultCDNURL {
		t.Errorf("defaults: %+v", b.cfg)
	}
	if _, err := New(Config{Token: "t", AppID: "900"}, nil, nil, nil); err == nil {
		t.Error("New without an engine succeeded")
	}
}
