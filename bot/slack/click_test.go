package slack

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// TestDecodeInteractionMatchesSlackGo decodes clicks both ways: decodeClick
// must give what clickOf reads from slack-go's decoding, and a payload it
// does not take (not a click, or one it refuses) goes to slack-go's decoder,
// which must then accept or refuse it as it always did. The payloads are
// the tests' clicks, odd ones, and random clicks.
func TestDecodeInteractionMatchesSlackGo(t *testing.T) {
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
	r := rand.New(rand.NewPCG(14, 5))
	for range 3000 {
		payloads = append(payloads, randomClick(r)) // fastclick_test.go
	}
	for _, p := range payloads {
		var full slack.InteractionCallback
		werr := json.Unmarshal([]byte(p), &full)
		got, ok := decodeClick([]byte(p))
		if !ok {
			if full.Type == slack.InteractionTypeBlockActions && !strings.Contains(p, `"block_id":5`) {
				t.Errorf("%.120s: a click decodeClick does not take", p)
			}
			continue
		}
		if werr != nil {
			t.Fatalf("%.120s: decodeClick takes it, slack-go refuses it: %v", p, werr)
		}
		if want := clickOf(&full); !reflect.DeepEqual(got, want) {
			t.Errorf("%.120s:\n got %+v\nwant %+v", p, got, want)
		}
	}
}
