package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/discord"
	"github.com/studybot/studybot/bot/slack"
	"github.com/studybot/studybot/store/postgres"
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
	Database    DatabaseConfig    `toml:"database"`
	Roadmap     RoadmapConfig     `toml:"roadmap"`
	Log         LogConfig         `toml:"log"`
	HTTP        HTTPConfig        `toml:"http"`
	Nudge       NudgeConfig       `toml:"nudge"`
	Challenges  ChallengesConfig  `toml:"challenges"`
	Leaderboard LeaderboardConfig `toml:"leaderboard"`
	Discord     DiscordConfig     `toml:"discord"`
	Slack       SlackConfig       `toml:"slack"`

	// Warnings are what LoadConfig accepted but an operator should change
	// (deprecated keys); Main logs them and check-config prints them.
	Warnings []string `toml:"-" json:"-"`
}

// DatabaseConfig locates the bbolt file, or the PostgreSQL database that
// replaces it when URL is set.
type DatabaseConfig struct {
	Path        string   `toml:"path"`
	LockTimeout Duration `toml:"lock_timeout"`
	// URL, a postgres:// or postgresql:// URL, selects the PostgreSQL store,
	// which several studybot processes can share. A Secret because it may
	// hold a password; URLFile reads it from a file instead.
	URL     Secret `toml:"url"`
	URLFile string `toml:"url_file"`
	// MaxConns bounds this process's PostgreSQL connection pool (0: pgxpool's
	// default, the number of CPUs, at least 4).
	MaxConns int `toml:"max_conns"`
	// Poll is how often a process on a shared PostgreSQL database re-reads
	// the challenge schedules other processes set (default 1m).
	Poll Duration `toml:"poll"`
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
	// SendRate is deprecated: each platform paces its own messages
	// (discord.send_rate, slack.send_rate). It is still read, because unknown
	// keys are refused and dropping it would break existing configs; when set,
	// it is the send_rate of each platform that does not set its own.
	SendRate float64 `toml:"send_rate"`
}

// ChallengesConfig tunes weekly challenges.
type ChallengesConfig struct {
	// RecentTopics is how many of a space's last challenges the automatic
	// topic stays clear of.
	RecentTopics int `toml:"recent_topics"`
}

// LeaderboardConfig tunes the leaderboard.
type LeaderboardConfig struct {
	// FastDone is the most topics marked done within one minute that still
	// rank; more count for the member's progress but not on the board.
	FastDone int `toml:"fast_done"`
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
	CDNURL           string   `toml:"cdn_url"`
	// Sharding, gateway mode only (config_shards.go).
	Shards   ShardCount `toml:"shards"`
	ShardIDs ShardIDs   `toml:"shard_ids"`
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
	SendRate          float64  `toml:"send_rate"`
	APIURL            string   `toml:"api_url"`
	FilesURL          string   `toml:"files_url"`
	AllowedTeams      []string `toml:"allowed_teams"`
}

// adapter is the Discord adapter's own Config for these settings.
func (c DiscordConfig) adapter() discord.Config {
	return discord.Config{
		Mode:             c.Mode,
		Token:            string(c.Token),
		AppID:            c.AppID,
		PublicKey:        c.PublicKey,
		GuildIDs:         c.GuildIDs,
		RegisterCommands: c.RegisterCommands,
		SendRate:         c.SendRate,
		APIURL:           c.APIURL,
		CDNURL:           c.CDNURL,
		Shards:           int(c.Shards),
		ShardIDs:         c.ShardIDs,
	}
}

// adapter is the Slack adapter's own Config for these settings.
func (c SlackConfig) adapter() slack.Config {
	return slack.Config{
		Mode:          c.Mode,
		BotToken:      string(c.BotToken),
		AppToken:      string(c.AppToken),
		SigningSecret: string(c.SigningSecret),
		Moderators:    c.Moderators,
		SendRate:      c.SendRate,
		APIURL:        c.APIURL,
		FilesURL:      c.FilesURL,
		AllowedTeams:  c.AllowedTeams,
	}
}

// DefaultConfig is what runs with no file and no environment. Each adapter
// owns its defaults; this only copies them into the file's shape.
func DefaultConfig() Config {
	d, s := discord.DefaultConfig(), slack.DefaultConfig()
	return Config{
		Database:    DatabaseConfig{Path: "./studybot.db", LockTimeout: Duration{time.Second}, Poll: Duration{time.Minute}},
		Log:         LogConfig{Level: "info", Format: "text"},
		Nudge:       NudgeConfig{DefaultZone: "UTC", Grace: Duration{2 * time.Hour}},
		Challenges:  ChallengesConfig{RecentTopics: bot.DefaultChallengeMemory},
		Leaderboard: LeaderboardConfig{FastDone: bot.DefaultFastDone},
		Discord:     DiscordConfig{Mode: d.Mode, RegisterCommands: d.RegisterCommands, SendRate: d.SendRate, APIURL: d.APIURL, CDNURL: d.CDNURL},
		Slack:       SlackConfig{Mode: s.Mode, SendRate: s.SendRate, APIURL: s.APIURL, FilesURL: s.FilesURL},
	}
}

