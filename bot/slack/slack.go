// Package slack is studybot's Slack adapter and the only package that imports
// github.com/slack-go/slack. It turns /study and /studymod slash commands, button
// clicks and App Home visits into bot.Requests, renders bot.Replies as Block Kit,
// and delivers nudges and challenge posts as a bot.Messenger.
//
// Two transports carry the same handlers: Socket Mode (the default; an outbound
// websocket, no public URL) and HTTP mode (Slack posts signed requests to
// Handler). Either way every slash command and interaction is acknowledged within
// Slack's 3 second limit: a slash command's answer rides in the acknowledgement
// when the engine has it within 2 seconds, else the acknowledgement goes out
// empty and the answer follows through the response_url. Button clicks and
// events are acknowledged at once and handled after.
//
// A command that takes a file (roadmap add) opens a modal with a file input;
// its submission is checked in the acknowledgement, and the file is
// downloaded from Slack's file host with the bot token (files:read) and
// handed to the engine as bytes (file.go).
package slack

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/fetch"
	"github.com/studybot/studybot/bot/workpool"
)

// Manifest is the Slack app manifest (manifest.yaml) that creates a studybot app
// with both slash commands, the scopes used, Socket Mode, the App Home tab and
// interactivity. `studybot slack-manifest` prints it.
//
//go:embed manifest.yaml
var Manifest string

// Modes of operation.
const (
	ModeSocket = "socket"
	ModeHTTP   = "http"
)

// DefaultAPIURL is Slack's Web API base URL.
const DefaultAPIURL = slack.APIURL

// DefaultFilesURL is Slack's file host: files members upload are downloaded
// from it and nowhere else.
const DefaultFilesURL = "https://files.slack.com"

// DefaultSendRate is the default pace of Direct and Post, in messages per
// second across all channels. Slack documents chat.postMessage as about one
// message per second per channel (paced separately, see postInterval) "while
// also maintaining a workspace-wide limit" whose number it does not publish;
// 10/s sends a thousand nudges in under two minutes and stays well below what
// busy apps report sending, and a 429 is waited out anyway.
const DefaultSendRate = 10

// Config configures the Slack adapter. DefaultConfig fills what an operator
// rarely sets; Validate says what is wrong with the rest. Tokens and the
// signing secret are never logged; Config's String and LogValue redact them.
type Config struct {
	Mode          string   // "socket" (default) or "http"
	BotToken      string   // xoxb-; every mode
	AppToken      string   // xapp- app-level token with connections:write; socket mode
	SigningSecret string   // http mode
	Moderators    []string // user ids with moderator rights besides admins and owners
	AllowedTeams  []string // workspace ids served; empty serves every workspace (teams.go)
	SendRate      float64  // Direct and Post messages per second, default DefaultSendRate
	APIURL        string   // Web API base URL, default "https://slack.com/api/"
	// FilesURL is the only place uploaded files are downloaded from (with
	// the bot token), default DefaultFilesURL: an https URL, or http on a
	// loopback address (tests).
	FilesURL string
	// APIObserver, when set, is told about every Web API call the
	// messenger makes (metrics).
	APIObserver bot.APIObserver
}

// DefaultConfig is the configuration before the operator's settings: Socket
// Mode, DefaultSendRate, Slack's Web API and file host.
func DefaultConfig() Config {
	return Config{Mode: ModeSocket, SendRate: DefaultSendRate, APIURL: DefaultAPIURL, FilesURL: DefaultFilesURL}
}

// String describes c without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("slack.Config{Mode:%q BotToken:%s AppToken:%s SigningSecret:%s Moderators:%v SendRate:%v APIURL:%q FilesURL:%q}",
		c.Mode, redact(c.BotToken), redact(c.AppToken), redact(c.SigningSecret), c.Moderators, c.SendRate, c.APIURL, c.FilesURL)
}

