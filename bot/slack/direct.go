package slack

import (
	"hash/maphash"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/jsonenc"
)

// A reply is encoded straight from the bot.Reply (appendReply) where the
// adapter sends the JSON itself: a slash command's acknowledgement and a
// response_url post. Building slack-go's Block structs (blocks) and then
// encoding them (appendPayload) was, under the signed-HTTP benchmark, the
// adapter's largest cost after the signature check: structs, text objects
// and interfaces for every block, a string for every line that was only
// copied into the JSON after, fmt for every bar. slack-go's API client
// (chat.postMessage, chat.postEphemeral, Socket Mode acknowledgements) still
// gets the structs (payload.structs), and blocks stays the reference:
// TestAppendReplyMatchesBlocks holds appendReply to appendPayload of
// render's blocks, byte for byte, on many replies.
//
// appendReply follows blocks step by step. Where blocks escapes a string
// (esc) and JSON escapes it again, appendReply does both in one pass
// (appendEscaped), and where blocks joins strings before encoding them, it
// encodes the parts one after the other: the JSON escaping of a string is
// the escapings of its parts put together as long as no part boundary
// splits a UTF-8 sequence, and every boundary here has an ASCII byte on
// one side (a newline, "*", "<", "|"), which no multi-byte sequence holds.
// Where blocks would clip a text (clip), appendReply builds the string as
// blocks does and encodes that; a bound on the escaped length (at most 5
// bytes, "&amp;", for each byte) tells it when no clip can happen.

// renderLazy is render leaving the blocks unbuilt: the payload's JSON
// (appendJSON) is encoded from r directly, and structs builds the blocks
// for what needs slack-go's structs.
func renderLazy(r *bot.Reply) payload {
	if r == nil {
		return render(nil)
	}
	p := payload{ResponseType: ephemeral, Text: fallback(r), reply: r}
	if r.Public {
		p.ResponseType = inChannel
	}
	return p
}

// structs builds the blocks of a payload renderLazy made, making it
// render's payload; it does nothing to any other.
func (p *payload) structs() {
	if p.reply != nil {
		p.Blocks, p.reply = blocks(p.reply, maxMessageBlocks), nil
	}
}

// appendReply appends the encoding of a payload renderLazy made (p.reply
// not nil): appendPayload of render's payload.
func appendReply(dst []byte, p *payload) []byte {
	dst = appendPayloadHead(dst, p)
	dst = append(dst, `,"blocks":[`...)
	w := blockWriter{dst: dst}
	w.blocks(p.reply, maxMessageBlocks)
	return append(w.dst, "]}"...)
}

// blockWriter appends the encoded blocks of a reply, separated by commas.
type blockWriter struct {
	dst []byte
	n   int // blocks begun
	// keep is how many blocks stay when the message is cut (blocks'
	// keep), and cutAt where the block after them begins in dst.
	keep, cutAt int
	// chunk is set while a section of chunked lines is open; runes is its
	// length so far.
	chunk bool
	runes int
	// fields is set while a section of inline fields is open; nfields is
	// how many it holds.
	fields  bool
	nfields int
	// actions are the buttons' actions so far, to drop a repeated one.
	actions [maxButtons]string
	nact    int
}

// begin starts a block.
func (w *blockWriter) begin() {
	if w.n == w.keep {
		w.cutAt = len(w.dst)
	}
	if w.n > 0 {
		w.dst = append(w.dst, ',')
	}
	w.n++
}