// LoadConfig reads path (none when ""), applies the environment, reads secret
// files and validates. env is os.Environ-style lookup, injected for tests.
func LoadConfig(path string, env func(string) (string, bool)) (Config, error) {
	c := DefaultConfig()
	var md toml.MetaData
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		md, err = toml.Decode(string(data), &c)
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
	// set reports whether the operator gave section.key, in the file or the
	// environment, as opposed to it holding its default.
	set := func(section, key string) bool {
		_, inEnv := env(envName(section, key))
		return inEnv || md.IsDefined(section, key)
	}
	if set("nudge", "send_rate") {
		c.applySendRateAlias(set("discord", "send_rate"), set("slack", "send_rate"))
	}
	for _, s := range []struct {
		val  *Secret
		file string
		name string
	}{
		{&c.Database.URL, c.Database.URLFile, "database.url_file"},
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

// applySendRateAlias makes the deprecated nudge.send_rate the send_rate of
// each platform that does not set its own, with a warning. Before each
// platform paced itself, nudge.send_rate paced nudges and Discord's own pace
// (at most 50/s) capped it, so the Discord copy keeps that cap: a config that
// ran before still runs.
func (c *Config) applySendRateAlias(discordSet, slackSet bool) {
	r := c.Nudge.SendRate
	if !(r > 0) {
		return // Validate refuses it
	}
	var to []string
	if !discordSet {
		c.Discord.SendRate = min(r, discord.MaxSendRate)
		to = append(to, "discord.send_rate")
	}
	if !slackSet {
		c.Slack.SendRate = r
		to = append(to, "slack.send_rate")
	}
	w := "nudge.send_rate is deprecated and will be removed; each platform paces its own messages with discord.send_rate and slack.send_rate"
	if len(to) > 0 {
		w += fmt.Sprintf(" (using %v as %s)", r, strings.Join(to, " and "))
	} else {
		w += " (both are set, so nudge.send_rate is ignored)"
	}
	c.Warnings = append(c.Warnings, w)
}

func envName(section, key string) string {
	return "STUDYBOT_" + strings.ToUpper(section+"_"+key)
}

// applyEnv overrides keys from STUDYBOT_<SECTION>_<KEY> variables, found by
// walking the struct's toml tags so that every key has one.
func applyEnv(c *Config, env func(string) (string, bool)) error {
	cv := reflect.ValueOf(c).Elem()
	for i := 0; i < cv.NumField(); i++ {
		section := cv.Type().Field(i).Tag.Get("toml")
		if section == "-" {
			continue
		}
		sv := cv.Field(i)
		for j := 0; j < sv.NumField(); j++ {
			key := sv.Type().Field(j).Tag.Get("toml")
			name := envName(section, key)
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
	case reflect.Int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		f.SetInt(int64(n))
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
// Each enabled adapter checks its own settings (discord.Config.Validate,
// slack.Config.Validate); this adds what spans sections.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("config: "+format, args...)) }
	if c.Database.Path == "" && c.Database.URL == "" {
		bad("database.path is empty")
	}
	if u := string(c.Database.URL); u != "" && !postgres.IsURL(u) {
		bad("database.url must start with postgres:// or postgresql://")
	}
	if c.Database.MaxConns < 0 {
		bad("database.max_conns %d is negative", c.Database.MaxConns)
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
	if c.Challenges.RecentTopics < 1 || c.Challenges.RecentTopics > 100 {
		bad("challenges.recent_topics must be between 1 and 100, not %d", c.Challenges.RecentTopics)
	}
	if c.Leaderboard.FastDone < 1 || c.Leaderboard.FastDone > 1000 {
		bad("leaderboard.fast_done must be between 1 and 1000, not %d", c.Leaderboard.FastDone)
	}
	if c.Nudge.Grace.Duration < 0 {
		bad("nudge.grace must not be negative")
	}
	if c.Nudge.SendRate < 0 || math.IsNaN(c.Nudge.SendRate) {
		bad("nudge.send_rate (deprecated) must be positive")
	}
	if c.Discord.Enabled {
		errs = append(errs, configErrors(c.Discord.adapter().Validate())...)
		if c.Discord.Mode == discord.ModeHTTP && c.HTTP.Listen == "" {
			bad("discord.mode = \"http\" needs http.listen")
		}
	}
	if c.Slack.Enabled {
		errs = append(errs, configErrors(c.Slack.adapter().Validate())...)
		if c.Slack.Mode == slack.ModeHTTP && c.HTTP.Listen == "" {
			bad("slack.mode = \"http\" needs http.listen")
		}
	}
	return errors.Join(errs...)
}

// ValidateRun is every check `studybot run` makes before it opens the
// database: Validate, an adapter to serve, and a roadmap that loads.
// check-config calls it too, so the two cannot disagree.
func (c Config) ValidateRun() error {
	if err := c.Validate(); err != nil {
		return err
	}
	if !c.Discord.Enabled && !c.Slack.Enabled {
		return errors.New("no adapter is enabled: set discord.enabled or slack.enabled in the config (see config.example.toml), or try the bot with: studybot console")
	}
	_, err := loadRoadmap(c.Roadmap.File)
	return err
}

// configErrors prefixes each of an adapter's validation errors (joined with
// errors.Join) with "config: ", as the rest of Validate's are.
func configErrors(err error) []error {
	if err == nil {
		return nil
	}
	each := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		each = j.Unwrap()
	}
	out := make([]error, len(each))
	for i, e := range each {
		out[i] = fmt.Errorf("config: %w", e)
	}
	return out
}
