package discord

import (
	"strconv"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot/jsonscan"
)

// fastDecode decodes an interaction body into w exactly as json.Unmarshal
// would, for the bodies Discord sends, and reports false for anything else
// (the caller then runs json.Unmarshal, whose result and refusals stand).
// Profiled on the signed-HTTP path, json.Unmarshal of wireInteraction was
// the adapter's largest cost after the signature check: reflection, a map
// lookup per key, and a validation pass over the body before the decoding
// pass. This is one pass, and it gives up rather than guess:
//   - a key with an escape or a non-ASCII byte, a key given twice, or an
//     unknown key that equals a known one but for case (encoding/json
//     matches keys case-insensitively);
//   - a string value with an escape or a control character, or invalid
//     UTF-8 (encoding/json replaces it);
//   - a number that is not a plain non-negative integer where the field is
//     an integer, an option value that is an object or an array, resolved
//     data or select values, a null option;
//   - a value of another JSON type than the field's, invalid JSON anywhere
//     (values it does not keep are checked as it skips them), anything after
//     the object, or nesting deeper than jsonscan.MaxDepth.
//
// FuzzFastDecode holds it to json.Unmarshal: whatever it accepts, it
// decodes to the same wireInteraction.
//
// The structs out points to are a's, a fresh one each call: one allocation
// for them all, where one each (data, member, its user) was a third of the
// decoder's.
func fastDecode(body []byte, a *wireArena) (out wireInteraction, ok bool) {
	d := fastDec{Scanner: jsonscan.Scanner{Src: body}, a: a}
	d.WS()
	if !d.Peek('{') {
		return wireInteraction{}, false
	}
	if !d.Object(topKeys, func(k int) bool {
		switch k {
		case 0:
			return d.str(&out.ID)
		case 1:
			return d.str(&out.AppID)
		case 2:
			return d.uint8Of(func(n uint8) { out.Type = discordgo.InteractionType(n) })
		case 3:
			return d.ptr(func() bool { out.Data = &d.a.data; return d.data(out.Data) })
		case 4:
			return d.str(&out.GuildID)
		case 5:
			return d.str(&out.ChannelID)
		case 6:
			return d.ptr(func() bool { out.Message = &d.a.message; return d.message(out.Message) })
		case 7:
			return d.ptr(func() bool { out.Member = &d.a.member; return d.member(out.Member) })
		case 8:
			return d.ptr(func() bool { out.User = &d.a.user; return d.user(out.User) })
		case 9:
			return d.str(&out.Token)
		}
		return false
	}) {
		return wireInteraction{}, false
	}
	d.WS()
	if d.Pos != len(d.Src) {
		return wireInteraction{}, false
	}
	return out, true
}

// The keys of each struct fastDecode fills, in the order its switch reads.
var (
	topKeys     = []string{"id", "application_id", "type", "data", "guild_id", "channel_id", "message", "member", "user", "token"}
	memberKeys  = []string{"user", "nick", "permissions"}
	userKeys    = []string{"id", "username", "global_name"}
	messageKeys = []string{"flags"}
	dataKeys    = []string{"id", "name", "type", "options", "resolved", "target_id", "custom_id", "component_type", "values"}
	optionKeys  = []string{"name", "type", "value", "options", "focused"}
)

type fastDec struct {
	jsonscan.Scanner
	a *wireArena
}

// wireArena holds the structs a wireInteraction from fastDecode points to.
// A key given twice makes fastDecode give up, so each is filled once.
type wireArena struct {
	data             wireData
	message          wireMessage
	member           wireMember
	user, memberUser wireUser
}

