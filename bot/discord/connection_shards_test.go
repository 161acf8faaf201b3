package discord

import (
	"reflect"
	"testing"
)

// TestConfiguredShards: what metrics and health pages show before Run plans
// the shards.
func TestConfiguredShards(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want []ShardState
	}{
		{"Unsharded", Config{}, []ShardState{{ID: 0, Count: 1}}},
		{"AllOfThree", Config{Shards: 3}, []ShardState{{ID: 0, Count: 3}, {ID: 1, Count: 3}, {ID: 2, Count: 3}}},
		{"SomeOfFour", Config{Shards: 4, ShardIDs: []int{1, 3}}, []ShardState{{ID: 1, Count: 4}, {ID: 3, Count: 4}}},
		{"AutoWithIDs", Config{Shards: ShardsAuto, ShardIDs: []int{5}}, []ShardState{{ID: 5}}},
		{"Auto", Config{Shards: ShardsAuto}, []ShardState{}},
		{"HTTP", Config{Mode: ModeHTTP, PublicKey: newSigner(t).hexKey()}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := newTestBot(t, tt.cfg).ConfiguredShards()
			if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Errorf("ConfiguredShards() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
