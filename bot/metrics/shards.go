package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Per-shard families: a bot in Discord's gateway mode runs one connection
// per shard (discord.shards, discord.shard_ids), and the adapter families sum
// them up; these show which shard is down. Every shard the configuration
// names is present from the first scrape, with every state at 0 until the
// shard starts, so an alert on "not ready" works before Run.
var (
	descShardState = prometheus.NewDesc("studybot_adapter_shard_state",
		"1 for the state each gateway shard is in (connecting, ready, reconnecting, stopped), 0 for the others; all 0 before the shard starts.",
		[]string{"adapter", "shard", "state"}, nil)
	descShardReconnects = prometheus.NewDesc("studybot_adapter_shard_reconnects_total",
		"Times a ready gateway shard lost its connection.",
		[]string{"adapter", "shard"}, nil)
	descShardSince = prometheus.NewDesc("studybot_adapter_shard_state_since_seconds",
		"Unix time of the shard's last state change; 0 before it starts.",
		[]string{"adapter", "shard"}, nil)
)

// Shard is one gateway shard as the adapter sees it; cmd/studybot fills it
// from the Discord adapter, so this package imports no adapter.
type Shard struct {
	ID         int
	State      string
	Since      time.Time
	Reconnects int
}

// shardSource is one adapter's shards.
type shardSource struct {
	adapter    string
	configured []int    // shards the configuration names; shown before they start
	states     []string // every state a shard can be in, one series each
	now        func() []Shard
}

// Shards adds an adapter's gateway shards to the studybot_adapter_shard_*
// families. configured are the shard ids the configuration names (none when
// the count comes from Discord at start, "auto"); states are every state a
// shard can be in; now is called at each scrape.
func (m *Metrics) Shards(adapter string, configured []int, states []string, now func() []Shard) {
	m.ops.mu.Lock()
	defer m.ops.mu.Unlock()
	m.ops.shards = append(m.ops.shards, shardSource{adapter, configured, states, now})
}

func (s shardSource) collect(ch chan<- prometheus.Metric) {
	byID := map[int]Shard{}
	var ids []int
	for _, id := range s.configured {
		if _, ok := byID[id]; !ok {
			byID[id] = Shard{ID: id}
			ids = append(ids, id)
		}
	}
	for _, sh := range s.now() {
		if _, ok := byID[sh.ID]; !ok {
			ids = append(ids, sh.ID)
		}
		byID[sh.ID] = sh
	}
	for _, id := range ids {
		sh := byID[id]
		label := strconv.Itoa(id)
		for _, st := range s.states {
			v := 0.0
			if sh.State == st {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descShardState, prometheus.GaugeValue, v, s.adapter, label, st)
		}
		since := 0.0
		if !sh.Since.IsZero() {
			since = float64(sh.Since.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(descShardReconnects, prometheus.CounterValue, float64(sh.Reconnects), s.adapter, label)
		ch <- prometheus.MustNewConstMetric(descShardSince, prometheus.GaugeValue, since, s.adapter, label)
	}
}
