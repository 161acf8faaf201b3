package discord

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/jsonenc"
)

// An engine's reply is encoded straight from the bot.Reply. Profiled on the
// signed-HTTP path, rendering a reply into a message (render: an embed,
// its fields, a row struct and an interface box per button, a custom id
// string per button, the description joined from strings, the bars from
// Sprintf) and then encoding that message was most of the adapter's own
// allocations per command. replyData keeps what render would be given;
// appendJSON writes the same bytes appendResponse would write for
// render's message, with nothing built on the way. What it does not do
// itself (a file, an embed over Discord's limits, which render trims) it
// leaves to render: TestReplyDataMatchesRender holds the two together.

// replyData is the data of an answer that is a rendered reply: render(r,
// guild, owner), its flags cleared when upd (an update keeps the message's
// own visibility). r is not nil and has no file.
type replyData struct {
	r            *bot.Reply
	guild, owner string
	upd          bool
}

// message is the message render makes of d.
func (d *replyData) message() *message {
	m := render(d.r, d.guild, d.owner)
	if d.upd {
		m.Flags = 0
	}
	return m
}

// MarshalJSON is for encoding/json, which the REST callback (gateway
// mode) goes through.
func (d *replyData) MarshalJSON() ([]byte, error) {
	return d.appendTo(make([]byte, 0, answerSize)), nil
}

// appendTo appends the message's JSON to dst: directly when it can,
// through render otherwise.
func (d *replyData) appendTo(dst []byte) []byte {
	n := len(dst)
	ids := idsPool.Get().(*[]byte)
	dst, ok := d.appendJSON(dst, ids)
	if cap(*ids) <= 4*maxRows*maxRowButtons*maxCustomID { // not one grown by a huge action
		*ids = (*ids)[:0]
		idsPool.Put(ids)
	}
	if ok {
		return dst
	}
	return d.message().appendJSON(dst[:n])
}

// idsPool holds the scratch in which appendJSON keeps the custom ids of
// the buttons it wrote, to leave out duplicates as render does.
var idsPool = sync.Pool{New: func() any {
	b := make([]byte, 0, maxRows*maxRowButtons*maxCustomID)
	return &b
}}

// appendJSON appends render's message as appendJSON of it would, or
// reports false (with dst holding a partial write) when the reply needs
// what only render does: an embed over maxDescription4 or maxEmbedTotal
// bytes, which render shortens.
func (d *replyData) appendJSON(dst []byte, ids *[]byte) ([]byte, bool) {
	r := d.r
	owner := d.owner
	if r.Public {
		owner = ""
	}
	hasDesc := len(r.Bars) > 0
	for _, p := range r.Text {
		hasDesc = hasDesc || strings.TrimSpace(p) != ""
	}
	title := clip(r.Title, maxTitle)
	hasEmbed := title != "" || hasDesc || len(r.Fields) > 0 || len(r.Links) > 0 || r.Footer != ""
	if hasEmbed {
		dst = append(dst, `{"content":"","embeds":[{`...)
		var ok bool
		if dst, ok = appendReplyEmbed(dst, r, title, hasDesc); !ok {
			return dst, false
		}
		dst = append(dst, "}]"...)
	} else {
		dst = append(dst, `{"content":"Done.","embeds":[]`...)
	}
	dst = append(dst, `,"components":[`...)
	dst = appendButtons(dst, ids, r.Buttons, d.guild, owner)
	dst = append(dst, `],"attachments":[],"allowed_mentions":{"parse":[],"replied_user":false}`...)
	if !r.Public && !d.upd {
		dst = append(dst, `,"flags":`...)
		dst = strconv.AppendInt(dst, int64(discordgo.MessageFlagsEphemeral), 10)
	}
	return append(dst, '}'), true
}

