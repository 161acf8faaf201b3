package slack

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// fastClickCases are payloads fastClick must decode as decodeClickJSON
// does, or refuse: the tests' clicks, escapes, odd shapes and near misses.
var fastClickCases = []string{
	blockActions("done:internet/dns", "https://hooks.example/1", false),
	blockActions("next", "", true),
	blockActionsOn("U2", "skip:internet/dns", "https://hooks.example/2", false, false),
	`{"type":"block_actions","user":{"id":"U1"},"actions":[{"block_id":"b","action_id":"a","value":"v"},{"block_id":null,"action_id":"x"},{"name":"legacy","value":"w"},{"block_id":"c","action_id":"next"}]}`,
	`{"type":"block_actions","user":{"id":"U1"},"actions":[]}`,
	`{"type":"block_actions","user":{"id":"U1"},"actions":null}`,
	`{"type":"block_actions","user":{"id":"U1"},"actions":[null,{"block_id":"b","action_id":"a"}]}`,
	`{"type":"block_actions","user":{"id":"U1"},"state":{"values":{}},"message":{"ts":"1.2"},"actions":[{"block_id":"b","action_id":"a","type":"button","action_ts":"1.3","text":{"type":"plain_text","text":"Done"}}]}`,
	`{"type":"block_actions","user":{"id":"U1"},"actions":[{"block_id":5,"action_id":"a"}]}`,
	`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V1","type":"modal","callback_id":"file","private_metadata":"{}","state":{"values":{}}}}`,
	`{"type":"shortcut","user":{"id":"U1"},"callback_id":"x"}`,
	`{"type":"block_actions","response_url":"https:\/\/hooks.slack.com\/actions\/T1\/1\/x","user":{"id":"U1","name":"a\"b\\c\u00e9\n\t\b\f\r"}}`,
	`{"type":"block_actions","user":{"id":"U1","name":"\ud83d\ude00"}}`,
	`{"type":"block_actions","user":{"id":"U1","name":"\udc00"}}`,
	`{"type":"block_actions","user":{"id":"U1","name":"é€𝄞"}}`,
	"{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\",\"name\":\"\xff\"}}",
	"{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"x\":\"\xff\"}",
	`{"type":"block_actions","user":{"id":"U1"},"User":{"id":"U2"}}`,
	`{"type":"block_actions","user":{"id":"U1"},"user":{"id":"U2"}}`,
	`{"type":"block_actions","user":{"id":"U1","ID":"U2"}}`,
	`{"Type":"block_actions","user":{"id":"U1"}}`,
	`{"typ\u0065":"block_actions","user":{"id":"U1"}}`,
	`{"type":"block_actions","user":{"id":"U1"}} `,
	`{"type":"block_actions","user":{"id":"U1"}} x`,
	`{"type":"block_actions","user":{"id":"U1"},}`,
	` { "type" : "block_actions" , "user" : { "id" : "U1" } , "container" : { "type" : "message" , "is_ephemeral" : true } } `,
	`{"type":"block_actions","user":null,"team":null,"channel":null,"container":null,"view":null,"response_url":null,"trigger_id":null}`,
	`{"type":"block_actions","user":{"id":"U1"},"container":{"is_ephemeral":null}}`,
	`{"type":"block_actions","user":{"id":"U1"},"container":{"is_ephemeral":"true"}}`,
	`{"type":"block_actions","user":{"id":"U1"},"trigger_id":1}`,
	`{"type":"block_actions","user":"U1"}`,
	`{"type":"block_actions","user":{"id":"U1"},"n":[1,-2.5e3,0.1E+2,true,false,null,{"a":[]}]}`,
	`{"type":"block_actions","user":{"id":"U1"},"n":01}`,
	`{"type":"block_actions","user":{"id":"U1"},"n":"\x"}`,
	`{"type":"block_actions","user":{"id":"U1"},"n":"\u12"}`,
	`{"type":"block_actions","user":{"id":"U1","name":"\u0000\u001f<\u003c>"}}`,
	`null`,
	`[]`,
	`{"type":"block_actions","user":{"id":"U1"}`,
	"{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\t\"}}",
	`{"type":"block_actions","user":{"id":"U1"},"deep":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
}

// TestFastClickMatchesJSON holds fastClick to decodeClickJSON on the cases
// above and on random clicks, with and without escaped slashes (Slack
// writes "https:\/\/..."); the tests' own clicks must take the fast path.
func TestFastClickMatchesJSON(t *testing.T) {
	payloads := append([]string(nil), fastClickCases...)
	r := rand.New(rand.NewPCG(3, 8))
	for range 3000 {
		p := randomClick(r)
		if r.IntN(2) == 0 {
			p = strings.ReplaceAll(p, "/", `\/`)
		}
		payloads = append(payloads, p)
	}
	fast := 0
	for _, p := range payloads {
		if checkFastClick(t, []byte(p)) {
			fast++
		}
	}
	for _, p := range fastClickCases[:3] {
		if _, ok := fastClick([]byte(p)); !ok {
			t.Errorf("%.100s: not decoded by fastClick", p)
		}
	}
	if fast < 3000 {
		t.Errorf("fastClick decoded %d of %d payloads", fast, len(payloads))
	}
}

// checkFastClick fails t if fastClick decodes p otherwise than
// decodeClickJSON, and reports whether it decoded it.
func checkFastClick(t *testing.T, p []byte) bool {
	t.Helper()
	got, ok := fastClick(p)
	if !ok {
		if !reflect.DeepEqual(got, click{}) {
			t.Fatalf("%q: gave up but returned %+v", p, got)
		}
		return false
	}
	want, wok := decodeClickJSON(p)
	if !wok {
		t.Fatalf("%q: fastClick takes it, decodeClickJSON refuses it", p)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %+v\nwant %+v", p, got, want)
	}
	return true
}

func FuzzFastClick(f *testing.F) {
	for _, s := range fastClickCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) { checkFastClick(t, p) })
}

// randomClick is a random block_actions payload, as Slack might send one.
func randomClick(r *rand.Rand) string {
	strs := []string{"", "U1", "T1", "C1", "W9", "ann", "é\u200b", `a"b\c`, "<&>", "😀", "\n\t\x01", "done:internet/dns", "next", "view", "message", "home", "modal", "https://hooks.slack.com/actions/T1/1/x?a=1&b=%20"}
	pick := func() string { return strs[r.IntN(len(strs))] }
	cb := map[string]any{"type": "block_actions", "user": map[string]any{"id": pick(), "name": pick(), "team_id": pick()}}
	if r.IntN(2) == 0 {
		cb["team"] = map[string]any{"id": pick(), "domain": pick()}
	}
	if r.IntN(2) == 0 {
		cb["response_url"] = pick()
	}
	if r.IntN(2) == 0 {
		cb["trigger_id"] = pick()
	}
	if r.IntN(2) == 0 {
		cb["channel"] = map[string]any{"id": pick(), "name": pick()}
	}
	if r.IntN(2) == 0 {
		cb["container"] = map[string]any{"type": pick(), "is_ephemeral": r.IntN(2) == 0, "message_ts": "1.1"}
	}
	if r.IntN(2) == 0 {
		cb["view"] = map[string]any{"id": "V1", "type": pick(), "team_id": pick()}
	}
	if r.IntN(3) == 0 {
		cb["message"] = map[string]any{"ts": "1.1", "blocks": []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": pick() + "\u2022 😀"}}}, "n": 1.5}
	}
	var acts []map[string]any
	for range r.IntN(4) {
		a := map[string]any{"action_id": pick(), "type": "button", "action_ts": "1.2"}
		switch r.IntN(4) {
		case 0:
			a["block_id"] = nil
		case 1:
			a["name"] = pick() // an attachment action
		default:
			a["block_id"] = pick()
		}
		if r.IntN(3) > 0 {
			a["value"] = pick()
		}
		acts = append(acts, a)
	}
	if acts != nil || r.IntN(2) == 0 {
		cb["actions"] = acts
	}
	data, _ := json.Marshal(cb)
	return string(data)
}
