package bot_test

import (
	"context"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// TestComplete: each autocompleted kind suggests from its source, and a
// challenge's text suggests topics like a topic option does.
func TestComplete(t *testing.T) {
	env := bottest.New(t)
	tests := []struct {
		name            string
		command, option string
		partial         string
		want            string // a value among the suggestions
	}{
		{"TopicSuggestsTopics", "done", "topic", "dns", "internet/dns"},
		{"ChallengeSuggestsTopics", "challenge post", "what", "dns", "internet/dns"},
		{"ZoneSuggestsZones", "nudge at", "zone", "berlin", "Europe/Berlin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &bot.Request{Space: testSpace, Member: "u1", Command: tt.command, Args: map[string]string{}}
			got := env.Engine.Complete(context.Background(), req, tt.option, tt.partial)
			if len(got) == 0 || len(got) > bot.MaxSuggestions {
				t.Fatalf("%d suggestions for %q", len(got), tt.partial)
			}
			for _, s := range got {
				if s.Value == tt.want {
					return
				}
			}
			t.Errorf("suggestions for %q lack %s: %+v", tt.partial, tt.want, got)
		})
	}
}
