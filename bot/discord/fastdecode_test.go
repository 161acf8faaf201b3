package discord

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzFastDecode holds fastDecode to json.Unmarshal: a body it accepts is
// one json.Unmarshal accepts too, decoded to the same wireInteraction. (What
// it gives up on goes to json.Unmarshal itself.) Seeds: the interaction
// fixtures, the load benchmark's bodies, and bodies around each case it
// gives up on.
func FuzzFastDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "interactions", "*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range fastDecodeCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var slow wireInteraction
		fast, ok := fastDecode(body, new(wireArena))
		if !ok {
			if !reflect.DeepEqual(fast, wireInteraction{}) {
				t.Fatalf("gave up but returned %+v", fast)
			}
			return
		}
		if err := json.Unmarshal(body, &slow); err != nil {
			t.Fatalf("fastDecode took %q, json.Unmarshal refuses it: %v", body, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\nfast %s\njson %s", body, dump(fast), dump(slow))
		}
	})
}

func dump(w wireInteraction) string {
	b, _ := json.Marshal(w)
	return string(b)
}

// fastDecodeCases are bodies on both sides of each thing fastDecode gives
// up on; TestFastDecodeTakesTheUsualBody checks it takes the usual ones.
var fastDecodeCases = []string{
	`{"id":"1002","application_id":"900","type":2,"token":"itok-1","version":1,"channel_id":"301","guild_id":"111",` +
		`"member":{"user":{"id":"5000001","username":"m5000001","global_name":null},"nick":null,"roles":[],"permissions":"0"},` +
		`"data":{"id":"5001","name":"study","type":1,"options":[{"name":"done","type":1,"options":[{"name":"topic","type":3,"value":"internet/dns"}]}]}}`,
	`{"type":3,"id":"1","token":"t","guild_id":"111","message":{"flags":64,"embeds":[{"title":"x","fields":[{"name":"a","value":"b\n\u00e9"}]}],"components":[]},` +
		`"member":{"user":{"id":"2","username":"ann"},"permissions":"2147483647"},"data":{"custom_id":"111|done:x","component_type":2}}`,
	`{"type":1}`, ` {"type":1} `, `{"type":1}x`, `{"type":1,}`, `{"type":256}`, `{"type":-1}`, `{"type":1.0}`, `{"type":01}`, `{"type":"1"}`,
	`{"ID":"1"}`, `{"Id":"1","id":"2"}`, `{"id":"1","id":"2"}`, `{"id":"\u0031"}`, `{"id":"é"}`, `{"id":"\xff"}`, `{"i\u0064":"1"}`,
	`{"member":{"permissions":8}}`, `{"member":{"permissions":"08"}}`, `{"member":{"permissions":null}}`, `{"member":{"permissions":"-8"}}`,
	`{"member":null}`, `{"member":{"user":null,"nick":"n"}}`, `{"data":{"options":[]}}`, `{"data":{"options":null}}`, `{"data":{"options":[null]}}`,
	`{"data":{"options":[{"name":"n","type":4,"value":12.5e1}]}}`, `{"data":{"options":[{"value":1e400}]}}`, `{"data":{"options":[{"value":{}}]}}`,
	`{"data":{"options":[{"value":true,"focused":true}]}}`, `{"data":{"resolved":{"attachments":{}}}}`, `{"data":{"values":["a"]}}`,
	`{"x":[1,2,{"y":"\ud800"}],"type":2}`, `{"x":"\q"}`, `{"x":tru}`, `{"x":-}`, `{"x":1.}`, `{"x":.5}`, `{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	"{\"id\":\"\xff\"}", "{\"x\":\"\xff\",\"type\":2}", "{\"id\":\"a\x01\"}",
	`null`, `[]`, `{`, ``, `{"message":{"flags":1e2}}`, `{"data":{"component_type":4294967297}}`,
}

// TestFastDecodeTakesTheUsualBody: the bodies Discord sends for a command
// and a button click go through fastDecode, not the fallback, and the
// fallback's cases are decoded as json.Unmarshal decodes them.
func TestFastDecodeTakesTheUsualBody(t *testing.T) {
	for _, s := range fastDecodeCases[:2] {
		if _, ok := fastDecode([]byte(s), new(wireArena)); !ok {
			t.Errorf("fastDecode gave up on %s", s)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "interactions", "*.json"))
	taken := 0
	for _, name := range files {
		data, _ := os.ReadFile(name)
		if _, ok := fastDecode(data, new(wireArena)); ok {
			taken++
		}
	}
	t.Logf("fastDecode takes %d of %d fixtures", taken, len(files))
}
