package discord

import (
	"strconv"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
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
//     the object, or nesting deeper than fastMaxDepth.
//
// FuzzFastDecode holds it to json.Unmarshal: whatever it accepts, it
// decodes to the same wireInteraction.
//
// The structs out points to are a's, a fresh one each call: one allocation
// for them all, where one each (data, member, its user) was a third of the
// decoder's.
func fastDecode(body []byte, a *wireArena) (out wireInteraction, ok bool) {
	d := fastDec{b: body, a: a}
	d.ws()
	if !d.peek('{') {
		return wireInteraction{}, false
	}
	if !d.object(topKeys, func(k int) bool {
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
	d.ws()
	if d.i != len(d.b) {
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

// fastMaxDepth bounds nesting; deeper bodies go to encoding/json.
const fastMaxDepth = 32

type fastDec struct {
	b     []byte
	i     int
	depth int
	a     *wireArena
}

// wireArena holds the structs a wireInteraction from fastDecode points to.
// A key given twice makes fastDecode give up, so each is filled once.
type wireArena struct {
	data             wireData
	message          wireMessage
	member           wireMember
	user, memberUser wireUser
}

func (d *fastDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDec) peek(c byte) bool { return d.i < len(d.b) && d.b[d.i] == c }

// literal consumes lit if it comes next.
func (d *fastDec) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// null consumes a null if it comes next.
func (d *fastDec) null() bool { return d.literal("null") }

// object reads an object whose known keys are keys: fn reads the value of
// the k-th one. Other keys' values are skipped.
func (d *fastDec) object(keys []string, fn func(k int) bool) bool {
	if !d.peek('{') || d.depth == fastMaxDepth {
		return false
	}
	d.depth++
	d.i++
	var seen uint32
	d.ws()
	if d.peek('}') {
		d.i++
		d.depth--
		return true
	}
	for {
		d.ws()
		key, ok := d.key()
		if !ok {
			return false
		}
		d.ws()
		if !d.peek(':') {
			return false
		}
		d.i++
		d.ws()
		k := -1
		for j, name := range keys {
			if name == string(key) {
				k = j
				break
			}
			if foldASCII(name, key) {
				return false // encoding/json would take it for name
			}
		}
		if k >= 0 {
			if seen&(1<<k) != 0 {
				return false
			}
			seen |= 1 << k
			if !fn(k) {
				return false
			}
		} else if !d.skip() {
			return false
		}
		if more, ok := d.sep('}'); !more {
			return ok
		}
	}
}

// sep reads what follows a member of an object or array: a comma (more
// follow: true, true) or close, which ends it (false, true); anything
// else is malformed (false, false).
func (d *fastDec) sep(close byte) (more, ok bool) {
	d.ws()
	switch {
	case d.peek(','):
		d.i++
		return true, true
	case d.peek(close):
		d.i++
		d.depth--
		return false, true
	}
	return false, false
}

// key reads an object key: printable ASCII without escapes only. It is
// compared, never kept, so it is not copied.
func (d *fastDec) key() ([]byte, bool) {
	if !d.peek('"') {
		return nil, false
	}
	start := d.i + 1
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			return d.b[start:j], true
		case c < 0x20 || c == '\\' || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// foldASCII reports whether the ASCII key equals name but for case, as
// encoding/json matches keys (for ASCII keys its folding is this).
func foldASCII(name string, key []byte) bool {
	if len(name) != len(key) {
		return false
	}
	for i := range len(name) {
		a, b := name[i], key[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// str reads a string field: null leaves it as it is, as encoding/json does.
func (d *fastDec) str(dst *string) bool {
	if d.null() {
		return true
	}
	if !d.peek('"') {
		return false
	}
	start, ascii := d.i+1, true
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(d.b[start:j]) {
				return false
			}
			*dst = string(d.b[start:j])
			d.i = j + 1
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
	j := d.i
	for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
		j++
	}
	n := j - d.i
	if n == 0 || n > max || (n > 1 && d.b[d.i] == '0') {
		return 0, false
	}
	if j < len(d.b) && (d.b[j] == '.' || d.b[j] == 'e' || d.b[j] == 'E') {
		return 0, false
	}
	v, err := strconv.ParseUint(string(d.b[d.i:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	d.i = j
	return v, true
}

// uint8Of reads a uint8 field (null leaves it).
func (d *fastDec) uint8Of(set func(uint8)) bool {
	if d.null() {
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
	if d.null() {
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
	if d.null() {
		return true
	}
	return d.peek('{') && fill()
}

func (d *fastDec) user(u *wireUser) bool {
	return d.object(userKeys, func(k int) bool {
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
	return d.object(memberKeys, func(k int) bool {
		switch k {
		case 0:
			return d.ptr(func() bool { m.User = &d.a.memberUser; return d.user(m.User) })
		case 1:
			return d.str(&m.Nick)
		case 2:
			// `json:",string"`: a string holding the number. Only digits
			// are taken here; null and the rest go to encoding/json.
			if !d.peek('"') {
				return false
			}
			d.i++
			v, ok := d.digits(18)
			if !ok || !d.peek('"') {
				return false
			}
			d.i++
			m.Permissions = int64(v)
			return true
		}
		return false
	})
}

func (d *fastDec) message(m *wireMessage) bool {
	return d.object(messageKeys, func(int) bool {
		return d.smallInt(func(v uint64) { m.Flags = discordgo.MessageFlags(v) })
	})
}

func (d *fastDec) data(w *wireData) bool {
	return d.object(dataKeys, func(k int) bool {
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
			return d.null() // resolved data: encoding/json's
		case 5:
			return d.str(&w.TargetID)
		case 6:
			return d.str(&w.CustomID)
		case 7:
			return d.smallInt(func(v uint64) { w.ComponentType = discordgo.ComponentType(v) })
		case 8:
			return d.null() // select values: encoding/json's
		}
		return false
	})
}

// options reads an array of options: null leaves it nil, [] is an empty
// slice, as encoding/json has them.
func (d *fastDec) options(dst *[]*discordgo.ApplicationCommandInteractionDataOption) bool {
	if d.null() {
		return true
	}
	out := []*discordgo.ApplicationCommandInteractionDataOption{}
	ok := d.array(func() bool {
		o := &discordgo.ApplicationCommandInteractionDataOption{}
		out = append(out, o)
		return d.option(o)
	})
	if ok {
		*dst = out
	}
	return ok
}

// array reads an array, elem reading each element in turn.
func (d *fastDec) array(elem func() bool) bool {
	if !d.peek('[') || d.depth == fastMaxDepth {
		return false
	}
	d.depth++
	d.i++
	d.ws()
	if d.peek(']') {
		d.i++
		d.depth--
		return true
	}
	for {
		d.ws()
		if !elem() {
			return false
		}
		if more, ok := d.sep(']'); !more {
			return ok
		}
	}
}

func (d *fastDec) option(o *discordgo.ApplicationCommandInteractionDataOption) bool {
	return d.object(optionKeys, func(k int) bool {
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
			switch {
			case d.literal("true"):
				o.Focused = true
			case d.literal("false"):
				o.Focused = false
			default:
				return d.null()
			}
			return true
		}
		return false
	})
}

// value reads an option's value into an interface{}: a string, a number
// (float64, as encoding/json decodes one), a boolean or null.
func (d *fastDec) value(dst *any) bool {
	switch {
	case d.null():
		*dst = nil
	case d.literal("true"):
		*dst = true
	case d.literal("false"):
		*dst = false
	case d.peek('"'):
		var s string
		if !d.str(&s) {
			return false
		}
		*dst = s
	default:
		start := d.i
		if !d.number() {
			return false
		}
		f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
		if err != nil {
			return false
		}
		*dst = f
	}
	return true
}

// number skips a JSON number.
func (d *fastDec) number() bool {
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	switch {
	case j < len(d.b) && d.b[j] == '0':
		j++
	case j < len(d.b) && d.b[j] >= '1' && d.b[j] <= '9':
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
	default:
		return false
	}
	if j < len(d.b) && d.b[j] == '.' {
		j++
		k := j
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
		if j == k {
			return false
		}
	}
	if j < len(d.b) && (d.b[j] == 'e' || d.b[j] == 'E') {
		j++
		if j < len(d.b) && (d.b[j] == '+' || d.b[j] == '-') {
			j++
		}
		k := j
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
		if j == k {
			return false
		}
	}
	d.i = j
	return true
}

// skip skips any JSON value, checking it is valid.
func (d *fastDec) skip() bool {
	if d.i >= len(d.b) {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '"':
		return d.skipString()
	case c == '{':
		return d.object(nil, func(int) bool { return false })
	case c == '[':
		return d.array(d.skip)
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.null()
	default:
		return d.number()
	}
}

// skipString skips a string, checking its escapes; invalid UTF-8 in it is
// valid JSON (encoding/json replaces it in what it keeps).
func (d *fastDec) skipString() bool {
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(d.b) {
				return false
			}
			switch d.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(d.b) {
					return false
				}
				for _, h := range d.b[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}
