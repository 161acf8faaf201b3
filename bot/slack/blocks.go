package slack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
	// reply is set, and Blocks left nil, by renderLazy: the blocks are
	// those of blocks(reply, maxMessageBlocks), encoded from it directly
	// (direct.go) and built only for what takes slack-go's structs.
	reply *bot.Reply
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
func (p payload) json() []byte { return p.appendJSON(make([]byte, 0, payloadSize)) }

// appendJSON appends the message's encoding (json) to dst.
func (p *payload) appendJSON(dst []byte) []byte {
	n := len(dst)
	data, ok := appendPayload(dst, p)
	if ok {
		return data
	}
	enc, err := marshalPayload(*p)
	if err != nil { // Block Kit structs always marshal; keep a valid message anyway
		enc, _ = json.Marshal(payload{ResponseType: p.ResponseType, Text: p.Text})
	}
	return append(data[:n], enc...)
}

// ackBufs are the buffers acknowledgements are encoded into: an answer is
// written to the connection (which copies it) and its buffer is free again,
// so each command need not allocate its 4 KB (payloadSize).
var ackBufs = sync.Pool{New: func() any { b := make([]byte, 0, payloadSize); return &b }}

// maxPooledAck is the largest buffer put back in ackBufs; a rare huge
// answer's is left to the collector.
const maxPooledAck = 64 << 10

// writeJSON writes p as a JSON answer, encoded in a pooled buffer.
func writeJSON(w http.ResponseWriter, p *payload) {
	buf := ackBufs.Get().(*[]byte)
	data := p.appendJSON((*buf)[:0])
	w.Header()["Content-Type"] = jsonUTF8
	_, _ = w.Write(data)
	if cap(data) <= maxPooledAck {
		*buf = data[:0]
		ackBufs.Put(buf)
	}
}

// jsonUTF8 is the Content-Type of a JSON answer, assigned to the header map
// as it is (no canonicalisation, no allocation, as Header.Set has).
var jsonUTF8 = []string{"application/json; charset=utf-8"}

// msgOptions gives chat.postMessage the same message.
func (p payload) msgOptions() []slack.MsgOption {
	p.structs()
	return []slack.MsgOption{slack.MsgOptionText(p.Text, false), slack.MsgOptionBlocks(p.Blocks...)}
}

