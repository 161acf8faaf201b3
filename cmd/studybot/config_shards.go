package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/studybot/studybot/bot/discord"
)

// ShardCount is discord.shards: "auto" (discord.ShardsAuto) or a number of
// shards, 0 for one unsharded connection. TOML gives it as a string or an
// integer, the environment as text.
type ShardCount int

// UnmarshalTOML accepts "auto" or an integer.
func (s *ShardCount) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case string:
		return s.UnmarshalText([]byte(x))
	case int64:
		*s = ShardCount(x)
		return nil
	}
	return fmt.Errorf("discord.shards must be \"auto\" or a number, not %v", v)
}

// UnmarshalText accepts "auto" or a number (STUDYBOT_DISCORD_SHARDS).
func (s *ShardCount) UnmarshalText(b []byte) error {
	t := strings.TrimSpace(string(b))
	if strings.EqualFold(t, "auto") {
		*s = discord.ShardsAuto
		return nil
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return fmt.Errorf("discord.shards must be \"auto\" or a number, not %q", t)
	}
	*s = ShardCount(n)
	return nil
}

// MarshalText writes "auto" back as such.
func (s ShardCount) MarshalText() ([]byte, error) {
	if s == discord.ShardsAuto {
		return []byte("auto"), nil
	}
	return []byte(strconv.Itoa(int(s))), nil
}

// ShardIDs is discord.shard_ids: an array of integers in TOML, a comma
// separated list in the environment (STUDYBOT_DISCORD_SHARD_IDS=0,1).
type ShardIDs []int

// UnmarshalTOML accepts an array of integers.
func (s *ShardIDs) UnmarshalTOML(v any) error {
	items, ok := v.([]any)
	if !ok {
		return fmt.Errorf("discord.shard_ids must be an array of shard numbers such as [0, 1], not %v", v)
	}
	out := make(ShardIDs, 0, len(items))
	for _, it := range items {
		n, ok := it.(int64)
		if !ok {
			return fmt.Errorf("discord.shard_ids: %v is not a shard number", it)
		}
		out = append(out, int(n))
	}
	*s = out
	return nil
}

// UnmarshalText accepts "0,1,2".
func (s *ShardIDs) UnmarshalText(b []byte) error {
	var out ShardIDs
	for _, f := range strings.Split(string(b), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("discord.shard_ids: %q is not a shard number", f)
		}
		out = append(out, n)
	}
	*s = out
	return nil
}
