// Package discord connects studybot's engine to Discord. It is the only package
// that imports github.com/bwmarrin/discordgo.
//
// Members use /study and /studymod slash commands (registered from the engine's
// command table), autocomplete and buttons. Interactions arrive either over the
// gateway websocket (the default: no public URL needed) or as signed HTTP POSTs to
// Handler (Discord's "interactions endpoint URL"). Both modes share one path:
// translate the interaction into a bot.Request, run the engine, render the
// bot.Reply as an embed with buttons, answer within Discord's 3 s window (deferring
// when the engine is slow) and finish over REST. A file attached to a
// command's ATTACHMENT option (roadmap add) is downloaded from Discord's file
// host within that same budget and handed to the engine as bytes
// (attachment.go).
//
// discordgo supplies the data model (interaction, command, embed and component
// types and their JSON codecs). Its Session is deliberately not used: in v0.29.0 it
// keeps the API base URL in package-level variables, reconnects forever on fatal
// close codes such as 4004, sleeps a second in Close, logs the IDENTIFY payload
// (token included) at debug level and waits out 429s with an uncancellable sleep.
// The small REST client (rest.go) and gateway loop (gateway.go) here honour
// Config.APIURL without global state, stop on fatal close codes, never log the
// token, and pace outgoing messages themselves.
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/fetch"
	"github.com/studybot/studybot/bot/workpool"
)

// Modes of receiving interactions.
const (
	ModeGateway = "gateway"
	ModeHTTP    = "http"
)

// DefaultAPIURL is Discord's REST base URL (API v10).
const DefaultAPIURL = "https://discord.com/api/v10"

// DefaultCDNURL is Discord's file host: attachments are downloaded from it
// and nowhere else.
const DefaultCDNURL = "https://cdn.discordapp.com"

// DefaultSendRate is the default pace of outgoing messages per second: a
// little under Discord's global limit of 50 requests per second (MaxSendRate),
// which is what a nudge fan-out can use. The margin is for the few other
// REST calls that count against the global limit (command registration,
// the gateway URL); interaction answers are not bound by it.
const DefaultSendRate = 45

// MaxSendRate is Discord's global limit: 50 requests per second per bot.
// Config.SendRate may exceed it only with a non-default APIURL (a local fake
// in tests and benchmarks, or a proxy that enforces the limit itself).
const MaxSendRate = 50

// Permissions is what the bot asks for in its invite URL: View Channel and Send
// Messages to post challenges in a channel, Embed Links for the embeds, Attach
// Files for the progress card. Slash commands and their replies need none.
const Permissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionEmbedLinks | discordgo.PermissionAttachFiles

// Config configures the adapter. DefaultConfig fills what an operator
// rarely sets; Validate says what is wrong with the rest.
type Config struct {
	Mode             string   // "gateway" (default) or "http"
	Token            string   // bot token; never logged
	AppID            string   // application id
	PublicKey        string   // hex Ed25519 public key, for http mode
	GuildIDs         []string // register per guild when set (instant updates) and serve only these guilds; otherwise global
	RegisterCommands bool     // bulk-overwrite /study and /studymod at start
	SendRate         float64  // Direct and Post requests per second, at most MaxSendRate against DefaultAPIURL
	APIURL           string   // REST base URL, default DefaultAPIURL; tests and proxies set it
	GatewayURL       string   // optional override of the gateway websocket URL (tests)
	// CDNURL is the only place attachments are downloaded from, default
	// DefaultCDNURL: an https URL, or http on a loopback address (tests).
	CDNURL string
	// Shards splits gateway mode over that many connections (0: one
	// connection, unsharded; ShardsAuto: as many as GET /gateway/bot
	// recommends). ShardIDs are the shards this process runs, all when
	// empty, so shards can be spread over processes. See gateway_shard.go.
	Shards   int
	ShardIDs []int

	// DMChannels, when set, keeps members' DM channel ids across restarts,
	// so a nudge is one request rather than two; nil keeps them in memory.
	DMChannels bot.DMChannels
	// APIObserver, when set, is told about every REST request (metrics).
	APIObserver bot.APIObserver
}

// DefaultConfig is the configuration before the operator's settings: gateway
// mode, commands registered at start, DefaultSendRate, Discord's API and
// file host.
func DefaultConfig() Config {
	return Config{Mode: ModeGateway, RegisterCommands: true, SendRate: DefaultSendRate, APIURL: DefaultAPIURL, CDNURL: DefaultCDNURL}
}