// blocks is blocks(r, limit) for a reply that is not nil.
func (w *blockWriter) blocks(r *bot.Reply, limit int) {
	mentions := !r.Public // escFor
	actions := 0
	for _, b := range r.Buttons {
		if b.Action != "" && len(b.Action) <= maxActionID {
			actions = 1 // the first such button is always taken
			break
		}
	}
	w.keep = max(limit-actions-1, 0)
	if t := strings.TrimSpace(r.Title); t != "" {
		w.begin()
		w.dst = append(w.dst, `{"type":"header","text":`...)
		w.dst = appendPlain(w.dst, clip(oneLine(t), maxHeaderLen))
		w.dst = append(w.dst, '}')
	}
	for _, s := range r.Text {
		if strings.TrimSpace(s) != "" {
			w.escapedSection(s, mentions)
		}
	}
	for _, f := range r.Fields {
		if !f.Inline {
			w.flushFields()
			w.begin()
			w.dst = append(w.dst, `{"type":"section","text":`...)
			w.field(f, mentions)
			w.dst = append(w.dst, '}')
			continue
		}
		if w.fields {
			w.dst = append(w.dst, ',')
		} else {
			w.begin()
			w.dst = append(w.dst, `{"type":"section","fields":[`...)
			w.fields = true
		}
		w.field(f, mentions)
		if w.nfields++; w.nfields == maxFields {
			w.flushFields()
		}
	}
	w.flushFields()
	for _, b := range r.Bars {
		w.barLine(b)
	}
	w.endChunk()
	for _, l := range r.Links {
		w.linkLine(l)
	}
	w.endChunk()
	if f := strings.TrimSpace(r.Footer); f != "" {
		w.begin()
		w.dst = append(w.dst, `{"type":"context","elements":[`...)
		w.dst = appendEscapedMrkdwn(w.dst, f, mentions, maxFieldLen)
		w.dst = append(w.dst, "]}"...)
	}
	if w.n == 0 {
		w.section("Done.")
	}
	if w.n+actions > limit {
		w.dst, w.n = w.dst[:w.cutAt], w.keep
		w.begin()
		w.dst = append(w.dst, `{"type":"context","elements":[`...)
		w.dst = appendMrkdwn(w.dst, "_(cut to fit Slack's message limits)_")
		w.dst = append(w.dst, "]}"...)
	}
	if actions > 0 {
		w.buttons(r.Buttons)
	}
}

// section is a section of text, as section: clipped, not escaped.
func (w *blockWriter) section(text string) {
	w.begin()
	w.dst = append(w.dst, `{"type":"section","text":`...)
	w.dst = appendMrkdwn(w.dst, clip(text, maxSectionLen))
	w.dst = append(w.dst, '}')
}

// escapedSection is section(escape(s, mentions)).
func (w *blockWriter) escapedSection(s string, mentions bool) {
	w.begin()
	w.dst = append(w.dst, `{"type":"section","text":`...)
	w.dst = appendEscapedMrkdwn(w.dst, s, mentions, maxSectionLen)
	w.dst = append(w.dst, '}')
}

// field appends the text object of a field:
// mrkdwn(clip("*"+esc(oneLine(name))+"*\n"+esc(value), maxFieldLen)).
func (w *blockWriter) field(f bot.Field, mentions bool) {
	name := oneLine(f.Name)
	if 3+escapedBound(len(name)+len(f.Value)) > maxFieldLen {
		w.dst = appendMrkdwn(w.dst, clip("*"+escape(name, mentions)+"*\n"+escape(f.Value, mentions), maxFieldLen))
		return
	}
	w.dst = append(w.dst, `{"type":"mrkdwn","text":"*`...)
	w.dst = appendEscaped(w.dst, name, mentions)
	w.dst = append(w.dst, `*\n`...)
	w.dst = appendEscaped(w.dst, f.Value, mentions)
	w.dst = append(w.dst, `"}`...)
}

// flushFields closes an open section of inline fields.
func (w *blockWriter) flushFields() {
	if w.fields {
		w.dst = append(w.dst, "]}"...)
		w.fields, w.nfields = false, 0
	}
}

// line starts a line of n runes (at most maxSectionLen) of chunked's: in
// the open section if it fits there, else in a new one.
func (w *blockWriter) line(n int) {
	if w.chunk && w.runes+1+n > maxSectionLen {
		w.endChunk()
	}
	if w.chunk {
		w.dst = append(w.dst, `\n`...)
		w.runes++
	} else {
		w.begin()
		w.dst = append(w.dst, `{"type":"section","text":{"type":"mrkdwn","text":"`...)
		w.chunk = true
	}
	w.runes += n
}

// stringLine is a line of chunked's as a string, clipped as chunked does.
func (w *blockWriter) stringLine(l string) {
	n := utf8.RuneCountInString(l)
	if n > maxSectionLen {
		l, n = clip(l, maxSectionLen), maxSectionLen
	}
	w.line(n)
	w.dst = appendJSONChars(w.dst, l)
}

// endChunk closes an open section of chunked lines.
func (w *blockWriter) endChunk() {
	if w.chunk {
		w.dst = append(w.dst, `"}}`...)
		w.chunk, w.runes = false, 0
	}
}

