package slack

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// directPieces are what random reply text is made of: characters esc and
// JSON escape, mentions kept or not, white space oneLine collapses,
// multi-byte and invalid UTF-8 (alone and as parts of a sequence another
// piece could complete), and the separators the direct encoder splits at.
var directPieces = []string{
	"a", "Z", "7", " ", "  ", "\t", "\n", "\r", "\u00a0", "\u3000", "\"", "\\", "<", ">", "&", "&amp;",
	"<@U123>", "<#C9>", "<@W1|x>", "<#G>", "<!here>", "\b", "\f", "\x00", "\x1f", "\x7f", "é", "▓",
	"\u2028", "\u2029", "\u200b", "\u202e", "🔥", "\xff", "\xe2\x80", "\x80", "\xa8", "*", "_", "|", "`", "•",
	"https://x.example/", "http://a", "HTTPS://B.example/p?q=1&r=<2>", "javascript:x", "%zz", ":", "/",
}

// randomText is text of a few pieces, or now and then hundreds or
// thousands of them: long enough to be clipped, or to take the clipping
// path of the direct encoder's length bound without being clipped.
func randomText(r *rand.Rand) string {
	n := r.IntN(12)
	switch r.IntN(40) {
	case 0, 1:
		n = 100 + r.IntN(300)
	case 2:
		n = 1000 + r.IntN(2000)
	case 3, 4:
		n = 0
	}
	var b strings.Builder
	for range n {
		b.WriteString(directPieces[r.IntN(len(directPieces))])
	}
	return b.String()
}

// randomReply is a reply with some of everything: title, paragraphs (now
// and then more than a message holds), fields inline or not (more than
// fit one section), bars, links (web, other, with and without a kind),
// buttons (repeated, empty, too long, more than Slack takes), a footer
// and an image.
func randomReply(r *rand.Rand) *bot.Reply {
	rep := &bot.Reply{Public: r.IntN(3) == 0}
	if r.IntN(4) > 0 {
		rep.Title = randomText(r)
	}
	paragraphs := r.IntN(4)
	if r.IntN(10) == 0 {
		paragraphs = 40 + r.IntN(30)
	}
	for range paragraphs {
		rep.Text = append(rep.Text, randomText(r))
	}
	for range r.IntN([]int{3, 3, 3, 25}[r.IntN(4)]) {
		rep.Fields = append(rep.Fields, bot.Field{Name: randomText(r), Value: randomText(r), Inline: r.IntN(4) > 0})
	}
	for range r.IntN([]int{4, 4, 4, 4, 4, 4, 4, 150}[r.IntN(8)]) {
		rep.Bars = append(rep.Bars, bot.Bar{Label: randomText(r), Done: r.IntN(140) - 10, Total: r.IntN(130) - 5})
	}
	for range r.IntN([]int{4, 4, 4, 4, 4, 4, 4, 100}[r.IntN(8)]) {
		l := bot.Link{Title: randomText(r), URL: randomText(r), Kind: randomText(r)}
		if r.IntN(2) == 0 {
			l.URL = []string{"https://example.com/", "http://example.com/a?b=c&d", "HTTP://EXAMPLE.com", "https://x/a b", "https://[::1", "https://x/%zz", "mailto:a@b", "https://x/" + randomText(r)}[r.IntN(8)]
		}
		rep.Links = append(rep.Links, l)
	}
	actions := []string{"next", "done:internet/dns", "undo", "challenge close", "", strings.Repeat("x", 256), strings.Repeat("y", 255)}
	for range r.IntN([]int{6, 6, 6, 40}[r.IntN(4)]) {
		a := actions[r.IntN(len(actions))]
		if r.IntN(2) == 0 {
			a = "topic:" + randomText(r)
		}
		rep.Buttons = append(rep.Buttons, bot.Button{Label: randomText(r), Action: a, Style: bot.ButtonStyle(r.IntN(5))})
	}
	if r.IntN(2) == 0 {
		rep.Footer = randomText(r)
	}
	if r.IntN(5) == 0 {
		rep.File = &bot.File{Name: "a.png", Data: []byte("png")}
	}
	return rep
}

// checkDirect holds renderLazy's payload to render's: the same encoding
// (appendPayload of render's blocks, itself held to encoding/json), with
// replace_original set when replace is, and the same blocks once built.
func checkDirect(t *testing.T, name string, rep *bot.Reply, replace bool) {
	t.Helper()
	want := render(rep)
	want.ReplaceOriginal = replace
	wantJSON, ok := appendPayload(nil, &want)
	if !ok {
		t.Fatalf("%s: appendPayload gave up on render's blocks", name)
	}
	got := renderLazy(rep)
	got.ReplaceOriginal = replace
	if rep != nil && got.Blocks != nil {
		t.Fatalf("%s: renderLazy built the blocks", name)
	}
	if g := got.appendJSON([]byte("prefix")); !bytes.Equal(g, append([]byte("prefix"), wantJSON...)) {
		t.Fatalf("%s: direct encoding differs:\n got %s\nwant prefix%s", name, g, wantJSON)
	}
	got.structs()
	if g := got.json(); !bytes.Equal(g, wantJSON) || got.reply != nil {
		t.Fatalf("%s: structs' blocks differ from render's:\n got %s\nwant %s", name, g, wantJSON)
	}
}