// normalize trims what operators paste with stray spaces, accepts a token
// copied with its "Bot " prefix, and fills empty fields from DefaultConfig.
func (c *Config) normalize() {
	d := DefaultConfig()
	c.Mode = strings.ToLower(strings.TrimSpace(c.Mode))
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	c.Token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.Token), "Bot "))
	c.AppID = strings.TrimSpace(c.AppID)
	c.PublicKey = strings.TrimSpace(c.PublicKey)
	for i, g := range c.GuildIDs {
		c.GuildIDs[i] = strings.TrimSpace(g)
	}
	if c.APIURL == "" {
		c.APIURL = d.APIURL
	}
	if c.SendRate == 0 {
		c.SendRate = d.SendRate
	}
	c.CDNURL = strings.TrimRight(strings.TrimSpace(c.CDNURL), "/")
	if c.CDNURL == "" {
		c.CDNURL = d.CDNURL
	}
}

// Validate reports every setting New would refuse, each naming its key as
// config.example.toml spells it (discord.app_id), so `studybot check-config`
// and `studybot run` say the same sentence. Empty fields count as their
// DefaultConfig values.
func (c Config) Validate() error {
	c.GuildIDs = slices.Clone(c.GuildIDs)
	c.normalize()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Mode != ModeGateway && c.Mode != ModeHTTP {
		bad("discord.mode %q is not gateway or http", c.Mode)
	}
	if c.Token == "" {
		bad("discord.token is not set (discord.token, discord.token_file or STUDYBOT_DISCORD_TOKEN)")
	}
	switch {
	case c.AppID == "":
		bad("discord.app_id is not set (the application's numeric id: Developer Portal > General Information)")
	case !snowflake(c.AppID):
		bad("discord.app_id %q is not the application's numeric id (Developer Portal > General Information)", c.AppID)
	}
	if c.Mode == ModeHTTP {
		if _, err := publicKey(c.PublicKey); err != nil {
			bad("discord.public_key must be the application's 64-hex-digit public key for discord.mode = \"http\" (Developer Portal > General Information)")
		}
	}
	for _, g := range c.GuildIDs {
		if !snowflake(g) {
			bad("discord.guild_ids: %q is not a numeric Discord id", g)
		}
	}
	switch {
	case !(c.SendRate > 0) || math.IsInf(c.SendRate, 1): // NaN fails too
		bad("discord.send_rate %v must be above 0 and at most %d (Discord's global limit)", c.SendRate, MaxSendRate)
	case c.SendRate > MaxSendRate && strings.TrimRight(c.APIURL, "/") == DefaultAPIURL:
		bad("discord.send_rate %v must be above 0 and at most %d (Discord's global limit); only a non-default discord.api_url (a local fake, or a proxy that enforces the limit) may go faster", c.SendRate, MaxSendRate)
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("discord.api_url %q is not an http(s) URL", c.APIURL)
	}
	if !fetch.ValidBase(c.CDNURL) {
		bad("discord.cdn_url %q is not an https URL (http only on a loopback address, for tests)", c.CDNURL)
	}
	errs = append(errs, c.shardErrors()...)
	if c.GatewayURL != "" {
		if g, err := url.Parse(c.GatewayURL); err != nil || (g.Scheme != "ws" && g.Scheme != "wss") || g.Host == "" {
			bad("discord gateway URL %q is not a ws(s) URL", c.GatewayURL)
		}
	}
	return errors.Join(errs...)
}

// publicKey decodes the application's hex Ed25519 public key.
func publicKey(s string) (ed25519.PublicKey, error) {
	k, err := hex.DecodeString(s)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, errors.New("not a 64-hex-digit Ed25519 public key")
	}
	return ed25519.PublicKey(k), nil
}

// Bot is the Discord adapter: it serves interactions and is the Discord
// bot.Messenger for nudges and challenge posts. It is safe for concurrent use.
type Bot struct {
	cfg    Config
	h      bot.Handler
	clock  bot.Clock
	log    *slog.Logger
	rest   *rest
	files  *fetch.Host
	pub    ed25519.PublicKey
	guilds map[string]bool // allowed guilds; nil allows all
	pace   *pacer
	seen   *seenCache
	// deliveries is the store's record of answered HTTP interactions, shared
	// across restarts and processes; nil without a store (UseDeliveries).
	deliveries *bot.DeliveryLog

	dmMu sync.Mutex
	dms  map[string]string // user id -> DM channel id, created once

	// deferAfter is how long an interaction waits for the engine before it is
	// deferred; Discord allows 3 s for the first response.
	deferAfter time.Duration
	// workTimeout bounds one engine call; interaction tokens live 15 minutes.
	workTimeout time.Duration
	// shutdownGrace is how long Run waits for in-flight interactions after
	// ctx is done before cancelling them.
	shutdownGrace time.Duration

	// Gateway reconnect backoff: first wait and cap.
	backoff, maxBackoff time.Duration
	dialer              *websocket.Dialer

	// ctx is the lifetime of background work (deferred edits); Run cancels it
	// after in-flight work has had a grace period.
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	bgMu    sync.Mutex
	closing bool           // set by drain; spawn then refuses new work
	workers *workpool.Pool // the goroutines spawn runs work on
	inbox   chan struct{}  // bounds concurrent gateway interactions

	gw *gatewayRuntime // shards, identify pacing, injectable waits (gateway_shard.go)

	link bot.Connection // HTTP mode serving, for /readyz and /metrics (connection.go); the gateway reports through Shards
}

