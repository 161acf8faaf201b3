package discord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// randomReply is a reply of every shape render handles: text full of what
// JSON escapes (and invalid UTF-8), pieces over each of Discord's limits,
// duplicate, moderator and over-long buttons, and more of everything than
// fits.
func randomReply(r *rand.Rand) *bot.Reply {
	alphabet := []string{"a", "Z", " ", "\"", "\\", "<", ">", "&", "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f", "\x7f", "é", "█", "\u2028", "\u2029", "\u200b", "\u202e", "🔥", "\xff", "\xe2\x80", "\x80", "[", "]", "|", "@", "…"}
	text := func() string {
		n := r.IntN(40)
		switch r.IntN(20) {
		case 0:
			n = 200 + r.IntN(2000) // over a title's, a field's or a label's limit
		case 1:
			n = 0
		}
		var b strings.Builder
		for range n {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	count := func(max int) int {
		if r.IntN(10) == 0 {
			return r.IntN(4 * max) // more than fit
		}
		return r.IntN(max)
	}
	rep := &bot.Reply{Footer: text(), Public: r.IntN(3) == 0}
	if r.IntN(4) > 0 {
		rep.Title = text()
	}
	for range count(3) {
		rep.Text = append(rep.Text, text())
	}
	if r.IntN(30) == 0 {
		rep.Text = append(rep.Text, strings.Repeat("word ", 800+r.IntN(400))) // near maxDescription4
	}
	for range count(4) {
		rep.Fields = append(rep.Fields, bot.Field{Name: text(), Value: text(), Inline: r.IntN(2) == 0})
	}
	if r.IntN(20) == 0 {
		for range 20 + r.IntN(10) {
			rep.Fields = append(rep.Fields, bot.Field{Name: text(), Value: strings.Repeat("v", r.IntN(1100))})
		}
	}
	for range count(3) {
		rep.Bars = append(rep.Bars, bot.Bar{Label: text(), Done: r.IntN(12) - 1, Total: r.IntN(11) - 1})
	}
	for range count(4) {
		url := []string{"https://example.com/", "http://x/", "javascript:", "", "https://" + strings.Repeat("u", 500)}[r.IntN(5)] + text()
		rep.Links = append(rep.Links, bot.Link{Title: text(), URL: url, Kind: []string{"", "official", text()}[r.IntN(3)]})
	}
	actions := []string{"next", "done:internet/dns", "undo", "challenge close", "challenge board", "skip:" + text(), "note:" + strings.Repeat("x", 95), ""}
	for range count(8) {
		rep.Buttons = append(rep.Buttons, bot.Button{Label: []string{"", "Go", text()}[r.IntN(3)], Action: actions[r.IntN(len(actions))], Style: bot.ButtonStyle(r.IntN(5))})
	}
	if r.IntN(15) == 0 {
		for i := range 30 {
			rep.Buttons = append(rep.Buttons, bot.Button{Label: "B", Action: fmt.Sprintf("topic:t/%d", i%(20+r.IntN(15)))})
		}
	}
	return rep
}

// TestReplyDataMatchesRender holds the direct encoding of replies to
// appendResponse of render's message, byte for byte, as either answer type,
// private or public, updating or not, with and without a moderator owner,
// on random replies and on the golden files' own.
func TestReplyDataMatchesRender(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	var replies []*bot.Reply
	for range 1500 {
		replies = append(replies, randomReply(r))
	}
	for _, nr := range append(bottest.ChallengeReplies(t), bottest.ChangeReplies(t)...) {
		replies = append(replies, nr.Reply)
	}
	replies = append(replies, &bot.Reply{}, &bot.Reply{Public: true}, modReply(false), modReply(true),
		&bot.Reply{Title: strings.Repeat("T", 300), Text: []string{strings.Repeat("word ", 1000)}})
	direct := 0
	for i, rep := range replies {
		if rep == nil || rep.File != nil {
			continue
		}
		for _, guild := range []string{"111", "", "1@2|3"} {
			for _, owner := range []string{"", "201"} {
				for _, upd := range []bool{false, true} {
					typ := discordgo.InteractionResponseChannelMessageWithSource
					if upd {
						typ = discordgo.InteractionResponseUpdateMessage
					}
					d := &replyData{r: rep, guild: guild, owner: owner, upd: upd}
					want, err := appendResponse(nil, &response{Type: typ, Data: d.message()})
					if err != nil {
						t.Fatal(err)
					}
					got, err := appendResponse([]byte("x"), &response{Type: typ, Data: d})
					if err != nil || !bytes.Equal(got[1:], want) {
						t.Fatalf("#%d %q %q %v:\n got %s\nwant %s", i, guild, owner, upd, got[1:], want)
					}
					if _, ok := d.appendJSON(nil, new([]byte)); ok {
						direct++
					}
					// The REST callback's encoding/json sees the same bytes.
					viaJSON, err := json.Marshal(&response{Type: typ, Data: d})
					wantJSON, err2 := json.Marshal(&response{Type: typ, Data: d.message()})
					if err != nil || err2 != nil || !bytes.Equal(viaJSON, wantJSON) {
						t.Fatalf("#%d: json.Marshal: %v %v\n got %s\nwant %s", i, err, err2, viaJSON, wantJSON)
					}
				}
			}
		}
	}
	t.Logf("%d of %d direct", direct, len(replies)*12)
	if total := len(replies) * 12; direct < total*8/10 {
		t.Errorf("only %d of %d replies encoded directly", direct, total)
	}
}

// FuzzReplyData is TestReplyDataMatchesRender on replies from the fuzzer.
func FuzzReplyData(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		rep := randomReply(rand.New(rand.NewPCG(a, b)))
		for _, owner := range []string{"", "201"} {
			d := &replyData{r: rep, guild: "111", owner: owner, upd: a%2 == 0}
			want, _ := appendResponse(nil, &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: d.message()})
			got, _ := appendResponse(nil, &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: d})
			if !bytes.Equal(got, want) {
				t.Fatalf("\n got %s\nwant %s", got, want)
			}
		}
	})
}

// TestWithFileIsAnswersFiles: the worker and serve decide by withFile
// whether an answer must be deferred for its file; it must say what
// answer's files say.
func TestWithFileIsAnswersFiles(t *testing.T) {
	b := &Bot{}
	in := &discordgo.Interaction{ID: "1", Type: discordgo.InteractionApplicationCommand, GuildID: "111"}
	req := &bot.Request{Space: bot.Space{Platform: bot.PlatformDiscord, ID: "111"}, Member: "201", Command: "next"}
	for i, res := range []result{
		{reply: &bot.Reply{Title: "x"}},
		{reply: &bot.Reply{Title: "x", File: &bot.File{Name: "c.png", Type: "image/png", Data: pngBytes}}},
		{reply: &bot.Reply{File: &bot.File{Name: "c.png", Type: "image/png", Data: pngBytes}, Public: true}},
		{reply: &bot.Reply{Title: "x", File: &bot.File{Name: "c.png"}}}, // no bytes: no file
		{reply: &bot.Reply{File: &bot.File{Name: "notes.txt", Type: "text/plain", Data: []byte("n")}}},
		{},
		{err: bot.Errorf(bot.Invalid, "no")},
	} {
		for _, upd := range []bool{false, true} {
			if got, want := withFile(res), len(b.answer(in, res, req, upd).files()) > 0; got != want {
				t.Errorf("#%d: withFile = %v, answer has files: %v", i, got, want)
			}
		}
	}
}
