package discord

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// shardOf returns the "shard" field of an IDENTIFY, "" when it has none.
func shardOf(t *testing.T, f gwFrame) string {
	t.Helper()
	s, ok := f.data(t)["shard"].([]any)
	if !ok {
		return ""
	}
	return fmt.Sprint(s...)
}

// TestGatewayTwoShardsInOneProcess: discord.shards = 2 opens two
// connections, each identifying as its shard; with max_concurrency 1 the
// second waits for the identify window; both serve interactions, and
// Shards() reports each.
func TestGatewayTwoShardsInOneProcess(t *testing.T) {
	h := newGatewayHarness(t, Config{Shards: 2, GatewayURL: "-"})
	h.waits.hold = true
	run := runBot(t, h.Bot)
	got := map[string]*gwConn{}
	for range 2 {
		c := h.fake.accept()
		f := c.handshake()
		if f.Op != opIdentify {
			t.Fatalf("op %d, want IDENTIFY", f.Op)
		}
		got[shardOf(t, f)] = c
	}
	if got["0 2"] == nil || got["1 2"] == nil {
		t.Fatalf("IDENTIFY shards %v, want [0 2] and [1 2]", slices.Collect(maps.Keys(got)))
	}
	if w := h.waits.all(); !slices.Contains(w, identifyWindow) {
		t.Errorf("waits %v; with max_concurrency 1 the second shard waits %v", w, identifyWindow)
	}
	got["0 2"].ready(h.fake, "S0", 1)
	got["1 2"].ready(h.fake, "S1", 1)
	serves(t, h, got["0 2"], 2, "study_next", "1001")
	serves(t, h, got["1 2"], 2, "study_done_topic", "1002")
	st := h.Shards()
	if len(st) != 2 || st[0].ID != 0 || st[1].ID != 1 || st[0].Count != 2 || st[0].State != ShardReady || st[1].State != ShardReady {
		t.Errorf("Shards() = %+v, want shards 0 and 1 of 2, ready", st)
	}

	// One shard losing its connection resumes its own session only.
	got["1 2"].closeWith(4000)
	c := h.fake.accept()
	f := c.handshake()
	if d := f.data(t); f.Op != opResume || d["session_id"] != "S1" {
		t.Errorf("shard 1 came back with op %d %v, want RESUME of S1", f.Op, d)
	}
	if err := run.stop(); err != nil {
		t.Errorf("Run = %v", err)
	}
	for _, s := range h.Shards() {
		if s.State != ShardStopped {
			t.Errorf("after Run: %+v, want stopped", s)
		}
	}
}

// TestGatewayShardsAutoConcurrency: "auto" takes the count from GET
// /gateway/bot, and shards in different max_concurrency buckets identify
// without waiting for each other.
func TestGatewayShardsAutoConcurrency(t *testing.T) {
	h := newGatewayHarness(t, Config{Shards: ShardsAuto, GatewayURL: "-"})
	h.fake.setGatewayBot(4, 2)
	h.waits.hold = true
	runBot(t, h.Bot)
	var shards []string
	for range 4 {
		c := h.fake.accept()
		f := c.handshake()
		shards = append(shards, shardOf(t, f))
	}
	slices.Sort(shards)
	if !slices.Equal(shards, []string{"0 4", "1 4", "2 4", "3 4"}) {
		t.Errorf("IDENTIFY shards %v, want 0-3 of 4", shards)
	}
	// Buckets 0 and 1 each identify once at once, then once after the
	// window: two waits of the window in all, none longer.
	var windows int
	for _, w := range h.waits.all() {
		switch {
		case w == identifyWindow:
			windows++
		case w > 0:
			t.Errorf("waited %v", w)
		}
	}
	if windows != 2 {
		t.Errorf("%d identify waits, want 2 (shards 2 and 3 behind 0 and 1)", windows)
	}
}

// TestGatewayShardIDsSplitOverTwoProcesses: two adapters (as two processes
// would) share the shards of one bot through discord.shard_ids; each
// connects only its own.
func TestGatewayShardIDsSplitOverTwoProcesses(t *testing.T) {
	a := newGatewayHarness(t, Config{Shards: 2, ShardIDs: []int{0}, GatewayURL: "-"})
	b := a.attach(t, Config{Shards: 2, ShardIDs: []int{1}, GatewayURL: "-"})
	runBot(t, a.Bot)
	c0 := a.fake.accept()
	if f := c0.handshake(); shardOf(t, f) != "0 2" {
		t.Fatalf("process A identified as shard %q, want 0 2", shardOf(t, f))
	}
	runBot(t, b.Bot)
	c1 := a.fake.accept()
	if f := c1.handshake(); shardOf(t, f) != "1 2" {
		t.Fatalf("process B identified as shard %q, want 1 2", shardOf(t, f))
	}
	c0.ready(a.fake, "SA", 1)
	c1.ready(a.fake, "SB", 1)
	serves(t, a, c0, 2, "study_next", "1001")
	serves(t, b, c1, 2, "study_done_topic", "1002")
	a.fake.noConnection()
	if st := a.Shards(); len(st) != 1 || st[0].ID != 0 || st[0].Count != 2 {
		t.Errorf("A runs %+v, want shard 0 of 2", st)
	}
	if st := b.Shards(); len(st) != 1 || st[0].ID != 1 || st[0].Count != 2 {
		t.Errorf("B runs %+v, want shard 1 of 2", st)
	}
}