// LogValue implements slog.LogValuer so a logged Config never shows a secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("mode", c.Mode),
		slog.String("bot_token", redact(c.BotToken)),
		slog.String("app_token", redact(c.AppToken)),
		slog.String("signing_secret", redact(c.SigningSecret)),
		slog.Any("moderators", c.Moderators),
		slog.Float64("send_rate", c.SendRate),
		slog.String("api_url", c.APIURL),
		slog.String("files_url", c.FilesURL),
	)
}

func redact(secret string) string {
	if secret == "" {
		return `""`
	}
	return "[redacted]"
}

// Tunables. They are variables of the Bot, not constants, so tests can make them
// short; cmd/studybot keeps the defaults.
const (
	// defaultAckBudget is how long a slash command may run before we stop waiting
	// and acknowledge empty, answering later through the response_url. Slack allows
	// 3 s including the network both ways.
	defaultAckBudget = 2 * time.Second
	// userTTL is how long users.info answers (admin flags, zone, name) are reused.
	userTTL = 5 * time.Minute
	// asyncTimeout bounds work that continues after the acknowledgement.
	asyncTimeout = time.Minute
	// maxBody bounds what HTTP mode reads from a request; Slack's payloads are a
	// few KB.
	maxBody = 64 << 10
	// signatureWindow is how far a request's timestamp may be from our clock.
	signatureWindow = 5 * time.Minute
	// postInterval is the pacing of chat.postMessage per channel: Slack
	// documents about one message per second per channel. It is Slack's rule,
	// not a choice, so it is not configurable; Config.SendRate paces the total.
	postInterval = time.Second
	// maxRateLimitWaits is how many 429 answers one send sits out before giving up.
	maxRateLimitWaits = 3
	// maxRetryAfter caps one Retry-After wait; longer means Slack is shedding load.
	maxRetryAfter = 2 * time.Minute
	// shutdownGrace is how long Run gives in-flight work to finish once its
	// context is done. The Discord adapter drains the same way, for the same time.
	shutdownGrace = 5 * time.Second
)

// Bot is the Slack adapter. Create it with New; it is safe for concurrent use.
type Bot struct {
	cfg        Config
	h          bot.Handler
	clock      bot.Clock
	log        *slog.Logger
	api        *slack.Client
	httpc      *http.Client // response_url posts
	files      *fetch.Host  // uploaded files, from Config.FilesURL only, with the bot token
	moderators map[string]bool
	teams      map[string]bool // Config.AllowedTeams; nil serves every workspace (teams.go)

	// ackBudget: see defaultAckBudget. Zero or less answers every command through
	// the response_url.
	ackBudget time.Duration
	// sleep waits for pacing and Retry-After; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	users  *userCache
	pacer  *pacer
	seen   *dedup     // envelope ids and HTTP signatures already handled
	events *eventOnce // Events API event ids: handled once (events.go)
	// deliveries is the store's record of handled events, shared across
	// restarts and processes; nil without a store (UseDeliveries). requests
	// is that of handled commands and clicks (UseRequestDeliveries).
	deliveries *bot.DeliveryLog
	requests   *bot.DeliveryLog
	dmMu       sync.Mutex
	dms        map[string]string // space key + "/" + member -> DM channel id

	// Work continuing after an acknowledgement runs under ctx and is counted
	// in wg; Run drains it on the way out (see drain).
	ctx           context.Context
	cancel        context.CancelFunc
	wg            sync.WaitGroup
	bgMu          sync.Mutex
	closing       bool           // set by drain; async then refuses new work
	shutdownGrace time.Duration  // see the constant
	workers       *workpool.Pool // the goroutines async runs work on

	link bot.Connection // Socket Mode or HTTP mode up or down, for /readyz and /metrics (connection.go)
}

var _ bot.Messenger = (*Bot)(nil)

