package slack

import (
	"encoding/json"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot/jsonenc"
)

// Messages are encoded by hand. Profiled under the signed-HTTP load
// benchmark, json.Marshal of a payload was the adapter's largest cost after
// the engine: slack-go's blocks are interfaces, its element lists marshal
// themselves with json.Marshal, and encoding/json then re-scans each of
// those results. The blocks render makes are few and fixed (header,
// section, context, actions of buttons, divider), so appendPayload writes
// them directly, with encoding/json's escaping; anything else (another block
// or element type, a field render never sets) makes it give up, and json()
// falls back to encoding/json for the whole message.
// TestAppendPayloadMatchesEncodingJSON holds the two to the same bytes.

// appendPayload appends p as encoding/json would encode it, or reports
// false if p holds something it does not know.
func appendPayload(dst []byte, p *payload) ([]byte, bool) {
	if p.reply != nil {
		return appendReply(dst, p), true
	}
	dst = appendPayloadHead(dst, p)
	if len(p.Blocks) > 0 {
		dst = append(dst, `,"blocks":[`...)
		for i, b := range p.Blocks {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendBlock(dst, b); !ok {
				return dst, false
			}
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), true
}

// appendPayloadHead appends the message's opening brace and the fields
// before its blocks.
func appendPayloadHead(dst []byte, p *payload) []byte {
	dst = append(dst, '{')
	if p.ResponseType != "" {
		dst = append(dst, `"response_type":`...)
		dst = jsonenc.AppendString(dst, p.ResponseType)
		dst = append(dst, ',')
	}
	if p.ReplaceOriginal {
		dst = append(dst, `"replace_original":true,`...)
	}
	dst = append(dst, `"text":`...)
	return jsonenc.AppendString(dst, p.Text)
}

// appendBlock appends one block of the kinds render makes, as a pointer
// (what slack-go's constructors return).
func appendBlock(dst []byte, b slack.Block) ([]byte, bool) {
	switch b := b.(type) {
	case *slack.SectionBlock:
		if b == nil || b.Accessory != nil {
			return dst, false
		}
		dst = appendTypeAndID(dst, string(b.Type), "", false)
		if b.Text != nil {
			dst = append(dst, `,"text":`...)
			dst = appendText(dst, b.Text)
		}
		if b.BlockID != "" {
			dst = append(dst, `,"block_id":`...)
			dst = jsonenc.AppendString(dst, b.BlockID)
		}
		if len(b.Fields) > 0 {
			dst = append(dst, `,"fields":[`...)
			for i, f := range b.Fields {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendText(dst, f)
			}
			dst = append(dst, ']')
		}
		if b.Expand {
			dst = append(dst, `,"expand":true`...)
		}
		return append(dst, '}'), true
	case *slack.HeaderBlock:
		if b == nil {
			return dst, false
		}
		dst = appendTypeAndID(dst, string(b.Type), "", false)
		if b.Text != nil {
			dst = append(dst, `,"text":`...)
			dst = appendText(dst, b.Text)
		}
		if b.BlockID != "" {
			dst = append(dst, `,"block_id":`...)
			dst = jsonenc.AppendString(dst, b.BlockID)
		}
		if b.Level != 0 {
			dst = append(dst, `,"level":`...)
			dst = strconv.AppendInt(dst, int64(b.Level), 10)
		}
		return append(dst, '}'), true
	case *slack.ContextBlock:
		if b == nil {
			return dst, false
		}
		dst = appendTypeAndID(dst, string(b.Type), b.BlockID, true)
		dst = append(dst, `,"elements":`...)
		if b.ContextElements.Elements == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for i, e := range b.ContextElements.Elements {
				t, ok := e.(*slack.TextBlockObject)
				if !ok {
					return dst, false
				}
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendText(dst, t)
			}
			dst = append(dst, ']')
		}
		return append(dst, '}'), true
	case *slack.ActionBlock:
		if b == nil {
			return dst, false
		}
		dst = appendTypeAndID(dst, string(b.Type), b.BlockID, true)
		dst = append(dst, `,"elements":`...)
		if b.Elements == nil || b.Elements.ElementSet == nil {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, '[')
			for i, e := range b.Elements.ElementSet {
				btn, ok := e.(*slack.ButtonBlockElement)
				if !ok || btn == nil || btn.Confirm != nil || len(btn.VisibleToUserIDs) > 0 ||
					btn.AgentPrompt != "" || btn.AgentPromptDisplay != "" {
					return dst, false
				}
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendButton(dst, btn)
			}
			dst = append(dst, ']')
		}
		return append(dst, '}'), true
	case *slack.DividerBlock:
		if b == nil {
			return dst, false
		}
		return append(appendTypeAndID(dst, string(b.Type), b.BlockID, true), '}'), true
	}
	return dst, false
}

// appendTypeAndID opens a block: {"type":...[,"block_id":...] when withID.
func appendTypeAndID(dst []byte, typ, id string, withID bool) []byte {
	dst = append(dst, `{"type":`...)
	dst = jsonenc.AppendString(dst, typ)
	if withID && id != "" {
		dst = append(dst, `,"block_id":`...)
		dst = jsonenc.AppendString(dst, id)
	}
	return dst
}

// appendText appends a text object; nil is null, as encoding/json has it.
func appendText(dst []byte, t *slack.TextBlockObject) []byte {
	if t == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"type":`...)
	dst = jsonenc.AppendString(dst, t.Type)
	dst = append(dst, `,"text":`...)
	dst = jsonenc.AppendString(dst, t.Text)
	if t.Emoji != nil {
		dst = strconv.AppendBool(append(dst, `,"emoji":`...), *t.Emoji)
	}
	if t.Verbatim {
		dst = append(dst, `,"verbatim":true`...)
	}
	return append(dst, '}')
}

func appendButton(dst []byte, b *slack.ButtonBlockElement) []byte {
	dst = append(dst, '{')
	if b.Type != "" {
		dst = append(dst, `"type":`...)
		dst = jsonenc.AppendString(dst, string(b.Type))
		dst = append(dst, ',')
	}
	dst = append(dst, `"text":`...)
	dst = appendText(dst, b.Text)
	for _, f := range [...]struct{ key, val string }{
		{`,"action_id":`, b.ActionID},
		{`,"url":`, b.URL},
		{`,"value":`, b.Value},
		{`,"style":`, string(b.Style)},
		{`,"accessibility_label":`, b.AccessibilityLabel},
	} {
		if f.val != "" {
			dst = append(dst, f.key...)
			dst = jsonenc.AppendString(dst, f.val)
		}
	}
	return append(dst, '}')
}

// marshalPayload is encoding/json's encoding of p: the reference the test
// holds appendPayload to, and the fallback.
func marshalPayload(p payload) ([]byte, error) { return json.Marshal(p) }