// str reads a string field: null leaves it as it is, as encoding/json does.
func (d *fastDec) str(dst *string) bool {
	if d.Null() {
		return true
	}
	if !d.Peek('"') {
		return false
	}
	start, ascii := d.Pos+1, true
	for j := start; j < len(d.Src); j++ {
		switch c := d.Src[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(d.Src[start:j]) {
				return false
			}
			*dst = string(d.Src[start:j])
			d.Pos = j + 1
			return true
		case c < 0x20 || c == '\\':
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return false
}

// digits reads a plain non-negative integer of at most max digits, as
// JSON writes one (no leading zero), not followed by a fraction or an
// exponent.
func (d *fastDec) digits(max int) (uint64, bool) {
	j := d.Pos
	for j < len(d.Src) && d.Src[j] >= '0' && d.Src[j] <= '9' {
		j++
	}
	n := j - d.Pos
	if n == 0 || n > max || (n > 1 && d.Src[d.Pos] == '0') {
		return 0, false
	}
	if j < len(d.Src) && (d.Src[j] == '.' || d.Src[j] == 'e' || d.Src[j] == 'E') {
		return 0, false
	}
	v, err := strconv.ParseUint(string(d.Src[d.Pos:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	d.Pos = j
	return v, true
}

// uint8Of reads a uint8 field (null leaves it).
func (d *fastDec) uint8Of(set func(uint8)) bool {
	if d.Null() {
		return true
	}
	v, ok := d.digits(3)
	if !ok || v > 255 {
		return false
	}
	set(uint8(v))
	return true
}

// smallInt reads an integer field of any Go integer type, kept to 9 digits
// so it fits every one of them (null leaves it).
func (d *fastDec) smallInt(set func(uint64)) bool {
	if d.Null() {
		return true
	}
	v, ok := d.digits(9)
	if ok {
		set(v)
	}
	return ok
}

// ptr reads a pointer field: null leaves it nil (the struct is new), an
// object is read by fill.
func (d *fastDec) ptr(fill func() bool) bool {
	if d.Null() {
		return true
	}
	return d.Peek('{') && fill()
}

func (d *fastDec) user(u *wireUser) bool {
	return d.Object(userKeys, func(k int) bool {
		switch k {
		case 0:
			return d.str(&u.ID)
		case 1:
			return d.str(&u.Username)
		case 2:
			return d.str(&u.GlobalName)
		}
		return false
	})
}

func (d *fastDec) member(m *wireMember) bool {
	return d.Object(memberKeys, func(k int) bool {
		switch k {
		case 0:
			return d.ptr(func() bool { m.User = &d.a.memberUser; return d.user(m.User) })
		case 1:
			return d.str(&m.Nick)
		case 2:
			// `json:",string"`: a string holding the number. Only digits
			// are taken here; null and the rest go to encoding/json.
			if !d.Peek('"') {
				return false
			}
			d.Pos++
			v, ok := d.digits(18)
			if !ok || !d.Peek('"') {
				return false
			}
			d.Pos++
			m.Permissions = int64(v)
			return true
		}
		return false
	})
}

func (d *fastDec) message(m *wireMessage) bool {
	return d.Object(messageKeys, func(int) bool {
		return d.smallInt(func(v uint64) { m.Flags = discordgo.MessageFlags(v) })
	})
}

func (d *fastDec) data(w *wireData) bool {
	return d.Object(dataKeys, func(k int) bool {
		switch k {
		case 0:
			return d.str(&w.ID)
		case 1:
			return d.str(&w.Name)
		case 2:
			return d.uint8Of(func(n uint8) { w.CommandType = discordgo.ApplicationCommandType(n) })
		case 3:
			return d.options(&w.Options)
		case 4:
			return d.Null() // resolved data: encoding/json's
		case 5:
			return d.str(&w.TargetID)
		case 6:
			return d.str(&w.CustomID)
		case 7:
			return d.smallInt(func(v uint64) { w.ComponentType = discordgo.ComponentType(v) })
		case 8:
			return d.Null() // select values: encoding/json's
		}
		return false
	})
}

// options reads an array of options: null leaves it nil, [] is an empty
// slice, as encoding/json has them.
func (d *fastDec) options(dst *[]*discordgo.ApplicationCommandInteractionDataOption) bool {
	if d.Null() {
		return true
	}
	out := []*discordgo.ApplicationCommandInteractionDataOption{}
	ok := d.Array(func() bool {
		o := &discordgo.ApplicationCommandInteractionDataOption{}
		out = append(out, o)
		return d.option(o)
	})
	if ok {
		*dst = out
	}
	return ok
}

func (d *fastDec) option(o *discordgo.ApplicationCommandInteractionDataOption) bool {
	return d.Object(optionKeys, func(k int) bool {
		switch k {
		case 0:
			return d.str(&o.Name)
		case 1:
			return d.uint8Of(func(n uint8) { o.Type = discordgo.ApplicationCommandOptionType(n) })
		case 2:
			return d.value(&o.Value)
		case 3:
			return d.options(&o.Options)
		case 4:
			return d.Bool(&o.Focused)
		}
		return false
	})
}

// value reads an option's value into an interface{}: a string, a number
// (float64, as encoding/json decodes one), a boolean or null.
func (d *fastDec) value(dst *any) bool {
	switch {
	case d.Null():
		*dst = nil
	case d.Literal("true"):
		*dst = true
	case d.Literal("false"):
		*dst = false
	case d.Peek('"'):
		var s string
		if !d.str(&s) {
			return false
		}
		*dst = s
	default:
		start := d.Pos
		if !d.Number() {
			return false
		}
		f, err := strconv.ParseFloat(string(d.Src[start:d.Pos]), 64)
		if err != nil {
			return false
		}
		*dst = f
	}
	return true
}
