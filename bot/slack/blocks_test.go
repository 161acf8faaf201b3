package slack

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// nextReply looks like the engine's answer to next: it exercises every part of
// a reply.
func nextReply() *bot.Reply {
	return &bot.Reply{
		Title: "Next: DNS and how it works",
		Text: []string{
			"How names become addresses: resolvers, root & TLD servers, records like <A> and <AAAA>.",
			"You started this 3 days ago.",
		},
		Fields: []bot.Field{
			{Name: "Section", Value: "Internet", Inline: true},
			{Name: "Hours", Value: "2", Inline: true},
			{Name: "Your note", Value: "remember *port 53*"},
		},
		Bars: []bot.Bar{{Label: "Internet", Done: 3, Total: 6}, {Label: "Overall", Done: 7, Total: 120}, {Label: "Empty", Done: 0, Total: 0}},
		Links: []bot.Link{
			{Title: "How DNS works | comic", URL: "https://howdns.works/", Kind: "article"},
			{Title: "RFC 1035", URL: "https://www.rfc-editor.org/rfc/rfc1035", Kind: "official"},
			{Title: "Not a web link", URL: "javascript:alert(1)"},
		},
		Buttons: []bot.Button{
			{Label: "Done", Action: "done:internet/dns", Style: bot.ButtonSuccess},
			{Label: "Start", Action: "start:internet/dns", Style: bot.ButtonPrimary},
			{Label: "Skip", Action: "skip:internet/dns"},
			{Label: "Skip again", Action: "skip:internet/dns"},
			{Label: "Delete my data", Action: "mydata delete:confirm", Style: bot.ButtonDanger},
		},
		Footer: "internet/dns",
	}
}

func TestRenderGolden(t *testing.T) {
	long := &bot.Reply{Title: strings.Repeat("Very long title ", 20)}
	for i := range 60 {
		long.Text = append(long.Text, fmt.Sprintf("Paragraph %d.", i+1))
	}
	for i := range 30 {
		long.Buttons = append(long.Buttons, bot.Button{Label: fmt.Sprintf("Button %d %s", i+1, strings.Repeat("x", 80)), Action: fmt.Sprintf("topic:t%d", i+1)})
	}
	tests := []struct {
		name  string
		reply *bot.Reply
	}{
		{"next", nextReply()},
		{"nil", nil},
		{"empty", &bot.Reply{}},
		{"public", &bot.Reply{Title: "Weekly challenge #3", Text: []string{"Build a tiny DNS resolver."}, Public: true,
			Buttons: []bot.Button{{Label: "Submit", Action: "challenge submit"}}}},
		{"clipped", long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := render(tt.reply)
			if len(p.Blocks) > maxMessageBlocks {
				t.Errorf("%d blocks; Slack takes at most %d", len(p.Blocks), maxMessageBlocks)
			}
			bottest.GoldenJSON(t, "reply_"+tt.name+".golden", p)
		})
	}
	t.Run("error", func(t *testing.T) {
		bottest.GoldenJSON(t, "reply_error"+".golden", errorPayload(`No topic matches "<dns & co>".`))
	})
}

// TestRenderEngineReplies renders the engine's own replies of the
// moderator's challenge loop.
func TestRenderEngineReplies(t *testing.T) {
	for _, nr := range append(bottest.ChallengeReplies(t), bottest.ChangeReplies(t)...) {
		t.Run(nr.Name, func(t *testing.T) {
			p := render(nr.Reply)
			if len(p.Blocks) > maxMessageBlocks {
				t.Errorf("%d blocks; Slack takes at most %d", len(p.Blocks), maxMessageBlocks)
			}
			bottest.GoldenJSON(t, nr.Name+".golden", p)
		})
	}
}

func TestHomeViewGolden(t *testing.T) {
	progress := &bot.Reply{
		Title: "Your progress",
		Bars:  []bot.Bar{{Label: "Overall", Done: 7, Total: 120}, {Label: "Internet", Done: 3, Total: 6}, {Label: "Version control", Done: 4, Total: 4}},
	}
	last := &bot.Reply{Title: "Done: DNS and how it works", Buttons: []bot.Button{{Label: "Undo", Action: "undo"}}}
	bottest.GoldenJSON(t, "home"+".golden", homeView(last, progress, nextReply()))
	bottest.GoldenJSON(t, "home_nil_replies"+".golden", homeView(nil, nil, nil))
}

func TestBarLine(t *testing.T) {
	tests := []struct {
		bar  bot.Bar
		want string
	}{
		{bot.Bar{Label: "Internet", Done: 3, Total: 6}, "Internet: 3 of 6, 50%  `▓▓▓▓▓░░░░░`"},
		{bot.Bar{Done: 0, Total: 0}, "0 of 0, 0%  `░░░░░░░░░░`"},
		{bot.Bar{Label: "A <b>", Done: 6, Total: 6}, "A &lt;b&gt;: 6 of 6, 100%  `▓▓▓▓▓▓▓▓▓▓`"},
		{bot.Bar{Done: 1, Total: 3}, "1 of 3, 33%  `▓▓▓░░░░░░░`"},
		{bot.Bar{Done: 9, Total: 6}, "9 of 6, 100%  `▓▓▓▓▓▓▓▓▓▓`"},
		{bot.Bar{Done: -1, Total: 6}, "-1 of 6, 0%  `░░░░░░░░░░`"},
	}
	for _, tt := range tests {
		if got := barLine(tt.bar); got != tt.want {
			t.Errorf("barLine(%+v) = %q, want %q", tt.bar, got, tt.want)
		}
	}
}