// TestAppendReplyMatchesBlocks: the direct encoding of a reply is byte for
// byte the encoding of render's blocks, on random replies and on the
// replies of the golden files.
func TestAppendReplyMatchesBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 26))
	for i := range 600 {
		checkDirect(t, fmt.Sprintf("random reply %d", i), randomReply(r), i%2 == 0)
	}
	long := &bot.Reply{Title: strings.Repeat("Very long title ", 20)}
	for i := range 60 {
		long.Text = append(long.Text, "Paragraph "+strings.Repeat("p", i))
	}
	for i := range 30 {
		long.Buttons = append(long.Buttons, bot.Button{Label: strings.Repeat("x", 80+i), Action: "topic:t" + strings.Repeat("1", i+1)})
	}
	for _, rep := range []*bot.Reply{
		nil, {}, nextReply(), long,
		{Title: "Weekly challenge #3", Text: []string{"Build a tiny DNS resolver."}, Public: true, Buttons: []bot.Button{{Label: "Submit", Action: "challenge submit"}}},
		{Text: []string{" ", "\n"}, Footer: " "},
		// Just past the direct encoder's bound on escaped length: clipped.
		{Text: []string{strings.Repeat("&", 601), strings.Repeat("<", 700)}, Footer: strings.Repeat("&", 401),
			Fields: []bot.Field{{Name: strings.Repeat("&", 300), Value: strings.Repeat(">", 150)}, {Name: "a", Value: strings.Repeat("&", 399)}}},
		{Buttons: []bot.Button{{Label: "", Action: "next"}}},
		{Buttons: []bot.Button{{Label: "x", Action: ""}}},
		{Bars: []bot.Bar{{Label: strings.Repeat("&", 700)}, {Label: strings.Repeat("é", 2990)}, {Label: strings.Repeat("b", 3000)}}},
		{Links: []bot.Link{{Title: strings.Repeat("<", 800), URL: "https://x/"}, {Title: "", URL: strings.Repeat("u", 3001)}, {Title: "|a|", URL: "https://x/", Kind: " k "}}},
	} {
		checkDirect(t, "fixed reply", rep, false)
	}
	for _, nr := range append(bottest.ChallengeReplies(t), bottest.ChangeReplies(t)...) {
		checkDirect(t, nr.Name, nr.Reply, true)
	}
}

// FuzzAppendReply: a reply built of fuzzed strings encodes directly as
// render's blocks do.
func FuzzAppendReply(f *testing.F) {
	f.Add("Next: DNS", "How <names> & <@U1> work", "Hours", "2", "Internet", 3, 6, "RFC | 1035", "https://www.rfc-editor.org/", "official", "done:x", "footer", false)
	f.Add("", "\xe2\x80", "\xa8", "\u2028", "  a\tb ", -1, 0, "", "javascript:x", "", "", " ", true)
	f.Fuzz(func(t *testing.T, title, text, name, value, label string, done, total int, linkTitle, url, kind, action, footer string, public bool) {
		rep := &bot.Reply{
			Title: title, Text: []string{text, value + text}, Public: public, Footer: footer,
			Fields:  []bot.Field{{Name: name, Value: value, Inline: true}, {Name: value, Value: name}},
			Bars:    []bot.Bar{{Label: label, Done: done, Total: total}, {Label: text, Done: total, Total: done}},
			Links:   []bot.Link{{Title: linkTitle, URL: url, Kind: kind}, {Title: text, URL: "https://x/" + url}},
			Buttons: []bot.Button{{Label: label, Action: action}, {Label: text, Action: "next"}},
		}
		checkDirect(t, "fuzzed reply", rep, public)
	})
}

// TestWebLinkCache holds webLink (its cache cold, warm, and its slots taken
// by other URLs in between) to the check blocks' linkLine makes, on many
// URLs, some used at once from several goroutines.
func TestWebLinkCache(t *testing.T) {
	want := func(u string) bool {
		p, err := url.Parse(u)
		return err == nil && (p.Scheme == "https" || p.Scheme == "http") && !strings.ContainsAny(u, "<>| \n")
	}
	parts := []string{"http", "https", "HTTPS", "hTTp", "ftp", ":", "://", "//", "/", "example.com", "[::1]", "[::1", ":80", ":x", "%", "%2", "%20", "%zz", "?q=1", "#f", "|", "<", ">", " ", "\n", "\x7f", "é", "@", "user:pw@", "a", ".", "-", strings.Repeat("x", 300)}
	r := rand.New(rand.NewPCG(5, 9))
	urls := []string{"", "http:", "https:", "https://example.com", "https://example.com/a b", "http://[::1]:80/", "https://%zz", strings.Repeat("https://a/", 60)}
	for range 5000 {
		var b strings.Builder
		if r.IntN(2) == 0 {
			b.WriteString([]string{"https://", "http://", "HTTP://", "https:"}[r.IntN(4)])
		}
		for range 1 + r.IntN(6) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		urls = append(urls, b.String())
	}
	links := 0
	for round := range 3 {
		for _, u := range urls {
			if got, w := webLink(u), want(u); got != w {
				t.Fatalf("round %d: webLink(%q) = %v, want %v", round, u, got, w)
			} else if w {
				links++
			}
		}
	}
	if links < 1000 {
		t.Errorf("only %d links among the URLs", links)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				u := urls[(i*7+g)%len(urls)]
				if webLink(u) != want(u) {
					t.Errorf("webLink(%q) concurrently", u)
					return
				}
			}
		})
	}
	wg.Wait()
}