var (
	userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// New validates cfg (see Validate) and returns a Bot that runs commands on h.
// clock is used for signature windows, caches and pacing; log gets
// operational messages (never a token). It does not connect; Run does.
func New(cfg Config, h bot.Handler, clock bot.Clock, log *slog.Logger) (*Bot, error) {
	if h == nil {
		return nil, errors.New("slack: no handler")
	}
	if clock == nil {
		clock = bot.SystemClock
	}
	if log == nil {
		log = slog.Default()
	}
	cfg.Moderators = slices.Clone(cfg.Moderators)
	cfg.normalize()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bot{
		ctx:           ctx,
		cancel:        cancel,
		shutdownGrace: shutdownGrace,
		workers:       workpool.New(ctx),
		cfg:           cfg,
		h:             h,
		clock:         clock,
		log:           log.With("platform", "slack"),
		httpc:         &http.Client{Timeout: 30 * time.Second, Transport: responseTransport()},
		files:         fetch.New(cfg.FilesURL, http.Header{"Authorization": {"Bearer " + cfg.BotToken}}, fetchTimeout),
		moderators:    map[string]bool{},
		teams:         teamSet(cfg.AllowedTeams),
		ackBudget:     defaultAckBudget,
		sleep:         bot.Sleep,
		users:         newUserCache(),
		pacer:         newPacer(cfg.SendRate),
		seen:          newDedup(16384),
		events:        newEventOnce(),
		dms:           map[string]string{},
	}
	for _, id := range cfg.Moderators {
		b.moderators[id] = true
	}
	opts := []slack.Option{
		slack.OptionAPIURL(cfg.APIURL),
		// No OptionRetry: a chat.postMessage that failed on the connection may
		// have been posted, and a retry would post it twice. 429s are retried by
		// send, which knows the message was refused.
		slack.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second}),
	}
	if cfg.Mode == ModeSocket {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	b.api = slack.New(cfg.BotToken, opts...)
	return b, nil
}

// Moderators returns the member ids Config.Moderators makes moderators, as
// the adapter reads them (trimmed), in the config's order. cmd/studybot gives
// them to the engine, which lists them and keeps them from being removed.
func (b *Bot) Moderators() []string { return slices.Clone(b.cfg.Moderators) }