func TestButtonsRoundTrip(t *testing.T) {
	// Every rendered button's value must parse back into its command.
	p := render(nextReply())
	data, _ := json.Marshal(p)
	var msg struct {
		Blocks []struct {
			Type     string `json:"type"`
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range msg.Blocks {
		for _, e := range b.Elements {
			if b.Type != "actions" {
				continue
			}
			n++
			if e.ActionID != e.Value {
				t.Errorf("action_id %q != value %q", e.ActionID, e.Value)
			}
			if _, _, err := bot.ParseAction(e.Value); err != nil {
				t.Errorf("button %q does not parse: %v", e.Value, err)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d buttons, want 4 (the repeated action dropped)", n)
	}
}

// TestEscPrivateKeepsMentions: a private reply keeps <@U…> and <#C…> so Slack
// shows names; anything else stays escaped.
func TestEscPrivateKeepsMentions(t *testing.T) {
	in := "Posted in <#C0123ABC> by <@U42>: a <b> & <#not a channel>"
	want := "Posted in <#C0123ABC> by <@U42>: a &lt;b&gt; &amp; &lt;#not a channel&gt;"
	if got := escPrivate(in); got != want {
		t.Errorf("escPrivate(%q) = %q, want %q", in, got, want)
	}
	if got := esc("<#C0123ABC>"); got != "&lt;#C0123ABC&gt;" {
		t.Errorf("esc kept a mention: %q", got)
	}
}

// TestOneLineMatchesFields holds oneLine's shortcut to what it shortcuts:
// strings.Fields joined with single spaces.
func TestOneLineMatchesFields(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 1))
	alphabet := []string{"a", "Z", " ", "  ", "\t", "\n", "\v", "\f", "\r", "\u0085", "\u00a0", "\u2028", "\u3000", "\u200b", "é", "\xff", "\xe2\x80", "▓"}
	cases := []string{"", " ", "a", "a b", " a", "a ", "a  b", "Next: DNS and how it works"}
	for range 5000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		if got, want := oneLine(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("oneLine(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestEscapeMatchesReplacerAndPatterns holds escape to what it replaced: a
// strings.Replacer for &, < and >, then (escPrivate) two patterns that put
// escaped mentions back.
func TestEscapeMatchesReplacerAndPatterns(t *testing.T) {
	escaper := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	member := regexp.MustCompile(`&lt;@([UW][A-Z0-9]+)&gt;`)
	channel := regexp.MustCompile(`&lt;#([CG][A-Z0-9]+)&gt;`)
	private := func(s string) string {
		s = member.ReplaceAllString(escaper.Replace(s), "<@$1>")
		return channel.ReplaceAllString(s, "<#$1>")
	}
	r := rand.New(rand.NewPCG(14, 2))
	alphabet := []string{"<", ">", "&", "@", "#", "U", "W", "C", "G", "T", "1", "z", "é", " ", "<@U1>", "<#C9>", "<@W>", "&lt;", "&gt;", "<@U1&gt;", "\xff"}
	cases := []string{"", "plain", "<@U123> did it", "<#C1>", "<@u1>", "<@U1", "<<@U1>>", "a & b <c>"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(10) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		if got, want := esc(s), escaper.Replace(s); got != want {
			t.Fatalf("esc(%q) = %q, want %q", s, got, want)
		}
		if got, want := escPrivate(s), private(s); got != want {
			t.Fatalf("escPrivate(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestChunkedSplitsAsBefore holds chunked, which keeps a running count of
// runes, to the form it had (counting the whole section again for each
// line) on random lines: short and long, multi-byte, invalid UTF-8, over
// the section limit.
func TestChunkedSplitsAsBefore(t *testing.T) {
	reference := func(lines []string) []string {
		var out []string
		var cur strings.Builder
		for _, l := range lines {
			l = clip(l, maxSectionLen)
			if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+1+utf8.RuneCountInString(l) > maxSectionLen {
				out = append(out, cur.String())
				cur.Reset()
			}
			if cur.Len() > 0 {
				cur.WriteByte('\n')
			}
			cur.WriteString(l)
		}
		if cur.Len() > 0 {
			out = append(out, cur.String())
		}
		return out
	}
	pieces := []string{"a", "bar ▓▓▓░░", "é", "\xff", "\xe2\x96", "🙂", " ", "<x>"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		lines := make([]string, r.IntN(40))
		for j := range lines {
			var b strings.Builder
			for range r.IntN([]int{10, 200, 1600}[r.IntN(3)]) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			lines[j] = b.String()
		}
		a := &blockAlloc{}
		var got []string
		for _, b := range a.chunked(nil, lines) {
			got = append(got, b.(*slack.SectionBlock).Text.Text)
		}
		if want := reference(lines); !slices.Equal(got, want) {
			t.Fatalf("case %d: %d sections, want %d", i, len(got), len(want))
		}
	}
}
