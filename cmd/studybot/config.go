package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Secret is a token or key. It never prints: fmt, logs and JSON show only
// whether it is set.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return "(not set)"
	}
	return "(set)"
}

// GoString keeps %#v from leaking it too.
func (s Secret) GoString() string { return s.String() }

// MarshalText redacts the secret in any encoder.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Duration is a time.Duration written as "2h" or "500ms" in TOML and env.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration (use forms like 90s, 2h)", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Config is the whole configuration: config.example.toml documents every key.
// Every key can be overridden by STUDYBOT_<SECTION>_<KEY> (for example
// STUDYBOT_DISCORD_TOKEN), and every secret can come from a file named by its
// *_file key (or STUDYBOT_<SECTION>_<KEY>_FILE).
type Config struct {
	Database DatabaseConfig `toml:"database"`
	Roadmap  RoadmapConfig  `toml:"roadmap"`
	Log      LogConfig      `toml:"log"`
	HTTP     HTTPConfig     `toml:"http"`
	Nudge    NudgeConfig    `toml:"nudge"`
	Discord  DiscordConfig  `toml:"discord"`
	Slack    SlackConfig    `toml:"slack"`
}

// DatabaseConfig locates the bbolt file.
type DatabaseConfig struct {
	Path        string   `toml:"path"`
	LockTimeout Duration `toml:"lock_timeout"`
}

// RoadmapConfig selects the roadmap.
type RoadmapConfig struct {
	File string `toml:"file"`
}

// LogConfig sets logging.
type LogConfig struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// HTTPConfig is the shared listener for HTTP modes, health and metrics.
type HTTPConfig struct {
	Listen string `toml:"listen"`
}

// NudgeConfig tunes daily nudges.
type NudgeConfig struct {
	DefaultZone string   `toml:"default_zone"`
	Grace       Duration `toml:"grace"`
	SendRate    float64  `toml:"send_rate"`
}

// DiscordConfig configures the Discord adapter.
type DiscordConfig struct {
	Enabled          bool     `toml:"enabled"`
	Mode             string   `toml:"mode"`
	Token            Secret   `toml:"token"`
	TokenFile        string   `toml:"token_file"`
	AppID            string   `toml:"app_id"`
	PublicKey        string   `toml:"public_key"`
	GuildIDs         []string `toml:"guild_ids"`
	RegisterCommands bool     `toml:"register_commands"`
	SendRate         float64  `toml:"send_rate"`
	APIURL           string   `toml:"api_url"`
}

// SlackConfig configures the Slack adapter.
type SlackConfig struct {
	Enabled           bool     `toml:"enabled"`
	Mode              string   `toml:"mode"`
	BotToken          Secret   `toml:"bot_token"`
	BotTokenFile      string   `toml:"bot_token_file"`
	AppToken          Secret   `toml:"app_token"`
	AppTokenFile      string   `toml:"app_token_file"`
	SigningSecret     Secret   `toml:"signing_secret"`
	SigningSecretFile string   `toml:"signing_secret_file"`
	Moderators        []string `toml:"moderators"`
	APIURL            string   `toml:"api_url"`
}

// DefaultConfig is what runs with no file and no environment.
func DefaultConfig() Config {
	return Config{
		Database: DatabaseConfig{Path: "./studybot.db", LockTimeout: Duration{time.Second}},
		Log:      LogConfig{Level: "info", Format: "text"},
		Nudge:    NudgeConfig{DefaultZone: "UTC", Grace: Duration{2 * time.Hour}, SendRate: 20},
		Discord:  DiscordConfig{Mode: "gateway", RegisterCommands: true, SendRate: 40, APIURL: "https://discord.com/api/v10"},
		Slack:    SlackConfig{Mode: "socket", APIURL: "https://slack.com/api/"},
	}
}

// LoadConfig reads path (none when ""), applies the environment, reads secret
// files and validates. env is os.Environ-style lookup, injected for tests.
func LoadConfig(path string, env func(string) (string, bool)) (Config, error) {
	c := DefaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		md, err := toml.Decode(string(data), &c)
		if err != nil {
			var pe toml.ParseError
			if errors.As(err, &pe) {
				return c, fmt.Errorf("config %s:%d: %s", path, pe.Position.Line, pe.Message)
			}
			return c, fmt.Errorf("config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			return c, fmt.Errorf("config %s: unknown key %q", path, und[0].String())
		}
	}
	if err := applyEnv(&c, env); err != nil {
		return c, err
	}
	for _, s := range []struct {
		val  *Secret
		file string
		name string
	}{
		{&c.Discord.Token, c.Discord.TokenFile, "discord.token_file"},
		{&c.Slack.BotToken, c.Slack.BotTokenFile, "slack.bot_token_file"},
		{&c.Slack.AppToken, c.Slack.AppTokenFile, "slack.app_token_file"},
		{&c.Slack.SigningSecret, c.Slack.SigningSecretFile, "slack.signing_secret_file"},
	} {
		if s.file == "" {
			continue
		}
		b, err := os.ReadFile(s.file)
		if err != nil {
			return c, fmt.Errorf("config %s: %w", s.name, err)
		}
		*s.val = Secret(strings.TrimSpace(string(b)))
	}
	c.Discord.Mode = strings.ToLower(strings.TrimSpace(c.Discord.Mode))
	c.Slack.Mode = strings.ToLower(strings.TrimSpace(c.Slack.Mode))
	return c, c.Validate()
}

