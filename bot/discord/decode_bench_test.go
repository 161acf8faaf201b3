package discord

import (
	"encoding/json"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// BenchmarkDecodeInteraction compares the HTTP path's decoder with
// discordgo's, on a /study done interaction with a topic option.
func BenchmarkDecodeInteraction(b *testing.B) {
	body := fixture(b, "study_done_topic")
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in discordgo.Interaction
			if err := decodeInteraction(body, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("discordgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in discordgo.Interaction
			if err := json.Unmarshal(body, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
