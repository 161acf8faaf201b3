package discord

import (
	"fmt"
	"math/rand/v2"
	"mime"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
)

// TestLinksAsBefore holds links, which works out each line's length before
// writing it, to the form it had (a string per line, a Sprintf for the
// note's length) on random resource lists, long enough to overflow the
// field.
func TestLinksAsBefore(t *testing.T) {
	reference := func(ls []bot.Link) string {
		var b strings.Builder
		for i, l := range ls {
			title := escapeLinkText(clip(l.Title, 200))
			line := "• " + title
			if (strings.HasPrefix(l.URL, "https://") || strings.HasPrefix(l.URL, "http://")) && len(l.URL) <= 500 {
				line = "• [" + title + "](" + l.URL + ")"
			}
			if l.Kind != "" {
				line += " · " + l.Kind
			}
			reserve := 0
			if rest := len(ls) - i - 1; rest > 0 {
				reserve = len(fmt.Sprintf("\n…and %d more", rest))
			}
			if b.Len()+1+len(line)+reserve > maxFieldValue {
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				fmt.Fprintf(&b, "…and %d more", len(ls)-i)
				break
			}
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(line)
		}
		return b.String()
	}
	r := rand.New(rand.NewPCG(3, 4))
	word := func(n int) string {
		pieces := []string{"a", "é", "[x]", "🙂", " ", "|"}
		var b strings.Builder
		for range r.IntN(n) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	urls := []string{"https://example.com/", "http://x.org/a", "ftp://x", "", "https://" + strings.Repeat("u", 600)}
	for i := range 500 {
		ls := make([]bot.Link, r.IntN(120))
		for j := range ls {
			ls[j] = bot.Link{Title: word(60), URL: urls[r.IntN(len(urls))] + word(40), Kind: []string{"", "official", "article", word(10)}[r.IntN(4)]}
		}
		if got, want := links(ls), reference(ls); got != want {
			t.Fatalf("case %d:\n got %q\nwant %q", i, got, want)
		}
	}
}

// TestForModeratorsAgreesWithParseAction: forModerators is true exactly
// when bot.ParseAction takes the action and its command is a moderator's.
func TestForModeratorsAgreesWithParseAction(t *testing.T) {
	var actions []string
	for _, c := range bot.Commands() {
		for _, v := range []string{"", ":", ":a", ":a|b", ":a|b|c|d|e|f", ":\xff", ":" + strings.Repeat("x", 200)} {
			actions = append(actions, c.Name+v, strings.ToUpper(c.Name)+v, " "+c.Name+v)
		}
	}
	actions = append(actions, "", "nosuch", "nosuch:a", "done", "\xff")
	mods := 0
	for _, a := range actions {
		cmd, _, err := bot.ParseAction(a)
		want := err == nil && cmd.ForModerators()
		if forModerators(a) != want {
			t.Errorf("forModerators(%q) = %v, want %v", a, !want, want)
		}
		if want {
			mods++
		}
	}
	if mods == 0 {
		t.Fatal("no moderator action among the cases: the test shows nothing")
	}
}

// TestJSONBodyIsParseMediaType: jsonBody's shortcut answers as
// mime.ParseMediaType does.
func TestJSONBodyIsParseMediaType(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "application/json;", "application/json; x",
		"application/jsonx", "text/plain", "", " application/json", "application/json ", "application/x-www-form-urlencoded"} {
		mt, _, err := mime.ParseMediaType(ct)
		if want := err == nil && mt == "application/json"; jsonBody(ct) != want {
			t.Errorf("jsonBody(%q) = %v, want %v", ct, !want, want)
		}
	}
}
