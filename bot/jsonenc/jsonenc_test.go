package jsonenc

import (
	"encoding/json"
	"math/rand"
	"testing"
)

// TestAppendStringIsEncodingJSON holds AppendString to encoding/json's
// escaping, byte for byte, on the characters it treats specially and on
// random strings (invalid UTF-8 included).
func TestAppendStringIsEncodingJSON(t *testing.T) {
	cases := []string{"", "plain", `"quoted" \ back`, "<b>&</b>", "tab\tnl\ncr\rbs\bff\f", "\x00\x01\x1f\x7f",
		"line\u2028para\u2029", "bad \xff\xfe utf8", "émoji 🎉 and ‮rtl‬ and ​zw", "\xed\xa0\x80 surrogate"}
	for b := range 256 { // every byte alone, and between plain text
		cases = append(cases, string([]byte{byte(b)}), "a"+string([]byte{byte(b)})+"z")
	}
	rng := rand.New(rand.NewSource(1))
	for range 2000 {
		b := make([]byte, rng.Intn(24))
		for i := range b {
			b[i] = byte(rng.Intn(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	}
}
