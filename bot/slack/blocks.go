package slack

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// Block Kit limits (https://api.slack.com/reference/block-kit): past them Slack
// refuses the whole message, so the renderer clips instead.
const (
	maxMessageBlocks = 50
	maxHomeBlocks    = 100
	maxHeaderLen     = 150
	maxSectionLen    = 3000
	maxFieldLen      = 2000
	maxFields        = 10
	maxButtons       = 25
	maxButtonText    = 75
	maxActionID      = 255
	maxFallbackLen   = 3000
	barWidth         = 10
)

// Response types of a message sent through a response_url or an acknowledgement.
const (
	ephemeral = "ephemeral"
	inChannel = "in_channel"
)

// payload is a rendered message: what goes into a slash command's
// acknowledgement, a response_url post, or chat.postMessage.
type payload struct {
	ResponseType    string        `json:"response_type,omitempty"`
	ReplaceOriginal bool          `json:"replace_original,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
}

// render turns a reply into a message. A nil reply (a command with nothing to
// say) renders as "Done.". Personal replies are ephemeral, Public ones in_channel.
func render(r *bot.Reply) payload {
	p := payload{ResponseType: ephemeral, Text: fallback(r), Blocks: blocks(r, maxMessageBlocks)}
	if r != nil && r.Public {
		p.ResponseType = inChannel
	}
	return p
}

// errorPayload is the ephemeral message for a failed command.
func errorPayload(msg string) payload {
	return payload{
		ResponseType: ephemeral,
		Text:         clip(escPrivate(msg), maxFallbackLen),
		Blocks:       []slack.Block{section(":warning: " + escPrivate(msg))},
	}
}

// payloadSize is what a message's buffer starts with: a full answer (next,
// with fields, bars, links and buttons) is 2-3 KB, so one allocation is
// usually all it takes.
const payloadSize = 4096

// json encodes the message: by hand (encode.go) for the blocks render
// makes, else with encoding/json.
func (p payload) json() []byte {
	if data, ok := appendPayload(make([]byte, 0, payloadSize), &p); ok {
		return data
	}
	data, err := marshalPayload(p)
	if err != nil { // Block Kit structs always marshal; keep a valid message anyway
		data, _ = json.Marshal(payload{ResponseType: p.ResponseType, Text: p.Text})
	}
	return data
}

// msgOptions gives chat.postMessage the same message.
func (p payload) msgOptions() []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(p.Text, false), slack.MsgOptionBlocks(p.Blocks...)}
}

// fallback is the message's top-level text: notifications and screen readers
// show it; Slack shows the blocks.
func fallback(r *bot.Reply) string {
	if r == nil {
		return "Done."
	}
	esc := escFor(r)
	for _, s := range append([]string{r.Title}, r.Text...) {
		if strings.TrimSpace(s) != "" {
			return clip(esc(s), maxFallbackLen)
		}
	}
	return "Done."
}

// blocks renders r as at most limit blocks: header, paragraphs, fields, bars,
// links, footer, then buttons. Content that does not fit is cut before the
// buttons, with a note, so the member can still act.
func blocks(r *bot.Reply, limit int) []slack.Block {
	if r == nil {
		return []slack.Block{section("Done.")}
	}
	esc := escFor(r)
	var out []slack.Block
	if t := strings.TrimSpace(r.Title); t != "" {
		out = append(out, slack.NewHeaderBlock(plain(clip(oneLine(t), maxHeaderLen))))
	}
	for _, s := range r.Text {
		if strings.TrimSpace(s) != "" {
			out = append(out, section(esc(s)))
		}
	}
	var inline []*slack.TextBlockObject
	flush := func() {
		if len(inline) > 0 {
			out = append(out, slack.NewSectionBlock(nil, inline, nil))
			inline = nil
		}
	}
	for _, f := range r.Fields {
		text := clip("*"+esc(oneLine(f.Name))+"*\n"+esc(f.Value), maxFieldLen)
		if !f.Inline {
			flush()
			out = append(out, section(text))
			continue
		}
		inline = append(inline, mrkdwn(text))
		if len(inline) == maxFields {
			flush()
		}
	}
	flush()
	var bars []string
	for _, b := range r.Bars {
		bars = append(bars, barLine(b))
	}
	out = append(out, chunked(bars)...)
	var links []string
	for _, l := range r.Links {
		links = append(links, linkLine(l))
	}
	out = append(out, chunked(links)...)
	if f := strings.TrimSpace(r.Footer); f != "" {
		out = append(out, slack.NewContextBlock("", mrkdwn(clip(esc(f), maxFieldLen))))
	}
	if len(out) == 0 {
		out = append(out, section("Done."))
	}
	actions := buttons(r.Buttons)
	if len(out)+len(actions) > limit {
		keep := max(limit-len(actions)-1, 0)
		out = append(out[:keep], slack.NewContextBlock("", mrkdwn("_(cut to fit Slack's message limits)_")))
	}
	return append(out, actions...)
}

// barGlyphs draws a progress bar, for example "▓▓▓▓▓░░░░░" for 3 of 6; the
// numbers are in the words before it (bot.Bar.Text).
func barGlyphs(b bot.Bar) string {
	filled := 0
	if b.Total > 0 {
		filled = min(max(b.Done*barWidth/b.Total, 0), barWidth)
	}
	return bars[filled]
}

// bars are the barWidth+1 drawn bars, from empty to full, made once.
var bars = func() (out [barWidth + 1]string) {
	for filled := range out {
		out[filled] = strings.Repeat("▓", filled) + strings.Repeat("░", barWidth-filled)
	}
	return out
}()

// barLine is the bar's words first, then the drawn bar (see bot.Bar.Text).
func barLine(b bot.Bar) string {
	b.Label = oneLine(b.Label)
	return esc(b.Text()) + "  `" + barGlyphs(b) + "`"
}

func linkLine(l bot.Link) string {
	title := esc(oneLine(strings.ReplaceAll(l.Title, "|", "/")))
	if title == "" {
		title = esc(l.URL)
	}
	line := "• " + title
	if u, err := url.Parse(l.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && !strings.ContainsAny(l.URL, "<>| \n") {
		line = "• <" + l.URL + "|" + title + ">"
	}
	if k := strings.TrimSpace(l.Kind); k != "" {
		line += " _(" + esc(oneLine(k)) + ")_"
	}
	return line
}

// chunked joins lines into as few sections as fit Slack's section limit.
func chunked(lines []string) []slack.Block {
	var out []slack.Block
	var cur strings.Builder
	for _, l := range lines {
		l = clip(l, maxSectionLen)
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+1+utf8.RuneCountInString(l) > maxSectionLen {
			out = append(out, section(cur.String()))
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		out = append(out, section(cur.String()))
	}
	return out
}

// buttons renders at most maxButtons buttons in actions blocks. action_id and
// value both carry the bot.Button.Action; a repeated action (Slack wants
// action_ids unique per block) is dropped.
func buttons(bs []bot.Button) []slack.Block {
	var els []slack.BlockElement
	seen := map[string]bool{}
	for _, b := range bs {
		if b.Action == "" || len(b.Action) > maxActionID || seen[b.Action] || len(els) == maxButtons {
			continue
		}
		seen[b.Action] = true
		btn := slack.NewButtonBlockElement(b.Action, b.Action, plain(clip(oneLine(b.Label), maxButtonText)))
		switch b.Style {
		case bot.ButtonPrimary, bot.ButtonSuccess:
			btn.Style = slack.StylePrimary
		case bot.ButtonDanger:
			btn.Style = slack.StyleDanger
		}
		els = append(els, btn)
	}
	if len(els) == 0 {
		return nil
	}
	return []slack.Block{slack.NewActionBlock("", els...)}
}

// homeView is the App Home tab: the reply to the member's last click on it (if
// any), their progress with bars per section, their next topic with its buttons,
// and a hint.
func homeView(last, progress, next *bot.Reply) slack.HomeTabViewRequest {
	var out []slack.Block
	add := func(r *bot.Reply) {
		if r == nil { // nothing to show (a command with no answer yet)
			return
		}
		if len(out) > 0 {
			out = append(out, slack.NewDividerBlock())
		}
		out = append(out, blocks(r, maxHomeBlocks)...)
	}
	if last != nil {
		add(last)
	}
	add(progress)
	add(next)
	if len(out) == 0 {
		out = append(out, section("Your progress shows here. Type `/study next` to begin."))
	}
	out = append(out, slack.NewContextBlock("", mrkdwn("Type `/study help` in any channel to see every command.")))
	if len(out) > maxHomeBlocks {
		out = out[len(out)-maxHomeBlocks:] // drop the oldest part: the last click's reply
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: out}}
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(clip(text, maxSectionLen)), nil, nil)
}

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, false)
}

func plain(text string) *slack.TextBlockObject {
	if text == "" {
		text = " "
	}
	return slack.NewTextBlockObject(slack.PlainTextType, text, true, false)
}

// esc makes plain text safe in mrkdwn: Slack reads &, < and > as markup.
func esc(s string) string { return escape(s, false) }

// escPrivate is esc that keeps member and channel mentions (bot.Mention:
// <@U123>, bot.ChannelMention: <#C123>), so Slack shows their names. Only
// for messages private to one member: there a mention notifies nobody,
// while in a public one a member's own text (a submission) could make the
// bot ping anyone.
func escPrivate(s string) string { return escape(s, true) }

// escape is esc, keeping mentions when mentions is set, in one pass. (It
// was a strings.Replacer and two regexps over its result; in the adapter's
// profile they were the largest part of rendering an answer.) Text without
// <, > or & comes back as it is.
func escape(s string, mentions bool) string {
	i := strings.IndexAny(s, "<>&")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '>':
			b.WriteString("&gt;")
		case '<':
			if n := mentionLen(s[i:]); mentions && n > 0 {
				b.WriteString(s[i : i+n])
				i += n - 1
				continue
			}
			b.WriteString("&lt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mentionLen is the length of the mention s starts with, <@U…>, <@W…>, <#C…>
// or <#G…> with upper-case letters and digits after the first letter, or 0.
func mentionLen(s string) int {
	if len(s) < 5 || s[0] != '<' {
		return 0
	}
	switch {
	case s[1] == '@' && (s[2] == 'U' || s[2] == 'W'):
	case s[1] == '#' && (s[2] == 'C' || s[2] == 'G'):
	default:
		return 0
	}
	for j := 3; j < len(s); j++ {
		switch c := s[j]; {
		case c == '>':
			if j == 3 {
				return 0
			}
			return j + 1
		case (c < 'A' || c > 'Z') && (c < '0' || c > '9'):
			return 0
		}
	}
	return 0
}

// escFor is the escaping for r's text: escPrivate unless r is Public.
func escFor(r *bot.Reply) func(string) string {
	if r.Public {
		return esc
	}
	return escPrivate
}

// oneLine collapses every run of white space in s to one space and trims
// the ends (strings.Fields, joined). Most titles and labels are one line
// already: those are returned as they are, without the slice and the copy
// (the profile of an answer's rendering showed this as its largest part).
func oneLine(s string) string {
	if isOneLine(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isOneLine reports whether oneLine would return s unchanged: no white space
// but single ASCII spaces between other characters.
func isOneLine(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ':
				if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
					return false
				}
			case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			return false
		}
		i += size
	}
	return true
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
