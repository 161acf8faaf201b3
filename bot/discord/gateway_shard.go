package discord

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
)

// Sharding, in gateway mode. Discord requires a bot in 2,500 servers or more
// to split its gateway session into shards (else it closes the connection
// with 4011): shard i of n receives the events, interactions included, of
// the guilds with (guild_id >> 22) % n == i, and direct messages on shard 0.
// Config.Shards sets n (ShardsAuto asks GET /gateway/bot); Config.ShardIDs
// the shards this process runs, so several processes can share one bot,
// each running its own shards. Each shard is its own connection and session
// (gateway.go), and they share the identify budget: Discord accepts
// max_concurrency IDENTIFYs per 5 seconds, one per bucket (shard_id %
// max_concurrency).
//
// HTTP interactions mode needs no gateway, hence no sharding, and scales by
// running replicas behind a load balancer; it is the documented path for
// several processes.

// ShardsAuto as Config.Shards runs as many shards as Discord recommends.
const ShardsAuto = -1

// maxShards bounds Config.Shards: far beyond any study bot, and it keeps a
// typo from opening thousands of connections.
const maxShards = 1024

// identifyWindow is Discord's identify rate: one IDENTIFY per bucket per 5 s.
const identifyWindow = 5 * time.Second

// Shard connection states, as ShardState.State gives them.
const (
	ShardConnecting   = "connecting"   // not ready yet since Run began
	ShardReady        = "ready"        // READY or RESUMED received
	ShardReconnecting = "reconnecting" // lost its connection; coming back
	ShardStopped      = "stopped"      // Run returned, or a fatal close code
)

// ShardState is one gateway shard as the adapter sees it, for readiness
// checks and metrics.
type ShardState struct {
	ID    int // shard id, 0 when unsharded
	Count int // shards in all, 1 when unsharded
	State string
	// Since is when State last changed, on the adapter's clock: a readiness
	// check can let a short reconnect pass.
	Since time.Time
	// Reconnects counts how often a ready shard lost its connection.
	Reconnects int
}

// Shards returns the state of each shard this process runs, in shard order;
// one entry when unsharded, none in http mode or before Run has planned them.
func (b *Bot) Shards() []ShardState {
	b.gw.mu.Lock()
	shards := slices.Clone(b.gw.shards)
	b.gw.mu.Unlock()
	out := make([]ShardState, len(shards))
	for i, sh := range shards {
		out[i] = sh.snapshot()
	}
	return out
}

// ShardsReady is a readiness check over Shards: nil when every shard this
// process runs is ready, or has been reconnecting for less than grace at now
// (reconnects are routine, and restarting the process for one would cost
// identifies); otherwise an error naming each shard that is not. In http
// mode there is no gateway, and it is nil.
func (b *Bot) ShardsReady(now time.Time, grace time.Duration) error {
	if b.cfg.Mode != ModeGateway {
		return nil
	}
	shards := b.Shards()
	if len(shards) == 0 {
		return errors.New("discord gateway not started")
	}
	var errs []error
	for _, s := range shards {
		switch {
		case s.State == ShardReady:
		case s.State == ShardReconnecting && now.Sub(s.Since) < grace:
		case s.Count > 1:
			errs = append(errs, fmt.Errorf("discord shard %d of %d %s since %s", s.ID, s.Count, s.State, s.Since.UTC().Format(time.RFC3339)))
		default:
			errs = append(errs, fmt.Errorf("discord gateway %s since %s", s.State, s.Since.UTC().Format(time.RFC3339)))
		}
	}
	return errors.Join(errs...)
}

// shardErrors is Validate's part for Shards and ShardIDs.
func (c Config) shardErrors() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case c.Shards < ShardsAuto || c.Shards > maxShards:
		bad("discord.shards %d must be \"auto\" or a number from 1 to %d", c.Shards, maxShards)
		return errs
	case c.Shards != 0 && c.Mode == ModeHTTP:
		bad("discord.shards applies to gateway mode only; http mode needs no sharding (run replicas behind a load balancer instead)")
	case c.Shards == 0 && len(c.ShardIDs) > 0:
		bad("discord.shard_ids needs discord.shards (\"auto\" or the total number of shards)")
	}
	seen := map[int]bool{}
	for _, id := range c.ShardIDs {
		switch {
		case id < 0 || (c.Shards > 0 && id >= c.Shards):
			bad("discord.shard_ids: %d is not a shard of %d (ids run from 0 to discord.shards - 1)", id, c.Shards)
		case seen[id]:
			bad("discord.shard_ids: %d is listed twice", id)
		}
		seen[id] = true
	}
	return errs
}

