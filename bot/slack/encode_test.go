package slack

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// TestAppendPayloadMatchesEncodingJSON renders many replies, with text full
// of characters JSON escapes, and compares the hand-written encoding with
// encoding/json's, byte for byte.
func TestAppendPayloadMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 13))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "<", ">", "&", "<@U123>", "<#C9>", "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f", "\x7f", "é", "▓", "\u2028", "\u2029", "\u200b", "\u202e", "🔥", "\xff", "\xe2\x80", "*", "|"}
	text := func() string {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	var ps []payload
	for i := range 500 {
		rep := &bot.Reply{Title: text(), Text: []string{text(), text()}, Footer: text(), Public: i%3 == 0}
		for range r.IntN(14) {
			rep.Fields = append(rep.Fields, bot.Field{Name: text(), Value: text(), Inline: r.IntN(3) > 0})
		}
		for range r.IntN(3) {
			rep.Bars = append(rep.Bars, bot.Bar{Label: text(), Done: r.IntN(5), Total: 5})
		}
		for range r.IntN(3) {
			rep.Links = append(rep.Links, bot.Link{Title: text(), URL: "https://example.com/" + text(), Kind: text()})
		}
		for _, a := range []string{"next", "done:internet/dns", "undo", "challenge close", "skip:" + text()} {
			if r.IntN(2) == 0 {
				rep.Buttons = append(rep.Buttons, bot.Button{Label: text(), Action: a, Style: bot.ButtonStyle(r.IntN(4))})
			}
		}
		switch i % 11 {
		case 0:
			rep = nil
		case 1:
			rep = &bot.Reply{}
		}
		p := render(rep)
		p.ReplaceOriginal = i%5 == 0
		ps = append(ps, p)
	}
	ps = append(ps, render(nextReply()), errorPayload(text()), errorPayload(`No topic matches "<dns & co>".`), payload{}, payload{Text: "x", Blocks: []slack.Block{}})
	// The App Home's blocks, dividers included.
	home := homeView(nextReply(), nextReply(), nil)
	ps = append(ps, payload{Text: "home", Blocks: home.Blocks.BlockSet})
	// Odd but valid shapes of the known blocks.
	emoji := false
	ps = append(ps, payload{Text: "odd", Blocks: []slack.Block{
		&slack.HeaderBlock{Type: slack.MBTHeader, BlockID: "h", Level: 2},
		&slack.SectionBlock{Type: slack.MBTSection, BlockID: "s", Fields: []*slack.TextBlockObject{nil, {Type: "plain_text", Text: "t", Emoji: &emoji, Verbatim: true}}, Expand: true},
		&slack.ContextBlock{Type: slack.MBTContext, BlockID: "c"},
		&slack.ActionBlock{Type: slack.MBTAction},
		&slack.ActionBlock{Type: slack.MBTAction, Elements: &slack.BlockElements{}},
		&slack.ActionBlock{Type: slack.MBTAction, Elements: &slack.BlockElements{ElementSet: []slack.BlockElement{}}},
		slack.NewActionBlock("a", &slack.ButtonBlockElement{Text: nil, URL: "https://x/<>", AccessibilityLabel: "l&"}),
		&slack.DividerBlock{Type: slack.MBTDivider, BlockID: "d"},
	}})
	for i, p := range ps {
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("#%d: json.Marshal: %v", i, err)
		}
		got, ok := appendPayload(nil, &p)
		if !ok {
			t.Fatalf("#%d: appendPayload gave up on a payload render makes", i)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("#%d differs:\n got %s\nwant %s", i, got, want)
		}
		if !bytes.Equal(p.json(), want) {
			t.Fatalf("#%d: json() differs from encoding/json", i)
		}
	}
}

// TestAppendPayloadFallsBack: a block or element appendPayload does not know
// makes it give up, and json() is encoding/json's encoding.
func TestAppendPayloadFallsBack(t *testing.T) {
	for _, p := range []payload{
		{Text: "image", Blocks: []slack.Block{slack.NewImageBlock("https://x/a.png", "alt", "", nil)}},
		{Text: "value block", Blocks: []slack.Block{slack.SectionBlock{Type: slack.MBTSection}}},
		{Text: "accessory", Blocks: []slack.Block{slack.NewSectionBlock(mrkdwn("a"), nil, slack.NewAccessory(slack.NewButtonBlockElement("a", "b", plain("c"))))}},
		{Text: "select", Blocks: []slack.Block{slack.NewActionBlock("", slack.NewOptionsSelectBlockElement("static_select", plain("p"), "s"))}},
		{Text: "confirm", Blocks: []slack.Block{slack.NewActionBlock("", &slack.ButtonBlockElement{Type: "button", Text: plain("b"), Confirm: &slack.ConfirmationBlockObject{Title: plain("t")}})}},
		{Text: "image in context", Blocks: []slack.Block{slack.NewContextBlock("", slack.NewImageBlockElement("https://x/a.png", "alt"))}},
	} {
		if _, ok := appendPayload(nil, &p); ok {
			t.Errorf("%s: appendPayload did not give up", p.Text)
		}
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.json(); !bytes.Equal(got, want) {
			t.Errorf("%s: json() = %s, want %s", p.Text, got, want)
		}
		// Into a buffer already in use (writeJSON's pooled ones hold
		// nothing, but appendJSON must not depend on it): what was there
		// stays, and appendPayload's partial output does not.
		if got := p.appendJSON([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("%s: appendJSON = %s, want prefix%s", p.Text, got, want)
		}
	}
}

// BenchmarkPayloadJSON is the next answer's encoding, by hand and by
// encoding/json.
func BenchmarkPayloadJSON(b *testing.B) {
	p := render(nextReply())
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.json()
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(p)
		}
	})
}
