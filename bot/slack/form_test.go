package slack

import (
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestFormMatchesParseQuery parses generated bodies, good and bad, both
// ways: form must accept and refuse what url.ParseQuery does, and give the
// same values, counts and repetition.
func TestFormMatchesParseQuery(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 3))
	pieces := []string{"team_id", "user_id", "text", "payload", "=", "&", "&&", ";", "%", "%2", "%41", "%zz", "+", "a", "T1", "é", "%E2%80%8B", "\xff", " "}
	cases := []string{"", "&", "=", "a=1&a=2", "a=1;b=2", "text=%", strings.Repeat("&", 20000), strings.Repeat("a=1&", 30), strings.Repeat("&", 47) + "a=1",
		commandBody(slashStudy, "done internet/dns", "U1", "https://hooks.example/1")}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(16) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		cases = append(cases, b.String())
	}
	keys := []string{"team_id", "user_id", "text", "payload", "a", "", "=", "T1", " "}
	for _, body := range cases {
		want, werr := url.ParseQuery(body)
		var f form
		gerr := f.parse(body)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%.80q: error %v, url.ParseQuery's %v", body, gerr, werr)
		}
		if werr != nil {
			continue
		}
		for _, k := range keys {
			if f.get(k) != want.Get(k) || f.count(k) != len(want[k]) {
				t.Fatalf("%.80q: %q is %q ×%d, url.ParseQuery has %q", body, k, f.get(k), f.count(k), want[k])
			}
		}
		total := 0
		for k, vs := range want {
			total += len(vs)
			if f.count(k) != len(vs) {
				t.Fatalf("%.80q: %q ×%d, url.ParseQuery has %d", body, k, f.count(k), len(vs))
			}
		}
		if f.values == nil && f.n != total {
			t.Fatalf("%.80q: %d fields, url.ParseQuery has %d", body, f.n, total)
		}
		repeated := slices.ContainsFunc(slices.Collect(func(yield func([]string) bool) {
			for _, v := range want {
				if !yield(v) {
					return
				}
			}
		}), func(v []string) bool { return len(v) > 1 })
		if f.repeated() != repeated {
			t.Fatalf("%.80q: repeated %v, want %v", body, f.repeated(), repeated)
		}
	}
}

// TestAppendUnescapedMatchesQueryUnescape holds the form's decoding of an
// escaped value, and parseKeeping's check of one left escaped, to
// url.QueryUnescape on generated values, good and bad.
func TestAppendUnescapedMatchesQueryUnescape(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 4))
	pieces := []string{"%", "%2", "%41", "%4a", "%4A", "%zz", "%g1", "%1g", "+", "a", "é", "%E2%80%8B", "\xff", " ", "%%", "%25", "https://hooks.slack.com/commands/T1/2/x", `{"type":"block_actions"}`}
	for range 50000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		want, werr := url.QueryUnescape(s)
		got, ok := formUnescape(s)
		if ok != (werr == nil) || ok && got != want {
			t.Fatalf("%q: %q %v, url.QueryUnescape %q %v", s, got, ok, want, werr)
		}
		if validEscapes(s) != ok {
			t.Fatalf("%q: validEscapes %v, url.QueryUnescape's error %v", s, validEscapes(s), werr)
		}
		body := "a=1&payload=" + s + "&b=2"
		var f, g form
		ferr, gerr := f.parse(body), g.parseKeeping(body, "payload")
		if (ferr == nil) != (gerr == nil) {
			t.Fatalf("%q: parseKeeping error %v, parse's %v", body, gerr, ferr)
		}
		if ferr == nil && (g.get("payload") != f.get("payload") || string(g.appendValue([]byte("x"), "payload")) != "x"+f.get("payload") || g.get("b") != f.get("b")) {
			t.Fatalf("%q: parseKeeping's payload %q, parse's %q", body, g.get("payload"), f.get("payload"))
		}
	}
}