// applyEnv overrides keys from STUDYBOT_<SECTION>_<KEY> variables, found by
// walking the struct's toml tags so that every key has one.
func applyEnv(c *Config, env func(string) (string, bool)) error {
	cv := reflect.ValueOf(c).Elem()
	for i := 0; i < cv.NumField(); i++ {
		section := cv.Type().Field(i).Tag.Get("toml")
		sv := cv.Field(i)
		for j := 0; j < sv.NumField(); j++ {
			key := sv.Type().Field(j).Tag.Get("toml")
			name := "STUDYBOT_" + strings.ToUpper(section+"_"+key)
			v, ok := env(name)
			if !ok {
				continue
			}
			if err := setField(sv.Field(j), v); err != nil {
				return fmt.Errorf("config: %s: %w", name, err)
			}
		}
	}
	return nil
}

func setField(f reflect.Value, v string) error {
	if u, ok := f.Addr().Interface().(interface{ UnmarshalText([]byte) error }); ok {
		return u.UnmarshalText([]byte(v))
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(v)
	case reflect.Bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		f.SetBool(b)
	case reflect.Float64:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		f.SetFloat(x)
	case reflect.Slice:
		var items []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported kind %s", f.Kind())
	}
	return nil
}

// Validate checks values that would otherwise fail late, with the key named.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("config: "+format, args...)) }
	if c.Database.Path == "" {
		bad("database.path is empty")
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level %q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format %q is not text or json", c.Log.Format)
	}
	if _, err := time.LoadLocation(c.Nudge.DefaultZone); err != nil || c.Nudge.DefaultZone == "Local" {
		bad("nudge.default_zone %q is not an IANA time zone", c.Nudge.DefaultZone)
	}
	if c.Nudge.Grace.Duration < 0 {
		bad("nudge.grace must not be negative")
	}
	if c.Nudge.SendRate <= 0 {
		bad("nudge.send_rate must be positive")
	}
	for key, u := range map[string]string{"discord.api_url": c.Discord.APIURL, "slack.api_url": c.Slack.APIURL} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			bad("%s %q is not an http(s) URL", key, u)
		}
	}
	if c.Discord.Enabled {
		switch c.Discord.Mode {
		case "gateway":
		case "http":
			if c.HTTP.Listen == "" {
				bad("discord.mode = \"http\" needs http.listen")
			}
			if c.Discord.PublicKey == "" {
				bad("discord.mode = \"http\" needs discord.public_key")
			}
		default:
			bad("discord.mode %q is not gateway or http", c.Discord.Mode)
		}
		if c.Discord.Token == "" {
			bad("discord is enabled but has no token (discord.token, discord.token_file or STUDYBOT_DISCORD_TOKEN)")
		}
		if c.Discord.AppID == "" {
			bad("discord is enabled but discord.app_id is empty")
		}
		if c.Discord.SendRate <= 0 || c.Discord.SendRate > 50 {
			bad("discord.send_rate must be above 0 and at most 50 (Discord's global limit)")
		}
	}
	if c.Slack.Enabled {
		switch c.Slack.Mode {
		case "socket":
			if c.Slack.AppToken == "" {
				bad("slack.mode = \"socket\" needs an app-level token (slack.app_token or STUDYBOT_SLACK_APP_TOKEN)")
			}
		case "http":
			if c.HTTP.Listen == "" {
				bad("slack.mode = \"http\" needs http.listen")
			}
			if c.Slack.SigningSecret == "" {
				bad("slack.mode = \"http\" needs slack.signing_secret (or STUDYBOT_SLACK_SIGNING_SECRET)")
			}
		default:
			bad("slack.mode %q is not socket or http", c.Slack.Mode)
		}
		if c.Slack.BotToken == "" {
			bad("slack is enabled but has no bot token (slack.bot_token or STUDYBOT_SLACK_BOT_TOKEN)")
		}
	}
	return errors.Join(errs...)
}