// shard is one gateway connection's lasting state: its session survives
// reconnects.
type shard struct {
	id, count int // count 0: unsharded, IDENTIFY carries no shard field
	sess      session

	mu    sync.Mutex
	state ShardState
}

// set moves the shard to state at now. Connecting after it was ready counts
// a reconnect and reads as ShardReconnecting until it is ready again.
func (sh *shard) set(state string, now time.Time) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	cur := sh.state.State
	if state == ShardConnecting {
		switch cur {
		case ShardConnecting, ShardReconnecting:
			return
		case ShardReady:
			sh.state.Reconnects++
			state = ShardReconnecting
		}
	}
	if cur != state {
		sh.state.State, sh.state.Since = state, now
	}
}

func (sh *shard) snapshot() ShardState {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.state
}

// logArgs name the shard in log lines, nothing when unsharded.
func (sh *shard) logArgs() []any {
	if sh.count == 0 {
		return nil
	}
	return []any{"shard", sh.id, "shards", sh.count}
}

// gatewayRuntime is the gateway's state shared by its shards, and the waits
// tests replace.
type gatewayRuntime struct {
	// sleep waits for backoff and identify pacing; newTimer makes heartbeat
	// timers. Tests step both by hand.
	sleep    func(ctx context.Context, d time.Duration) error
	newTimer func(d time.Duration) gwTimer

	ids identifyGate

	mu     sync.Mutex
	shards []*shard
	url    string // from GET /gateway/bot when sharded; "" asks per connection
}

func newGatewayRuntime() *gatewayRuntime {
	return &gatewayRuntime{sleep: bot.Sleep, newTimer: newRealTimer, ids: identifyGate{next: map[int]time.Time{}, concurrency: 1}}
}

// gwTimer is the part of *time.Timer the heartbeat uses.
type gwTimer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

type realTimer struct{ t *time.Timer }

func newRealTimer(d time.Duration) gwTimer { return realTimer{time.NewTimer(d)} }
func (r realTimer) C() <-chan time.Time    { return r.t.C }
func (r realTimer) Reset(d time.Duration)  { r.t.Reset(d) }
func (r realTimer) Stop()                  { r.t.Stop() }

// identifyGate hands out IDENTIFY slots: one per bucket per identifyWindow,
// where a shard's bucket is its id % concurrency (Discord's max_concurrency).
// Slots are booked, so shards starting together queue instead of all
// identifying at once, and a shard whose sessions keep failing identifies at
// most once per window however short its backoff.
type identifyGate struct {
	mu          sync.Mutex
	concurrency int
	next        map[int]time.Time // bucket -> earliest next IDENTIFY
}

func (g *identifyGate) setConcurrency(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.concurrency = max(1, n)
}

// reserve books the shard's next slot and says how long to wait for it.
func (g *identifyGate) reserve(shardID int, now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	bucket := shardID % max(1, g.concurrency)
	at := now
	if n, ok := g.next[bucket]; ok && n.After(now) {
		at = n
	}
	g.next[bucket] = at.Add(identifyWindow)
	return at.Sub(now)
}

// gatewayBot is GET /gateway/bot's answer.
type gatewayBot struct {
	URL               string `json:"url"`
	Shards            int    `json:"shards"`
	SessionStartLimit struct {
		Total          int   `json:"total"`
		Remaining      int   `json:"remaining"`
		ResetAfter     int64 `json:"reset_after"` // milliseconds
		MaxConcurrency int   `json:"max_concurrency"`
	} `json:"session_start_limit"`
}

// errTokenRejected is the fatal error for a 401 on GET /gateway/bot.
var errTokenRejected = &FatalError{Code: http.StatusUnauthorized, Reason: "Discord rejected the bot token (HTTP 401); check discord.token"}