// normalize trims what operators paste with stray spaces and fills empty
// fields from DefaultConfig.
func (c *Config) normalize() {
	d := DefaultConfig()
	c.Mode = strings.ToLower(strings.TrimSpace(c.Mode))
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	c.BotToken = strings.TrimSpace(c.BotToken)
	c.AppToken = strings.TrimSpace(c.AppToken)
	c.SigningSecret = strings.TrimSpace(c.SigningSecret)
	for i, id := range c.Moderators {
		c.Moderators[i] = strings.TrimSpace(id)
	}
	c.AllowedTeams = trimTeams(c.AllowedTeams)
	if c.SendRate == 0 {
		c.SendRate = d.SendRate
	}
	if c.APIURL == "" {
		c.APIURL = d.APIURL
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	c.FilesURL = strings.TrimRight(strings.TrimSpace(c.FilesURL), "/")
	if c.FilesURL == "" {
		c.FilesURL = d.FilesURL
	}
}

// Validate reports every setting New would refuse, each naming its key as
// config.example.toml spells it (slack.app_token), so `studybot check-config`
// and `studybot run` say the same sentence. Empty fields count as their
// DefaultConfig values.
func (c Config) Validate() error {
	c.Moderators = slices.Clone(c.Moderators)
	c.normalize()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Mode != ModeSocket && c.Mode != ModeHTTP {
		bad("slack.mode %q is not socket or http", c.Mode)
	}
	switch {
	case c.BotToken == "":
		bad("slack.bot_token is not set (slack.bot_token, slack.bot_token_file or STUDYBOT_SLACK_BOT_TOKEN; it starts with xoxb-)")
	case !strings.HasPrefix(c.BotToken, "xoxb-") || strings.ContainsAny(c.BotToken, " \t\r\n"):
		bad("slack.bot_token does not look like a bot token (it starts with xoxb-)")
	}
	switch c.Mode {
	case ModeSocket:
		switch {
		case c.AppToken == "":
			bad("slack.app_token is not set; socket mode needs an app-level token (slack.app_token, slack.app_token_file or STUDYBOT_SLACK_APP_TOKEN; it starts with xapp-)")
		case !strings.HasPrefix(c.AppToken, "xapp-") || strings.ContainsAny(c.AppToken, " \t\r\n"):
			bad("slack.app_token does not look like an app-level token (it starts with xapp-)")
		}
	case ModeHTTP:
		switch {
		case c.SigningSecret == "":
			bad("slack.signing_secret is not set; http mode needs it (slack.signing_secret, slack.signing_secret_file or STUDYBOT_SLACK_SIGNING_SECRET; Basic Information page of the app)")
		case !secretPattern.MatchString(c.SigningSecret):
			bad("slack.signing_secret does not look like one (letters and digits only)")
		}
	}
	for _, id := range c.Moderators {
		if !userIDPattern.MatchString(id) {
			bad("slack.moderators: %q is not a user id such as U0123ABCD (copy it from the member's profile)", id)
		}
	}
	errs = append(errs, teamErrors(c.AllowedTeams)...)
	if !(c.SendRate > 0) || math.IsInf(c.SendRate, 1) {
		bad("slack.send_rate %v must be a number of messages per second above 0", c.SendRate)
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("slack.api_url %q is not an http(s) URL", c.APIURL)
	}
	if !fetch.ValidBase(c.FilesURL) {
		bad("slack.files_url %q is not an https URL (http only on a loopback address, for tests)", c.FilesURL)
	}
	return errors.Join(errs...)
}

// Run connects and serves until ctx is done; call it once. In socket mode it
// holds the Socket Mode connection (reconnecting as Slack asks); in http mode
// requests arrive through Handler and Run only waits. Either way it first
// checks the bot token, so a revoked token fails at start rather than at the
// first nudge. Answers still in flight get shutdownGrace to finish after ctx
// is done; then they are cancelled, and Run returns once they have stopped.
func (b *Bot) Run(ctx context.Context) error {
	defer b.drain(b.shutdownGrace)
	if err := b.authTest(ctx); err != nil {
		return err
	}
	if b.cfg.Mode == ModeHTTP {
		b.linkUp()
		<-ctx.Done()
		return nil
	}
	return b.runSocket(ctx)
}

// authTest fails on refused tokens; an unreachable Slack is only logged, since
// Socket Mode reconnects by itself and HTTP mode needs no outbound call to start.
func (b *Bot) authTest(ctx context.Context) error {
	res, err := b.api.AuthTestContext(ctx)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return fmt.Errorf("the bot token was refused (%s)", se.Err)
		}
		if ctx.Err() != nil {
			return nil
		}
		b.log.Warn("slack auth.test failed; continuing", "err", safeErr(err))
		return nil
	}
	b.log.Info("slack connected", "team", res.TeamID, "bot_user", res.UserID, "mode", b.cfg.Mode)
	return nil
}

// async runs fn after an acknowledgement, detached from the request's context so
// it outlives the HTTP response, and tracked so Run waits for it. It returns
// false, running nothing, once shutdown has begun.
func (b *Bot) async(fn func(ctx context.Context)) bool {
	b.bgMu.Lock()
	defer b.bgMu.Unlock()
	if b.closing {
		return false
	}
	b.wg.Add(1)
	b.workers.Go(func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(b.ctx, asyncTimeout)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				b.log.Error("slack handler panicked", "panic", p)
			}
		}()
		fn(ctx)
	})
	return true
}

// drain turns new work away (async refuses it: HTTP requests that arrive now
// are told to retry), waits up to grace for the work in flight, then cancels
// what is left and waits for it to stop. It is the Discord adapter's drain.
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
		b.log.Warn("slack: in-flight work did not finish in time; cancelling it")
	}
	b.cancel()
	<-done
}

// safeErr strips URLs from transport errors: a response_url is a capability
// that should not land in logs.
func safeErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
