package main

import (
	"fmt"
	"time"

	"github.com/studybot/studybot/bot/discord"
	"github.com/studybot/studybot/bot/metrics"
)

// sharded is an adapter that runs gateway shards (Discord in gateway mode):
// each shows on /metrics, and as a line of /readyz and /healthz, from the
// start.
type sharded interface {
	Shards() []discord.ShardState           // once Run has planned them
	ConfiguredShards() []discord.ShardState // before: what the configuration names
}

// currentShards is what a shard line or gauge shows: the running shards once
// Run has planned them, else the configured ones, not started.
func currentShards(s sharded) []discord.ShardState {
	if sh := s.Shards(); len(sh) > 0 {
		return sh
	}
	return s.ConfiguredShards()
}

// registerShards adds a's shards to the per-shard metric families.
func (m *Main) registerShards(a adapter) {
	if a.shards == nil {
		return
	}
	var ids []int
	for _, s := range a.shards.ConfiguredShards() {
		ids = append(ids, s.ID)
	}
	m.Metrics.Shards(a.name, ids, discord.ShardStates, func() []metrics.Shard {
		var out []metrics.Shard
		for _, s := range a.shards.Shards() {
			out = append(out, metrics.Shard{ID: s.ID, State: s.State, Since: s.Since, Reconnects: s.Reconnects})
		}
		return out
	})
}

// shardLines is one line per shard of every sharded adapter, for the bodies
// of /readyz and /healthz: "discord shard 1 of 2: ready since <time>,
// 0 reconnects", or "... not started" before Run.
func (m *Main) shardLines() []string {
	var lines []string
	for _, a := range m.adapters {
		if a.shards == nil {
			continue
		}
		for _, s := range currentShards(a.shards) {
			name := fmt.Sprintf("%s shard %d", a.name, s.ID)
			if s.Count > 0 {
				name += fmt.Sprintf(" of %d", s.Count)
			}
			if s.State == "" {
				lines = append(lines, name+": not started")
				continue
			}
			lines = append(lines, fmt.Sprintf("%s: %s since %s, %d reconnects", name, s.State, s.Since.UTC().Format(time.RFC3339), s.Reconnects))
		}
	}
	return lines
}