func (b *Bot) fetchGatewayBot(ctx context.Context) (*gatewayBot, error) {
	var out gatewayBot
	err := b.send(ctx, false, "get gateway", http.MethodGet, "/gateway/bot", nil, nil, &out)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		return nil, errTokenRejected
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// waitStartLimit waits out Discord's daily session start budget when it is
// spent: identifying beyond it gets the bot token reset, which is far worse
// than waiting for reset_after.
func (b *Bot) waitStartLimit(ctx context.Context, info *gatewayBot) error {
	l := info.SessionStartLimit
	if l.Total == 0 || l.Remaining > 0 {
		return nil
	}
	wait := time.Duration(l.ResetAfter) * time.Millisecond
	b.log.Error("discord: the daily session start limit is used up (too many restarts or reconnects); waiting for it to reset before identifying",
		"total", l.Total, "reset_after", wait)
	return b.gw.sleep(ctx, wait)
}

// planShards decides which shards this process runs. Unsharded, that is one
// shard and no request; sharded, GET /gateway/bot gives the count (for
// ShardsAuto), the identify concurrency and the URL, retried with backoff
// until Discord answers.
func (b *Bot) planShards(ctx context.Context) ([]*shard, error) {
	now := b.clock.Now()
	if b.cfg.Shards == 0 {
		sh := &shard{}
		sh.state = ShardState{ID: 0, Count: 1, State: ShardConnecting, Since: now}
		b.gw.mu.Lock()
		b.gw.shards = []*shard{sh}
		b.gw.mu.Unlock()
		return []*shard{sh}, nil
	}
	var info *gatewayBot
	for attempt := 1; ; attempt++ {
		var err error
		info, err = b.fetchGatewayBot(ctx)
		if err == nil {
			break
		}
		var fatal *FatalError
		if errors.As(err, &fatal) || ctx.Err() != nil {
			return nil, err
		}
		wait := b.backoffFor(attempt)
		b.log.Warn("discord: cannot ask Discord for the shard count; retrying", "err", err, "in", wait)
		if err := b.gw.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	if err := b.waitStartLimit(ctx, info); err != nil {
		return nil, err
	}
	count := b.cfg.Shards
	if count == ShardsAuto {
		count = max(1, info.Shards)
	}
	ids := b.cfg.ShardIDs
	if len(ids) == 0 {
		for i := range count {
			ids = append(ids, i)
		}
	}
	for _, id := range ids {
		if id >= count {
			return nil, &FatalError{Code: 4010, Reason: fmt.Sprintf("discord.shard_ids lists shard %d, but Discord recommends %d shards for discord.shards = \"auto\"; set discord.shards to the total you split discord.shard_ids from", id, count)}
		}
	}
	b.gw.ids.setConcurrency(info.SessionStartLimit.MaxConcurrency)
	shards := make([]*shard, 0, len(ids))
	for _, id := range slices.Sorted(slices.Values(ids)) {
		sh := &shard{id: id, count: count}
		sh.state = ShardState{ID: id, Count: count, State: ShardConnecting, Since: now}
		shards = append(shards, sh)
	}
	b.gw.mu.Lock()
	b.gw.shards = shards
	if b.cfg.GatewayURL == "" {
		b.gw.url = info.URL
	}
	b.gw.mu.Unlock()
	l := info.SessionStartLimit
	b.log.Info("discord gateway sharded", "shards", count, "running", ids, "max_concurrency", max(1, l.MaxConcurrency), "session_starts_remaining", l.Remaining)
	if l.Total > 0 && l.Remaining < len(ids) {
		// Discord resets the budget after reset_after; identifying beyond
		// it gets the token reset, so say so before it happens.
		b.log.Warn("discord: fewer session starts remain today than shards to start; some will fail until the budget resets",
			"remaining", l.Remaining, "reset_after", time.Duration(l.ResetAfter)*time.Millisecond, "at", now.Add(time.Duration(l.ResetAfter)*time.Millisecond))
	}
	return shards, nil
}

// runGateway runs every shard of this process until ctx is done or one of
// them stops for good, which stops the others: a bot that is missing shards
// would answer only some guilds.
func (b *Bot) runGateway(ctx context.Context) error {
	shards, err := b.planShards(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		b.log.Error("discord gateway stopped", "err", err)
		return err
	}
	if len(shards) == 1 {
		return b.runShard(ctx, shards[0])
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(shards))
	for _, sh := range shards {
		go func() {
			err := b.runShard(ctx, sh)
			if err != nil {
				cancel()
			}
			errs <- err
		}()
	}
	var first error
	for range shards {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// invalidSessionWait is how long to wait after a non-resumable op 9 before
// identifying again: Discord asks for a random 1 to 5 seconds.
func invalidSessionWait() time.Duration {
	return time.Second + rand.N(4*time.Second)
}

// logFatal logs why a shard stopped, in the operator's terms.
func (b *Bot) logFatal(sh *shard, fatal *FatalError) {
	args := append([]any{"code", fatal.Code, "reason", fatal.Reason}, sh.logArgs()...)
	if fatal.Code == 4011 {
		if sh.count == 0 {
			b.log.Error("discord requires sharding: the bot is in too many servers (2,500 or more) for one gateway connection. "+
				"Set discord.shards = \"auto\" in the config (or switch to discord.mode = \"http\", which needs no sharding) and restart", args...)
		} else {
			b.log.Error("discord requires more shards: each shard serves too many servers. "+
				"Set discord.shards = \"auto\" (or a higher number) in the config and restart", args...)
		}
		return
	}
	b.log.Error("discord gateway stopped", args...)
}
