package discord

import (
	"errors"
	"strings"
	"time"

	"github.com/studybot/studybot/bot"
)

// Connection reports whether the adapter is connected to Discord, since when
// and how often it reconnected, for the adapter metrics. In gateway mode it
// sums up Shards: connected when every shard is ready, Since the latest
// change, Reconnects added over the shards. In http mode it is up once Run
// serves.
func (b *Bot) Connection() bot.ConnStatus {
	if b.cfg.Mode != ModeGateway {
		return b.link.Status()
	}
	shards := b.Shards()
	if len(shards) == 0 {
		return bot.ConnStatus{Reason: "discord gateway not started"}
	}
	s := bot.ConnStatus{Connected: true}
	var down []string
	everReady := true
	for _, sh := range shards {
		if sh.Since.After(s.Since) {
			s.Since = sh.Since
		}
		s.Reconnects += sh.Reconnects
		if sh.State != ShardReady {
			s.Connected = false
			down = append(down, sh.State)
		}
		if sh.State == ShardConnecting {
			everReady = false
		}
	}
	if everReady {
		s.Connects = 1 + s.Reconnects
	}
	if !s.Connected {
		s.Reason = "gateway " + strings.Join(down, ", ")
	}
	return s
}

// Ready is the readiness check: ShardsReady in gateway mode (every shard
// ready, or reconnecting for less than grace), else up once Run serves.
func (b *Bot) Ready(now time.Time, grace time.Duration) error {
	if b.cfg.Mode == ModeGateway {
		return b.ShardsReady(now, grace)
	}
	if err := b.link.Status().Ready(now, grace); err != nil {
		return errors.New("discord http mode " + err.Error())
	}
	return nil
}

func (b *Bot) linkUp() { b.link.Up(b.clock.Now()) }

// ShardStates are the states Shards reports, for metrics that show each.
var ShardStates = []string{ShardConnecting, ShardReady, ShardReconnecting, ShardStopped}

// ConfiguredShards are the shards this process runs as its configuration
// names them, known before Run plans them, with no State yet: shard 0 of 1
// unsharded, discord.shard_ids (or every shard) of a numbered
// discord.shards. With "auto" the count comes from Discord when Run starts:
// only discord.shard_ids are known, with Count 0. None in http mode.
// Metrics and health pages show them from the start; Shards takes over once
// Run has planned.
func (b *Bot) ConfiguredShards() []ShardState {
	c := b.cfg
	switch {
	case c.Mode != ModeGateway:
		return nil
	case c.Shards == 0:
		return []ShardState{{ID: 0, Count: 1}}
	}
	ids := c.ShardIDs
	if c.Shards < 0 { // auto
		out := make([]ShardState, len(ids))
		for i, id := range ids {
			out[i] = ShardState{ID: id}
		}
		return out
	}
	if len(ids) == 0 {
		ids = make([]int, c.Shards)
		for i := range ids {
			ids[i] = i
		}
	}
	out := make([]ShardState, len(ids))
	for i, id := range ids {
		out[i] = ShardState{ID: id, Count: c.Shards}
	}
	return out
}