// fallback is the message's top-level text: notifications and screen readers
// show it; Slack shows the blocks.
func fallback(r *bot.Reply) string {
	if r == nil {
		return "Done."
	}
	esc := escFor(r)
	if strings.TrimSpace(r.Title) != "" {
		return clip(esc(r.Title), maxFallbackLen)
	}
	for _, s := range r.Text {
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
	a := newBlockAlloc(r)
	out := make([]slack.Block, 0, a.maxBlocks)
	if t := strings.TrimSpace(r.Title); t != "" {
		out = append(out, slack.NewHeaderBlock(a.plain(clip(oneLine(t), maxHeaderLen))))
	}
	for _, s := range r.Text {
		if strings.TrimSpace(s) != "" {
			out = append(out, a.section(esc(s)))
		}
	}
	var inline []*slack.TextBlockObject
	flush := func() {
		if len(inline) > 0 {
			out = append(out, a.sectionOf(nil, inline))
			inline = nil
		}
	}
	for _, f := range r.Fields {
		text := clip("*"+esc(oneLine(f.Name))+"*\n"+esc(f.Value), maxFieldLen)
		if !f.Inline {
			flush()
			out = append(out, a.section(text))
			continue
		}
		if inline == nil {
			inline = make([]*slack.TextBlockObject, 0, min(len(r.Fields), maxFields))
		}
		inline = append(inline, a.mrkdwn(text))
		if len(inline) == maxFields {
			flush()
		}
	}
	flush()
	if len(r.Bars) > 0 {
		bars := make([]string, len(r.Bars))
		for i, b := range r.Bars {
			bars[i] = barLine(b)
		}
		out = a.chunked(out, bars)
	}
	if len(r.Links) > 0 {
		links := make([]string, len(r.Links))
		for i, l := range r.Links {
			links[i] = linkLine(l)
		}
		out = a.chunked(out, links)
	}
	if f := strings.TrimSpace(r.Footer); f != "" {
		out = append(out, slack.NewContextBlock("", a.mrkdwn(clip(esc(f), maxFieldLen))))
	}
	if len(out) == 0 {
		out = append(out, a.section("Done."))
	}
	actions := a.buttons(r.Buttons)
	if len(out)+len(actions) > limit {
		keep := max(limit-len(actions)-1, 0)
		out = append(out[:keep], slack.NewContextBlock("", a.mrkdwn("_(cut to fit Slack's message limits)_")))
	}
	return append(out, actions...)
}

// blockAlloc hands out the text objects, sections and buttons of one
// reply's blocks from arrays allocated together, sized from the reply,
// rather than one allocation each (slack-go's constructors): in the
// adapter's profile a reply's blocks were half of its allocations. What
// does not fit (it should not happen) is allocated alone, as before. The
// objects are slack-go's, filled as its constructors fill them, so the
// message is the same.
type blockAlloc struct {
	texts     []slack.TextBlockObject
	sections  []slack.SectionBlock
	buttons_  []slack.ButtonBlockElement
	maxBlocks int // an upper bound of the blocks before the buttons, plus the buttons' block and a cut note
}

func newBlockAlloc(r *bot.Reply) *blockAlloc {
	// Sections: one per paragraph and field, and per chunk of bars and of
	// links (usually one each). Texts: those, each inline field, the
	// header, the footer and the cut note, and one per button.
	sections := len(r.Text) + len(r.Fields) + 3
	buttons := min(len(r.Buttons), maxButtons)
	return &blockAlloc{
		texts:     make([]slack.TextBlockObject, 0, sections+len(r.Fields)+3+buttons),
		sections:  make([]slack.SectionBlock, 0, sections),
		buttons_:  make([]slack.ButtonBlockElement, 0, buttons),
		maxBlocks: sections + 5,
	}
}

// text is slack.NewTextBlockObject(typ, s, emoji, false), from the arrays.
func (a *blockAlloc) text(typ, s string, emoji bool) *slack.TextBlockObject {
	t := slack.TextBlockObject{Type: typ, Text: s}
	switch {
	case typ == slack.MarkdownType: // as NewTextBlockObject: no emoji on mrkdwn
	case emoji:
		t.Emoji = &emojiOn
	default:
		t.Emoji = &emojiOff
	}
	if len(a.texts) == cap(a.texts) {
		p := new(slack.TextBlockObject) // not &t: t would go to the heap every time
		*p = t
		return p
	}
	a.texts = append(a.texts, t)
	return &a.texts[len(a.texts)-1]
}

// emojiOn and emojiOff are what text objects' Emoji points to: shared,
// never written, rather than a bool allocated for each.
var emojiOn, emojiOff = true, false

func (a *blockAlloc) mrkdwn(s string) *slack.TextBlockObject {
	return a.text(slack.MarkdownType, s, false)
}

// plain is plain() from the arrays.
func (a *blockAlloc) plain(s string) *slack.TextBlockObject {
	if s == "" {
		s = " "
	}
	return a.text(slack.PlainTextType, s, true)
}

// sectionOf is slack.NewSectionBlock(text, fields, nil), from the arrays.
func (a *blockAlloc) sectionOf(text *slack.TextBlockObject, fields []*slack.TextBlockObject) *slack.SectionBlock {
	s := slack.SectionBlock{Type: slack.MBTSection, Text: text, Fields: fields}
	if len(a.sections) == cap(a.sections) {
		p := new(slack.SectionBlock)
		*p = s
		return p
	}
	a.sections = append(a.sections, s)
	return &a.sections[len(a.sections)-1]
}

// section is section() from the arrays.
func (a *blockAlloc) section(text string) *slack.SectionBlock {
	return a.sectionOf(a.mrkdwn(clip(text, maxSectionLen)), nil)
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
	var kind string
	if k := strings.TrimSpace(l.Kind); k != "" {
		kind = esc(oneLine(k))
	}
	// One string, built once: "• " + title, or "• <url|title>" for a web
	// link, then " _(kind)_".
	link := false
	if u, err := url.Parse(l.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && !strings.ContainsAny(l.URL, "<>| \n") {
		link = true
	}
	var b strings.Builder
	b.Grow(len("• <|>") + len(l.URL) + len(title) + len(" _()_") + len(kind))
	b.WriteString("• ")
	if link {
		b.WriteByte('<')
		b.WriteString(l.URL)
		b.WriteByte('|')
		b.WriteString(title)
		b.WriteByte('>')
	} else {
		b.WriteString(title)
	}
	if kind != "" {
		b.WriteString(" _(")
		b.WriteString(kind)
		b.WriteString(")_")
	}
	return b.String()
}

// chunked appends to out the lines joined into as few sections as fit
// Slack's section limit.
func (a *blockAlloc) chunked(out []slack.Block, lines []string) []slack.Block {
	var cur strings.Builder
	size := len(lines)
	for _, l := range lines {
		size += len(l)
	}
	cur.Grow(min(size, 4*maxSectionLen))
	// runes is cur's length in runes, kept as lines are added rather than
	// counted again over the whole section for each line: lines are joined
	// by a newline, so the counts add up.
	runes := 0
	for _, l := range lines {
		n := utf8.RuneCountInString(l)
		if n > maxSectionLen {
			l, n = clip(l, maxSectionLen), maxSectionLen
		}
		if cur.Len() > 0 && runes+1+n > maxSectionLen {
			out = append(out, a.section(cur.String()))
			cur.Reset()
			runes = 0
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
			runes++
		}
		cur.WriteString(l)
		runes += n
	}
	if cur.Len() > 0 {
		out = append(out, a.section(cur.String()))
	}
	return out
}

// buttons renders at most maxButtons buttons in actions blocks. action_id and
// value both carry the bot.Button.Action; a repeated action (Slack wants
// action_ids unique per block) is dropped.
func (a *blockAlloc) buttons(bs []bot.Button) []slack.Block {
	if len(bs) == 0 {
		return nil
	}
	els := make([]slack.BlockElement, 0, min(len(bs), maxButtons))
	for _, b := range bs {
		if b.Action == "" || len(b.Action) > maxActionID || len(els) == maxButtons || a.hasButton(b.Action) {
			continue
		}
		btn := a.button(b.Action, a.plain(clip(oneLine(b.Label), maxButtonText)))
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

// hasButton reports whether a button with this action is out already (at
// most maxButtons to look through: no map needed).
func (a *blockAlloc) hasButton(action string) bool {
	for i := range a.buttons_ {
		if a.buttons_[i].ActionID == action {
			return true
		}
	}
	return false
}

// button is slack.NewButtonBlockElement(action, action, text), from the
// arrays; buttons sees to it that they fit.
func (a *blockAlloc) button(action string, text *slack.TextBlockObject) *slack.ButtonBlockElement {
	a.buttons_ = append(a.buttons_, slack.ButtonBlockElement{Type: slack.METButton, ActionID: action, Text: text, Value: action})
	return &a.buttons_[len(a.buttons_)-1]
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