// TestGatewayShardingRequired: close code 4011 stops Run, and the log tells
// the operator what to set.
func TestGatewayShardingRequired(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unsharded", Config{}, "discord requires sharding"},
		{"too few shards", Config{Shards: 1, GatewayURL: "-"}, "discord requires more shards"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newGatewayHarness(t, tt.cfg)
			run := runBot(t, h.Bot)
			c := h.fake.accept()
			c.handshake()
			c.closeWith(4011)
			err := run.wait()
			var fe *FatalError
			if !errors.As(err, &fe) || fe.Code != 4011 {
				t.Fatalf("Run = %v, want FatalError 4011", err)
			}
			logs := h.logs.String()
			if !strings.Contains(logs, tt.want) || !strings.Contains(logs, `discord.shards = \"auto\"`) {
				t.Errorf("logs lack %q and the setting to change:\n%s", tt.want, logs)
			}
			h.fake.noConnection()
		})
	}
}

// TestGatewayShardIDsBeyondAutoCount: shard ids past the count Discord
// recommends stop Run with a sentence naming the settings, before any
// connection.
func TestGatewayShardIDsBeyondAutoCount(t *testing.T) {
	h := newGatewayHarness(t, Config{Shards: ShardsAuto, ShardIDs: []int{3}, GatewayURL: "-"})
	h.fake.setGatewayBot(2, 1)
	err := runBot(t, h.Bot).wait()
	if err == nil || !strings.Contains(err.Error(), "discord.shard_ids") {
		t.Fatalf("Run = %v, want an error naming discord.shard_ids", err)
	}
	h.fake.noConnection()
}

func TestShardConfigValidation(t *testing.T) {
	base := Config{Token: testToken, AppID: testApp}
	for _, tt := range []struct {
		name string
		edit func(*Config)
		want string // "" for valid
	}{
		{"Unsharded", func(*Config) {}, ""},
		{"Auto", func(c *Config) { c.Shards = ShardsAuto }, ""},
		{"AutoWithIDs", func(c *Config) { c.Shards, c.ShardIDs = ShardsAuto, []int{0, 5} }, ""},
		{"NumberWithIDs", func(c *Config) { c.Shards, c.ShardIDs = 4, []int{2, 3} }, ""},
		{"ErrNegative", func(c *Config) { c.Shards = -2 }, "discord.shards -2"},
		{"ErrTooMany", func(c *Config) { c.Shards = maxShards + 1 }, "discord.shards"},
		{"ErrIDsWithoutShards", func(c *Config) { c.ShardIDs = []int{0} }, "discord.shard_ids needs discord.shards"},
		{"ErrIDOutOfRange", func(c *Config) { c.Shards, c.ShardIDs = 2, []int{2} }, "discord.shard_ids: 2 is not a shard of 2"},
		{"ErrNegativeID", func(c *Config) { c.Shards, c.ShardIDs = 2, []int{-1} }, "discord.shard_ids: -1"},
		{"ErrDuplicateID", func(c *Config) { c.Shards, c.ShardIDs = 2, []int{1, 1} }, "listed twice"},
		{"ErrHTTPMode", func(c *Config) {
			c.Mode, c.PublicKey, c.Shards = ModeHTTP, strings.Repeat("ab", 32), 2
		}, "gateway mode only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestIdentifyGateBuckets(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := identifyGate{next: map[int]time.Time{}, concurrency: 16}
	for id := range 16 {
		if w := g.reserve(id, now); w != 0 {
			t.Errorf("shard %d waits %v; 16 buckets take 16 at once", id, w)
		}
	}
	if w := g.reserve(16, now); w != identifyWindow { // bucket 0 again
		t.Errorf("shard 16 waits %v, want %v", w, identifyWindow)
	}
	if w := g.reserve(32, now.Add(time.Second)); w != 2*identifyWindow-time.Second {
		t.Errorf("shard 32 waits %v, want %v", w, 2*identifyWindow-time.Second)
	}
}
