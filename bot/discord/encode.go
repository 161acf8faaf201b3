package discord

import (
	"encoding/json"
	"strconv"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot/jsonenc"
)

// Answers are encoded by hand. Profiled on the signed-HTTP path, encoding an
// answer with encoding/json was the adapter's largest cost after the
// signature check: it walks discordgo's embed struct field by field, and
// each button and row is marshalled on its own by discordgo's MarshalJSON
// and then re-scanned by the outer encoder. The shapes the adapter renders
// are few and fixed (render), so appendMessage writes them directly, with
// encoding/json's escaping; anything it does not know (a field render never
// sets, another component type) goes through encoding/json as before.
// TestAppendMessageMatchesEncodingJSON holds the two to the same bytes.

// appendResponse appends r as JSON to dst.
func appendResponse(dst []byte, r *response) ([]byte, error) {
	if d, ok := r.Data.(*replyData); ok {
		dst = append(dst, `{"type":`...)
		dst = strconv.AppendInt(dst, int64(r.Type), 10)
		dst = append(dst, `,"data":`...)
		dst = d.appendTo(dst)
		return append(dst, '}'), nil
	}
	m, ok := r.Data.(*message)
	if !ok || m == nil || !m.plain() {
		data, err := json.Marshal(r)
		return append(dst, data...), err
	}
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendInt(dst, int64(r.Type), 10)
	dst = append(dst, `,"data":`...)
	dst = m.appendJSON(dst)
	return append(dst, '}'), nil
}

// MarshalJSON encodes the message as appendMessage does, for the REST
// client and the golden files.
func (m *message) MarshalJSON() ([]byte, error) {
	if !m.plain() {
		type plainMessage message // no methods: encoding/json's own walk
		return json.Marshal((*plainMessage)(m))
	}
	return m.appendJSON(make([]byte, 0, 1024)), nil
}

// plain reports whether appendJSON knows every field m sets.
func (m *message) plain() bool {
	for _, e := range m.Embeds {
		if e == nil || e.URL != "" || e.Type != "" || e.Timestamp != "" || e.Thumbnail != nil || e.Video != nil || e.Provider != nil || e.Author != nil ||
			(e.Footer != nil && (e.Footer.IconURL != "" || e.Footer.ProxyIconURL != "")) ||
			(e.Image != nil && (e.Image.ProxyURL != "" || e.Image.Width != 0 || e.Image.Height != 0)) {
			return false
		}
		for _, f := range e.Fields {
			if f == nil {
				return false
			}
		}
	}
	for _, c := range m.Components {
		row, ok := c.(discordgo.ActionsRow)
		if !ok || row.ID != 0 {
			return false
		}
		for _, c := range row.Components {
			b, ok := c.(discordgo.Button)
			if !ok || b.Emoji != nil || b.URL != "" || b.SKUID != "" || b.ID != 0 {
				return false
			}
		}
	}
	am := m.AllowedMentions
	return am == nil || (len(am.Roles) == 0 && len(am.Users) == 0)
}

func (m *message) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"content":`...)
	dst = jsonenc.AppendString(dst, m.Content)
	dst = append(dst, `,"embeds":`...)
	if m.Embeds == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, e := range m.Embeds {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendEmbed(dst, e)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"components":`...)
	if m.Components == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, c := range m.Components {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendRow(dst, c.(discordgo.ActionsRow))
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"attachments":`...)
	if m.Attachments == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, a := range m.Attachments {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"id":`...)
			dst = strconv.AppendInt(dst, int64(a.ID), 10)
			dst = append(dst, `,"filename":`...)
			dst = jsonenc.AppendString(dst, a.Filename)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"allowed_mentions":`...)
	if am := m.AllowedMentions; am == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, `{"parse":`...)
		if am.Parse == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for i, p := range am.Parse {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = jsonenc.AppendString(dst, string(p))
			}
			dst = append(dst, ']')
		}
		dst = append(dst, `,"replied_user":`...)
		dst = strconv.AppendBool(dst, am.RepliedUser)
		dst = append(dst, '}')
	}
	if m.Flags != 0 {
		dst = append(dst, `,"flags":`...)
		dst = strconv.AppendInt(dst, int64(m.Flags), 10)
	}
	return append(dst, '}')
}

func appendEmbed(dst []byte, e *discordgo.MessageEmbed) []byte {
	dst = append(dst, '{')
	n := len(dst)
	comma := func() {
		if len(dst) > n {
			dst = append(dst, ',')
		}
	}
	if e.Title != "" {
		dst = append(dst, `"title":`...)
		dst = jsonenc.AppendString(dst, e.Title)
	}
	if e.Description != "" {
		comma()
		dst = append(dst, `"description":`...)
		dst = jsonenc.AppendString(dst, e.Description)
	}
	if e.Color != 0 {
		comma()
		dst = append(dst, `"color":`...)
		dst = strconv.AppendInt(dst, int64(e.Color), 10)
	}
	if e.Footer != nil {
		comma()
		dst = append(dst, `"footer":{`...)
		if e.Footer.Text != "" {
			dst = append(dst, `"text":`...)
			dst = jsonenc.AppendString(dst, e.Footer.Text)
		}
		dst = append(dst, '}')
	}
	if e.Image != nil {
		comma()
		dst = append(dst, `"image":{"url":`...)
		dst = jsonenc.AppendString(dst, e.Image.URL)
		dst = append(dst, '}')
	}
	if len(e.Fields) > 0 {
		comma()
		dst = append(dst, `"fields":[`...)
		for i, f := range e.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = jsonenc.AppendString(dst, f.Name)
			dst = append(dst, `,"value":`...)
			dst = jsonenc.AppendString(dst, f.Value)
			if f.Inline {
				dst = append(dst, `,"inline":true`...)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func appendRow(dst []byte, row discordgo.ActionsRow) []byte {
	dst = append(dst, `{"components":`...)
	if row.Components == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, c := range row.Components {
			if i > 0 {
				dst = append(dst, ',')
			}
			b := c.(discordgo.Button)
			if b.Style == 0 {
				b.Style = discordgo.PrimaryButton // as Button.MarshalJSON does
			}
			dst = append(dst, `{"label":`...)
			dst = jsonenc.AppendString(dst, b.Label)
			dst = append(dst, `,"style":`...)
			dst = strconv.AppendInt(dst, int64(b.Style), 10)
			dst = append(dst, `,"disabled":`...)
			dst = strconv.AppendBool(dst, b.Disabled)
			if b.CustomID != "" {
				dst = append(dst, `,"custom_id":`...)
				dst = jsonenc.AppendString(dst, b.CustomID)
			}
			dst = append(dst, `,"type":`...)
			dst = strconv.AppendInt(dst, int64(b.Type()), 10)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"type":`...)
	dst = strconv.AppendInt(dst, int64(row.Type()), 10)
	return append(dst, '}')
}
