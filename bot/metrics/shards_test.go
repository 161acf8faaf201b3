package metrics

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// TestShardFamilies: configured shards are on /metrics before they start,
// with every state at 0; once running, each shows its one state, its
// reconnects and since when; a shard the configuration did not name
// (discord.shards = "auto") appears once the adapter reports it.
func TestShardFamilies(t *testing.T) {
	m := New()
	var mu sync.Mutex
	var now []Shard
	states := []string{"connecting", "ready", "reconnecting", "stopped"}
	m.Shards("discord", []int{2, 3}, states, func() []Shard {
		mu.Lock()
		defer mu.Unlock()
		return now
	})
	body := scrape(t, m)
	for _, want := range []string{
		`studybot_adapter_shard_state{adapter="discord",shard="2",state="connecting"} 0`,
		`studybot_adapter_shard_state{adapter="discord",shard="3",state="ready"} 0`,
		`studybot_adapter_shard_reconnects_total{adapter="discord",shard="3"} 0`,
		`studybot_adapter_shard_state_since_seconds{adapter="discord",shard="2"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("before start, metrics lack %s", want)
		}
	}
	at := time.Unix(1767603600, 0)
	mu.Lock()
	now = []Shard{{ID: 2, State: "ready", Since: at, Reconnects: 1}, {ID: 3, State: "reconnecting", Since: at, Reconnects: 4}, {ID: 7, State: "connecting", Since: at}}
	mu.Unlock()
	body = scrape(t, m)
	for _, want := range []string{
		`studybot_adapter_shard_state{adapter="discord",shard="2",state="ready"} 1`,
		`studybot_adapter_shard_state{adapter="discord",shard="2",state="connecting"} 0`,
		`studybot_adapter_shard_state{adapter="discord",shard="3",state="reconnecting"} 1`,
		`studybot_adapter_shard_reconnects_total{adapter="discord",shard="3"} 4`,
		`studybot_adapter_shard_state_since_seconds{adapter="discord",shard="2"} 1.7676036e+09`,
		`studybot_adapter_shard_state{adapter="discord",shard="7",state="connecting"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("running, metrics lack %s\n", want)
		}
	}
}