var _ bot.Messenger = (*Bot)(nil)

// New validates cfg (see Validate) and returns a Bot that runs commands on h.
// clock nil means bot.SystemClock; log nil means slog.Default().
func New(cfg Config, h bot.Handler, clock bot.Clock, log *slog.Logger) (*Bot, error) {
	if h == nil {
		return nil, errors.New("discord: no handler")
	}
	if clock == nil {
		clock = bot.SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	cfg.GuildIDs = slices.Clone(cfg.GuildIDs)
	cfg.ShardIDs = slices.Clone(cfg.ShardIDs)
	cfg.normalize()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var pub ed25519.PublicKey
	if cfg.Mode == ModeHTTP {
		pub, _ = publicKey(cfg.PublicKey) // Validate checked it
	}
	var guilds map[string]bool
	for _, g := range cfg.GuildIDs {
		if guilds == nil {
			guilds = map[string]bool{}
		}
		guilds[g] = true
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bot{
		cfg:           cfg,
		h:             h,
		clock:         clock,
		log:           log.With("platform", bot.PlatformDiscord),
		rest:          newREST(cfg.APIURL, cfg.Token),
		files:         fetch.New(cfg.CDNURL, http.Header{"User-Agent": {"DiscordBot (https://github.com/studybot/studybot, 1.0)"}}, fetchTimeout),
		pub:           pub,
		guilds:        guilds,
		pace:          newPacer(cfg.SendRate),
		seen:          newSeenCache(seenTTL, seenMax),
		dms:           map[string]string{},
		deferAfter:    2 * time.Second,
		workTimeout:   time.Minute,
		shutdownGrace: shutdownGrace,
		backoff:       time.Second,
		maxBackoff:    time.Minute,
		dialer:        &websocket.Dialer{HandshakeTimeout: 15 * time.Second},
		ctx:           ctx,
		cancel:        cancel,
		workers:       workpool.New(ctx),
		inbox:         make(chan struct{}, 64),
		gw:            newGatewayRuntime(),
	}
	return b, nil
}

// InviteURL is the OAuth2 URL a server admin opens to add the bot: scopes bot and
// applications.commands, and the Permissions integer.
func (b *Bot) InviteURL() string {
	q := url.Values{}
	q.Set("client_id", b.cfg.AppID)
	q.Set("scope", "bot applications.commands")
	q.Set("permissions", strconv.FormatInt(Permissions, 10))
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}

// shutdownGrace is how long Run gives in-flight work to finish once its
// context is done. The Slack adapter drains the same way, for the same time.
const shutdownGrace = 5 * time.Second

// Run serves until ctx is done; call it once. It first registers the commands when
// Config.RegisterCommands is set (a failure is logged and serving goes on). In
// gateway mode it connects and reconnects; a fatal close code (4004 bad token,
// 4010-4014) or a rejected token returns an error. In http mode it blocks: the
// interactions arrive through Handler. In-flight interactions get
// shutdownGrace to finish after ctx is done; then they are cancelled, and Run
// returns once they have stopped.
func (b *Bot) Run(ctx context.Context) error {
	defer b.drain(b.shutdownGrace)
	b.log.Info("discord starting", "mode", b.cfg.Mode, "invite", b.InviteURL())
	if b.cfg.RegisterCommands {
		if err := b.Register(ctx); err != nil {
			b.log.Error("discord command registration failed; serving with the commands Discord already has", "err", err)
		}
	}
	if b.cfg.Mode == ModeHTTP {
		b.linkUp()
		<-ctx.Done()
		return nil
	}
	return b.runGateway(ctx)
}

// drain turns new work away (spawn refuses it: HTTP requests that arrive now
// are told to retry), waits up to grace for the work in flight, then cancels
// what is left and waits for it to stop.
func (b *Bot) drain(grace time.Duration) {
	b.bgMu.Lock()
	b.closing = true
	b.bgMu.Unlock()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		b.log.Warn("discord: in-flight interactions did not finish in time; cancelling them")
	}
	b.cancel()
	<-done
}

// UseDeliveries makes d the record of answered HTTP interactions (by id), so
// that a replay after a restart, or one a load balancer sends to another
// process sharing the database, is not run twice. Call it before Run.
// Without it, only this process remembers (seen.go). The gateway does not
// consult it: a shard's redeliveries come to the process holding that
// shard's session, whose memory already has them.
func (b *Bot) UseDeliveries(d bot.Deliveries) {
	b.deliveries = bot.NewDeliveryLog(d)
}

// allowed reports whether the adapter serves guild; with Config.GuildIDs set, only
// those guilds are served.
func (b *Bot) allowed(guild string) bool {
	return b.guilds == nil || b.guilds[guild]
}

// snowflake reports whether s looks like a Discord id.
func snowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