// barLine is the line barLine(b), without building it: the label, then
// bot.Bar.Text's numbers ("%d of %d, %d%%"), then the drawn bar.
func (w *blockWriter) barLine(b bot.Bar) {
	label := strings.TrimSpace(oneLine(b.Label))
	var buf [64]byte
	num := strconv.AppendInt(buf[:0], int64(b.Done), 10)
	num = append(num, " of "...)
	num = strconv.AppendInt(num, int64(b.Total), 10)
	num = append(num, ", "...)
	num = strconv.AppendInt(num, int64(b.Percent()), 10)
	num = append(num, '%')
	n := len(num) + len("  `") + barWidth + len("`")
	if label != "" {
		n += escapedRunes(label) + len(": ")
	}
	if n > maxSectionLen {
		w.stringLine(barLine(b))
		return
	}
	w.line(n)
	if label != "" {
		w.dst = appendEscaped(w.dst, label, false)
		w.dst = append(w.dst, ": "...)
	}
	w.dst = append(w.dst, num...)
	w.dst = append(w.dst, "  `"...)
	w.dst = append(w.dst, barGlyphs(b)...) // ▓ and ░ need no JSON escaping
	w.dst = append(w.dst, '`')
}

// linkLine is the line linkLine(l), without building it.
func (w *blockWriter) linkLine(l bot.Link) {
	title := oneLine(strings.ReplaceAll(l.Title, "|", "/"))
	if title == "" {
		title = l.URL
	}
	var kind string
	if k := strings.TrimSpace(l.Kind); k != "" {
		kind = oneLine(k)
	}
	link := webLink(l.URL)
	n := 2 + escapedRunes(title) // "• " is two runes
	if link {
		n += len("<|>") + utf8.RuneCountInString(l.URL)
	}
	if kind != "" {
		n += len(" _()_") + escapedRunes(kind)
	}
	if n > maxSectionLen {
		w.stringLine(linkLine(l))
		return
	}
	w.line(n)
	w.dst = append(w.dst, "• "...)
	if link {
		w.dst = append(w.dst, `\u003c`...)
		w.dst = appendJSONChars(w.dst, l.URL)
		w.dst = append(w.dst, '|')
		w.dst = appendEscaped(w.dst, title, false)
		w.dst = append(w.dst, `\u003e`...)
	} else {
		w.dst = appendEscaped(w.dst, title, false)
	}
	if kind != "" {
		w.dst = append(w.dst, " _("...)
		w.dst = appendEscaped(w.dst, kind, false)
		w.dst = append(w.dst, ")_"...)
	}
}

// webLink reports whether linkLine makes a link of u: an http or https URL
// url.Parse takes, with none of the characters that would end Slack's
// <url|title> early. url.Parse lower-cases the scheme, so any other URL
// is told from its first bytes without parsing it. The verdict on a web
// URL is kept (webLinks): replies show the same roadmap links again and
// again, and url.Parse (allocating the URL it returns) was a third of
// encoding a link line in the adapter's profile.
func webLink(u string) bool {
	if !hasPrefixFold(u, "http:") && !hasPrefixFold(u, "https:") {
		return false
	}
	if len(u) > maxCachedLink {
		return parseWebLink(u)
	}
	slot := &webLinks[maphash.String(webLinkSeed, u)%uint64(len(webLinks))]
	if v := slot.Load(); v != nil && v.url == u {
		return v.link
	}
	link := parseWebLink(u)
	// A clone: u may be part of a larger string (a roadmap file) the
	// cache should not keep alive.
	slot.Store(&webLinkVerdict{strings.Clone(u), link})
	return link
}

// parseWebLink is webLink without the cache.
func parseWebLink(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && !strings.ContainsAny(u, "<>| \n")
}

// webLinks holds webLink's latest verdicts, one per slot: a URL is in the
// slot its hash picks, replacing the one that was there. The verdict is
// a function of the URL alone, so a slot only saves the parse.
var (
	webLinks    [256]atomic.Pointer[webLinkVerdict]
	webLinkSeed = maphash.MakeSeed()
)

// maxCachedLink bounds the URLs webLinks keeps, and so its size.
const maxCachedLink = 512