// appendReplyEmbed appends the members of embed(r), which is not nil, as
// appendEmbed would, or reports false when render would shorten it.
func appendReplyEmbed(dst []byte, r *bot.Reply, title string, hasDesc bool) ([]byte, bool) {
	size := len(title) // embedBytes
	if title != "" {
		dst = append(dst, `"title":`...)
		dst = jsonenc.AppendString(dst, title)
		dst = append(dst, ',')
	}
	if hasDesc {
		dst = append(dst, `"description":"`...)
		n := 0 // the description's length in bytes
		for _, p := range r.Text {
			if p = strings.TrimSpace(p); p != "" {
				if n > 0 {
					dst = append(dst, `\n\n`...)
					n += 2
				}
				dst = appendInner(dst, p)
				n += len(p)
			}
		}
		for i, b := range r.Bars {
			switch {
			case i > 0:
				dst = append(dst, `\n`...)
				n++
			case n > 0:
				dst = append(dst, `\n\n`...)
				n += 2
			}
			var w int
			dst, w = appendBarLine(dst, b)
			n += w
		}
		if n > maxDescription4 {
			return dst, false // clip may cut it
		}
		size += n
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"color":`...)
	dst = strconv.AppendInt(dst, embedColor, 10)
	if r.Footer != "" {
		footer := clip(r.Footer, maxFooter)
		size += len(footer)
		dst = append(dst, `,"footer":{"text":`...)
		dst = jsonenc.AppendString(dst, footer)
		dst = append(dst, '}')
	}
	fields := 0
	for _, f := range r.Fields {
		if fields == maxFields {
			break
		}
		name, value := orBlank(clip(f.Name, maxFieldName)), orBlank(clip(f.Value, maxFieldValue))
		size += len(name) + len(value)
		dst = appendField(dst, fields, name, value, f.Inline)
		fields++
	}
	if len(r.Links) > 0 && fields < maxFields {
		dst = appendField(dst, fields, "Resources", "", false)
		dst = dst[:len(dst)-len(`"}`)] // reopen the value
		size += len("Resources") + writeLinks(r.Links, func(s string) { dst = appendInner(dst, s) })
		dst = append(dst, `"}`...)
		fields++
	}
	if fields > 0 {
		dst = append(dst, ']')
	}
	return dst, size <= maxEmbedTotal
}

// appendField appends the i-th member of an embed's fields, opening the
// list before the first.
func appendField(dst []byte, i int, name, value string, inline bool) []byte {
	if i == 0 {
		dst = append(dst, `,"fields":[`...)
	} else {
		dst = append(dst, ',')
	}
	dst = append(dst, `{"name":`...)
	dst = jsonenc.AppendString(dst, name)
	dst = append(dst, `,"value":`...)
	dst = jsonenc.AppendString(dst, value)
	if inline {
		dst = append(dst, `,"inline":true`...)
	}
	return append(dst, '}')
}

// appendBarLine appends barLine(b) escaped, and returns barLine(b)'s
// length. The label is bot.Bar.Text's, the rest is ASCII.
func appendBarLine(dst []byte, b bot.Bar) ([]byte, int) {
	w := 0
	if label := strings.TrimSpace(clip(b.Label, 100)); label != "" {
		dst = appendInner(dst, label)
		dst = append(dst, ": "...)
		w = len(label) + 2
	}
	full := min(max(b.Percent()*barCells/100, 0), barCells)
	m := len(dst)
	dst = strconv.AppendInt(dst, int64(b.Done), 10)
	dst = append(dst, " of "...)
	dst = strconv.AppendInt(dst, int64(b.Total), 10)
	dst = append(dst, ", "...)
	dst = strconv.AppendInt(dst, int64(b.Percent()), 10)
	dst = append(dst, "% `"...)
	dst = append(dst, drawnBars[full]...)
	dst = append(dst, '`')
	return dst, w + len(dst) - m
}

// appendInner appends s JSON-escaped, without the quotes: a piece of a
// string value. Pieces escape as their concatenation does as long as no
// multi-byte sequence is split between two of them, which holds when the
// text of a caller's is always next to ASCII.
func appendInner(dst []byte, s string) []byte {
	n := len(dst)
	dst = jsonenc.AppendString(dst, s)
	copy(dst[n:], dst[n+1:len(dst)-1])
	return dst[:len(dst)-2]
}

// appendButtons appends the rows buttons(bs, guild, owner) lays out, as
// appendRow would, keeping the custom ids written in ids to leave out
// duplicates.
func appendButtons(dst []byte, ids *[]byte, bs []bot.Button, guild, owner string) []byte {
	var spans [maxRows * maxRowButtons][2]int // each written id's place in ids
	kept, rows, inRow := 0, 0, 0
	for _, bt := range bs {
		if bt.Label == "" {
			continue
		}
		mod := forModerators(bt.Action)
		if mod && owner == "" {
			continue
		}
		start := len(*ids)
		if mod {
			*ids = append(*ids, owner...)
			*ids = append(*ids, '@')
		}
		*ids = append(*ids, guild...)
		*ids = append(*ids, '|')
		*ids = append(*ids, bt.Action...)
		id := (*ids)[start:]
		dup := len(id) > maxCustomID
		for _, s := range spans[:kept] {
			dup = dup || string((*ids)[s[0]:s[1]]) == string(id)
		}
		if dup {
			*ids = (*ids)[:start]
			continue
		}
		if inRow == maxRowButtons {
			dst = append(dst, `],"type":`...)
			dst = strconv.AppendInt(dst, int64(discordgo.ActionsRowComponent), 10)
			dst = append(dst, '}')
			rows, inRow = rows+1, 0
		}
		if rows == maxRows {
			return dst
		}
		spans[kept] = [2]int{start, len(*ids)}
		kept++
		switch {
		case inRow > 0:
			dst = append(dst, ',')
		case rows > 0:
			dst = append(dst, `,{"components":[`...)
		default:
			dst = append(dst, `{"components":[`...)
		}
		inRow++
		dst = append(dst, `{"label":`...)
		dst = jsonenc.AppendString(dst, clip(bt.Label, maxLabel))
		dst = append(dst, `,"style":`...)
		dst = strconv.AppendInt(dst, int64(buttonStyle(bt.Style)), 10)
		dst = append(dst, `,"disabled":false,"custom_id":"`...)
		if mod {
			dst = appendInner(dst, owner)
			dst = append(dst, '@')
		}
		dst = appendInner(dst, guild)
		dst = append(dst, '|')
		dst = appendInner(dst, bt.Action)
		dst = append(dst, `","type":`...)
		dst = strconv.AppendInt(dst, int64(discordgo.ButtonComponent), 10)
		dst = append(dst, '}')
	}
	if inRow > 0 {
		dst = append(dst, `],"type":`...)
		dst = strconv.AppendInt(dst, int64(discordgo.ActionsRowComponent), 10)
		dst = append(dst, '}')
	}
	return dst
}

var _ json.Marshaler = (*replyData)(nil)
