package slack

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// TestDecodeInteractionMatchesSlackGo decodes clicks both ways and compares
// every field interaction reads; a payload that is not a click, or that the
// short decoding refuses, must come out exactly as slack-go decodes it.
func TestDecodeInteractionMatchesSlackGo(t *testing.T) {
	project := func(cb *slack.InteractionCallback) map[string]any {
		var acts []string
		for _, a := range cb.ActionCallback.BlockActions {
			acts = append(acts, a.BlockID+"|"+a.ActionID+"|"+a.Value)
		}
		return map[string]any{
			"type": cb.Type, "response_url": cb.ResponseURL, "trigger_id": cb.TriggerID, "team": cb.Team.ID,
			"user": cb.User.ID, "user.name": cb.User.Name, "user.team": cb.User.TeamID, "channel": cb.Channel.ID, "channel.name": cb.Channel.Name,
			"container": cb.Container.Type, "ephemeral": cb.Container.IsEphemeral, "view": cb.View.Type, "view.team": cb.View.TeamID, "actions": acts,
		}
	}
	payloads := []string{
		blockActions("done:internet/dns", "https://hooks.example/1", false),
		blockActions("next", "", true),
		blockActionsOn("U2", "skip:internet/dns", "https://hooks.example/2", false, false),
		`{"type":"block_actions","user":{"id":"U1"},"actions":[{"block_id":"b","action_id":"a","value":"v"},{"block_id":null,"action_id":"x"},{"name":"legacy","value":"w"},{"block_id":"c","action_id":"next"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[]}`,
		`{"type":"block_actions","user":{"id":"U1"},"state":{"values":{}},"message":{"ts":"1.2"},"actions":[{"block_id":"b","action_id":"a","type":"button","action_ts":"1.3","text":{"type":"plain_text","text":"Done"}}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[{"block_id":5,"action_id":"a"}]}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V1","type":"modal","callback_id":"file","private_metadata":"{}","state":{"values":{}}}}`,
		`{"type":"shortcut","user":{"id":"U1"},"callback_id":"x"}`,
	}
	for _, p := range payloads {
		var want, got slack.InteractionCallback
		werr := json.Unmarshal([]byte(p), &want)
		gerr := decodeInteraction([]byte(p), &got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%.120s: error %v, slack-go's %v", p, gerr, werr)
		}
		if werr != nil {
			continue
		}
		if got.Type != slack.InteractionTypeBlockActions || strings.Contains(p, `"block_id":5`) {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%.120s: not slack-go's decoding", p)
			}
			continue
		}
		if g, w := project(&got), project(&want); !reflect.DeepEqual(g, w) {
			t.Errorf("%.120s:\n got %v\nwant %v", p, g, w)
		}
	}
}