type webLinkVerdict struct {
	url  string
	link bool
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// buttons is buttons(bs) when at least one button is taken.
func (w *blockWriter) buttons(bs []bot.Button) {
	w.begin()
	w.dst = append(w.dst, `{"type":"actions","elements":[`...)
	for _, b := range bs {
		if b.Action == "" || len(b.Action) > maxActionID || w.nact == maxButtons || w.hasAction(b.Action) {
			continue
		}
		if w.nact > 0 {
			w.dst = append(w.dst, ',')
		}
		w.actions[w.nact] = b.Action
		w.nact++
		w.dst = append(w.dst, `{"type":"button","text":`...)
		w.dst = appendPlain(w.dst, clip(oneLine(b.Label), maxButtonText))
		w.dst = append(w.dst, `,"action_id":`...)
		w.dst = jsonenc.AppendString(w.dst, b.Action)
		w.dst = append(w.dst, `,"value":`...)
		w.dst = jsonenc.AppendString(w.dst, b.Action)
		switch b.Style {
		case bot.ButtonPrimary, bot.ButtonSuccess:
			w.dst = append(w.dst, `,"style":"primary"`...)
		case bot.ButtonDanger:
			w.dst = append(w.dst, `,"style":"danger"`...)
		}
		w.dst = append(w.dst, '}')
	}
	w.dst = append(w.dst, "]}"...)
}

func (w *blockWriter) hasAction(action string) bool {
	for _, a := range w.actions[:w.nact] {
		if a == action {
			return true
		}
	}
	return false
}

// appendPlain appends plain(s)'s encoding.
func appendPlain(dst []byte, s string) []byte {
	if s == "" {
		s = " "
	}
	dst = append(dst, `{"type":"plain_text","text":`...)
	dst = jsonenc.AppendString(dst, s)
	return append(dst, `,"emoji":true}`...)
}

// appendMrkdwn appends mrkdwn(s)'s encoding.
func appendMrkdwn(dst []byte, s string) []byte {
	dst = append(dst, `{"type":"mrkdwn","text":`...)
	dst = jsonenc.AppendString(dst, s)
	return append(dst, '}')
}

// appendEscapedMrkdwn appends mrkdwn(clip(escape(s, mentions), limit))'s
// encoding.
func appendEscapedMrkdwn(dst []byte, s string, mentions bool, limit int) []byte {
	if escapedBound(len(s)) > limit {
		return appendMrkdwn(dst, clip(escape(s, mentions), limit))
	}
	dst = append(dst, `{"type":"mrkdwn","text":"`...)
	dst = appendEscaped(dst, s, mentions)
	return append(dst, `"}`...)
}

// escapedBound bounds the runes of escape(s) for an s of n bytes: escape
// makes at most 5 bytes ("&amp;") of a byte, and a rune is at least a byte.
func escapedBound(n int) int { return 5 * n }

// escapedRunes is the length in runes of esc(s).
func escapedRunes(s string) int {
	n := utf8.RuneCountInString(s)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&':
			n += len("&amp;") - 1
		case '<', '>':
			n += len("&lt;") - 1
		}
	}
	return n
}

// appendEscaped appends escape(s, mentions) JSON-escaped, without quotes:
// the text between the characters escape replaces goes through
// appendJSONChars, and the replacements, which are ASCII, are written
// JSON-escaped as they are.
func appendEscaped(dst []byte, s string, mentions bool) []byte {
	for {
		i := strings.IndexAny(s, "<>&")
		if i < 0 {
			return appendJSONChars(dst, s)
		}
		dst = appendJSONChars(dst, s[:i])
		switch s[i] {
		case '&':
			dst = append(dst, `\u0026amp;`...)
		case '>':
			dst = append(dst, `\u0026gt;`...)
		case '<':
			if n := mentionLen(s[i:]); mentions && n > 0 {
				// <@U123>: the id between needs no JSON escaping.
				dst = append(dst, `\u003c`...)
				dst = append(dst, s[i+1:i+n-1]...)
				dst = append(dst, `\u003e`...)
				s = s[i+n:]
				continue
			}
			dst = append(dst, `\u0026lt;`...)
		}
		s = s[i+1:]
	}
}

// appendJSONChars appends s JSON-escaped as jsonenc.AppendString escapes
// it, without the quotes, so that a string's parts can be encoded one
// after the other.
func appendJSONChars(dst []byte, s string) []byte {
	if s == "" {
		return dst
	}
	n := len(dst)
	dst = jsonenc.AppendString(dst, s)
	// Move the escaped text over the opening quote; drop the closing one.
	m := copy(dst[n:], dst[n+1:len(dst)-1])
	return dst[:n+m]
}
