package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// skipAll reports whether Skip takes in the whole of b as one value.
func skipAll(b []byte) bool {
	s := Scanner{Src: b}
	s.WS()
	if !s.Skip() {
		return false
	}
	s.WS()
	return s.Pos == len(b)
}

var skipCases = []string{
	`null`, `true`, `false`, `0`, `-0`, `1.5e+3`, `-12E-1`, `""`, `"a\"\\\/\b\f\n\r\t\u00e9"`, "\"bad \xff utf8\"",
	`{}`, `[]`, ` { "a" : [1, {"b": null}, "x"] , "A": 2 } `, `[[[]]]`,
	`01`, `1.`, `.5`, `1e`, `-`, `+1`, `nul`, `tru`, `"`, `"\x"`, `"\u12g4"`, "\"\x01\"", `{"a"}`, `{"a":1,}`,
	`[1,]`, `[1 2]`, `{a:1}`, `{"a":1} x`, `"\u123"`,
}

// TestSkipIsValid holds Skip to json.Valid on values nested no deeper
// than MaxDepth (keys here are plain ASCII, which Skip requires).
func TestSkipIsValid(t *testing.T) {
	cases := append([]string(nil), skipCases...)
	cases = append(cases, strings.Repeat("[", MaxDepth)+strings.Repeat("]", MaxDepth))
	for _, c := range cases {
		if got, want := skipAll([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("Skip(%q) = %v, json.Valid %v", c, got, want)
		}
	}
	if deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1); skipAll([]byte(deep)) {
		t.Errorf("Skip took nesting deeper than MaxDepth")
	}
}

// FuzzSkip checks Skip never takes invalid JSON.
func FuzzSkip(f *testing.F) {
	for _, c := range skipCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if skipAll(b) && !json.Valid(b) {
			t.Errorf("Skip took invalid JSON %q", b)
		}
	})
}

// TestObjectRefuses checks the keys Object gives up on: where
// encoding/json would match a key case-insensitively, a key given twice,
// and keys with escapes or non-ASCII bytes.
func TestObjectRefuses(t *testing.T) {
	keys := []string{"id", "name"}
	read := func(src string) bool {
		s := Scanner{Src: []byte(src)}
		return s.Object(keys, func(int) bool { return s.Skip() })
	}
	for _, ok := range []string{`{}`, `{"id":1,"name":"x","other":[1]}`, `{"idx":1}`} {
		if !read(ok) {
			t.Errorf("Object(%s) refused", ok)
		}
	}
	for _, bad := range []string{`{"ID":1}`, `{"Name":1}`, `{"id":1,"id":2}`, `{"i\u0064":1}`, "{\"\xc3\xa9\":1}", `{"id":1,}`} {
		if read(bad) {
			t.Errorf("Object(%s) accepted", bad)
		}
	}
}
