package discord

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// TestAppendMessageMatchesEncodingJSON renders many replies, with text full
// of characters JSON escapes, and compares the hand-written encoding with
// encoding/json's walk of the same message, byte for byte.
func TestAppendMessageMatchesEncodingJSON(t *testing.T) {
	type plain message
	r := rand.New(rand.NewPCG(13, 13))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "<", ">", "&", "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f", "\x7f", "é", "█", "\u2028", "\u2029", "\u200b", "\u202e", "🔥", "\xff", "\xe2\x80"}
	text := func() string {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	var msgs []*message
	for i := range 500 {
		rep := &bot.Reply{Title: text(), Text: []string{text(), text()}, Footer: text(), Public: i%3 == 0}
		for range r.IntN(4) {
			rep.Fields = append(rep.Fields, bot.Field{Name: text(), Value: text(), Inline: r.IntN(2) == 0})
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
		if i%7 == 0 {
			rep.File = &bot.File{Name: "card.png", Type: "image/png", Data: []byte{1}}
		}
		if i%11 == 0 {
			rep = nil
		}
		msgs = append(msgs, render(rep, "111", "201"))
	}
	msgs = append(msgs, textMessage(text()), errorMessage(bot.Errorf(bot.Invalid, "%s", text())), &message{})
	for i, m := range msgs {
		if !m.plain() {
			t.Fatalf("#%d: rendered message not plain", i)
		}
		want, err := json.Marshal((*plain)(m))
		if err != nil {
			t.Fatal(err)
		}
		got := m.appendJSON(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("#%d:\n got %s\nwant %s", i, got, want)
		}
		resp := &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m}
		full, err := appendResponse(nil, resp)
		if err != nil || !json.Valid(full) || !bytes.Contains(full, want) {
			t.Fatalf("#%d: response %s, %v", i, full, err)
		}
	}
	// A field appendJSON does not know goes through encoding/json.
	m := textMessage("x")
	m.Embeds = append(m.Embeds, &discordgo.MessageEmbed{URL: "https://example.com"})
	data, err := json.Marshal(m)
	if err != nil || !bytes.Contains(data, []byte(`"url":"https://example.com"`)) {
		t.Errorf("fallback: %s, %v", data, err)
	}
}

// BenchmarkEncodeAnswer compares the hand-written encoding of a full answer
// (embed, fields, bars, links, five buttons) with encoding/json's.
func BenchmarkEncodeAnswer(b *testing.B) {
	rep := &bot.Reply{Title: "Next up: HTTP", Text: []string{"HTTP is how browsers and servers talk.", "You have 3 topics in progress."},
		Bars:   []bot.Bar{{Label: "Overall", Done: 7, Total: 10}, {Label: "Internet", Done: 0, Total: 6}},
		Fields: []bot.Field{{Name: "Section", Value: "Internet", Inline: true}, {Name: "Hours", Value: "2", Inline: true}},
		Links:  []bot.Link{{Title: "MDN: An overview of HTTP", URL: "https://developer.mozilla.org/en-US/docs/Web/HTTP/Overview", Kind: "official"}},
		Buttons: []bot.Button{{Label: "Done", Action: "done:internet/http"}, {Label: "Learning", Action: "start:internet/http"},
			{Label: "Skip", Action: "skip:internet/http"}, {Label: "Next", Action: "next"}, {Label: "Undo", Action: "undo"}},
		Footer: "Streak: 4 days"}
	resp := &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: render(rep, "111", "")}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := appendResponse(make([]byte, 0, answerSize), resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		type plain message
		r := struct {
			Type discordgo.InteractionResponseType `json:"type"`
			Data *plain                            `json:"data"`
		}{resp.Type, (*plain)(resp.Data.(*message))}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
