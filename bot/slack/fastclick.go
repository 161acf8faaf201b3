package slack

import (
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// fastClick decodes a block_actions payload into a click exactly as
// decodeClickJSON would, for the payloads Slack sends, and reports false
// for anything else (decodeClickJSON then decides). Under the load
// benchmark json.Unmarshal into wireClick was half of answering a click in
// the server's goroutine: reflection, a lookup per key, a validation pass
// before the decoding one, and a string allocated per field. This is one
// pass, and the strings it keeps are copied into one buffer made a string
// once. It gives up rather than guess (as bot/discord's fastDecode does):
//   - a key with an escape or a non-ASCII byte, a key given twice in an
//     object, or an unknown key that equals a known one but for case
//     (encoding/json matches keys case-insensitively);
//   - a kept string with a control character, a \u escape of a surrogate
//     (a pair, or a lone one encoding/json replaces), or invalid UTF-8;
//   - a value of another JSON type than the field's, invalid JSON anywhere
//     (what it skips is checked as it skips it), anything after the object,
//     or nesting deeper than clickMaxDepth.
//
// FuzzFastClick and TestFastClickMatchesJSON hold it to decodeClickJSON.
func fastClick(payload []byte) (click, bool) {
	// The strings are gathered in a pooled buffer (a new one escaped to
	// the heap: the decoder appends to it through a pointer).
	scratch := ackBufs.Get().(*[]byte)
	d := clickDec{b: payload, buf: (*scratch)[:0]}
	defer func() {
		if cap(d.buf) <= maxPooledAck {
			*scratch = d.buf[:0]
			ackBufs.Put(scratch)
		}
	}()
	var w clickSpans
	d.ws()
	if !d.object(clickKeys, func(k int) bool {
		switch k {
		case 0:
			return d.str(&w.typ)
		case 1:
			return d.str(&w.responseURL)
		case 2:
			return d.str(nil) // trigger_id: checked, not kept
		case 3:
			return d.strs(teamKeys, &w.team)
		case 4:
			return d.strs(userKeys, &w.user, &w.userName, &w.userTeam)
		case 5:
			return d.strs(channelKeys, &w.channel, nil)
		case 6:
			return d.container(&w)
		case 7:
			return d.strs(viewKeys, &w.view, &w.viewTeam)
		case 8:
			return d.actions(&w)
		}
		return false
	}) {
		return click{}, false
	}
	d.ws()
	if d.i != len(d.b) {
		return click{}, false
	}
	s := string(d.buf)
	at := func(sp span) string { return s[sp.from:sp.to] }
	if at(w.typ) != string(slack.InteractionTypeBlockActions) {
		return click{}, false
	}
	c := click{
		Type: slack.InteractionTypeBlockActions, ResponseURL: at(w.responseURL), Team: at(w.team),
		User: at(w.user), UserName: at(w.userName), UserTeam: at(w.userTeam), Channel: at(w.channel),
		Container: at(w.container), Ephemeral: w.ephemeral, View: slack.ViewType(at(w.view)), ViewTeam: at(w.viewTeam),
	}
	if len(w.actions) > 0 {
		c.Actions = make([]clickAction, len(w.actions))
		for i, a := range w.actions {
			c.Actions[i] = clickAction{at(a.actionID), at(a.value)}
		}
	}
	return c, true
}

// The keys of each object fastClick reads, in the order its switches read
// them: wireClick's.
var (
	clickKeys     = []string{"type", "response_url", "trigger_id", "team", "user", "channel", "container", "view", "actions"}
	teamKeys      = []string{"id"}
	userKeys      = []string{"id", "name", "team_id"}
	channelKeys   = []string{"id", "name"}
	containerKeys = []string{"type", "is_ephemeral"}
	viewKeys      = []string{"type", "team_id"}
	actionKeys    = []string{"block_id", "action_id", "value"}
)

// clickMaxDepth bounds nesting; deeper payloads go to encoding/json.
const clickMaxDepth = 32

// span is a string fastClick keeps: buf[from:to].
type span struct{ from, to int }

// clickSpans is a click as fastClick reads it, its strings spans of buf.
type clickSpans struct {
	typ, responseURL, team, user, userName, userTeam, channel, container, view, viewTeam span
	ephemeral                                                                            bool
	actions                                                                              []actionSpans
}

type actionSpans struct{ actionID, value span }

type clickDec struct {
	b     []byte
	i     int
	depth int
	buf   []byte // the strings kept, one after another
}

func (d *clickDec) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *clickDec) peek(c byte) bool { return d.i < len(d.b) && d.b[d.i] == c }

// literal consumes lit if it comes next.
func (d *clickDec) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// object reads an object whose known keys are keys: fn reads the value of
// the k-th one. Other keys' values are skipped.
func (d *clickDec) object(keys []string, fn func(k int) bool) bool {
	if !d.peek('{') || d.depth == clickMaxDepth {
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
func (d *clickDec) sep(close byte) (more, ok bool) {
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
func (d *clickDec) key() ([]byte, bool) {
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

// str reads a string field into buf, its escapes decoded, and sets *dst
// to it (dst nil: the string is checked, not kept). null leaves *dst as it
// is, as encoding/json does.
func (d *clickDec) str(dst *span) bool {
	if d.literal("null") {
		return true
	}
	if !d.peek('"') {
		return false
	}
	from, ascii := len(d.buf), true
	j := d.i + 1
	for {
		// The run up to the next quote, backslash or control character
		// is copied whole.
		k := j
		for k < len(d.b) {
			c := d.b[k]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c >= utf8.RuneSelf {
				ascii = false
			}
			k++
		}
		if k == len(d.b) || d.b[k] < 0x20 {
			return false
		}
		d.buf = append(d.buf, d.b[j:k]...)
		if d.b[k] == '"' {
			j = k + 1
			break
		}
		// An escape.
		if k+1 >= len(d.b) {
			return false
		}
		switch e := d.b[k+1]; e {
		case '"', '\\', '/':
			d.buf = append(d.buf, e)
		case 'b':
			d.buf = append(d.buf, '\b')
		case 'f':
			d.buf = append(d.buf, '\f')
		case 'n':
			d.buf = append(d.buf, '\n')
		case 'r':
			d.buf = append(d.buf, '\r')
		case 't':
			d.buf = append(d.buf, '\t')
		case 'u':
			if k+6 > len(d.b) {
				return false
			}
			var r rune
			for _, h := range d.b[k+2 : k+6] {
				if !ishex(h) {
					return false
				}
				r = r<<4 | rune(unhex(h))
			}
			if 0xD800 <= r && r < 0xE000 {
				return false // a surrogate: encoding/json's
			}
			d.buf = utf8.AppendRune(d.buf, r)
			k += 4
		default:
			return false
		}
		j = k + 2
	}
	if !ascii && !utf8.Valid(d.buf[from:]) {
		return false // encoding/json would replace it
	}
	d.i = j
	if dst == nil {
		d.buf = d.buf[:from]
	} else {
		*dst = span{from, len(d.buf)}
	}
	return true
}

// strs reads an object of string fields (a struct of them in wireClick,
// which null leaves as it is): dsts[k] takes the value of keys[k], a nil
// one is checked, not kept.
func (d *clickDec) strs(keys []string, dsts ...*span) bool {
	if d.literal("null") {
		return true
	}
	return d.object(keys, func(k int) bool { return d.str(dsts[k]) })
}

// boolean reads a bool field (null leaves it).
func (d *clickDec) boolean(dst *bool) bool {
	switch {
	case d.literal("true"):
		*dst = true
	case d.literal("false"):
		*dst = false
	default:
		return d.literal("null")
	}
	return true
}

func (d *clickDec) container(w *clickSpans) bool {
	if d.literal("null") {
		return true
	}
	return d.object(containerKeys, func(k int) bool {
		if k == 0 {
			return d.str(&w.container)
		}
		return d.boolean(&w.ephemeral)
	})
}

// actions reads the actions array, keeping the block actions: those whose
// block_id is a string (null, or an element that is null, is an attachment
// action, which wireClick's *string leaves nil).
func (d *clickDec) actions(w *clickSpans) bool {
	if d.literal("null") {
		return true
	}
	return d.array(func() bool {
		if d.literal("null") {
			return true
		}
		var a actionSpans
		block := span{-1, -1}
		if !d.object(actionKeys, func(k int) bool {
			switch k {
			case 0:
				return d.str(&block)
			case 1:
				return d.str(&a.actionID)
			}
			return d.str(&a.value)
		}) {
			return false
		}
		if block.from >= 0 {
			w.actions = append(w.actions, a)
		}
		return true
	})
}

// array reads an array, elem reading each element in turn.
func (d *clickDec) array(elem func() bool) bool {
	if !d.peek('[') || d.depth == clickMaxDepth {
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

// number skips a JSON number.
func (d *clickDec) number() bool {
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
func (d *clickDec) skip() bool {
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
		return d.literal("null")
	default:
		return d.number()
	}
}

// skipString skips a string, checking its escapes; invalid UTF-8 in it is
// valid JSON (encoding/json replaces it in what it keeps).
func (d *clickDec) skipString() bool {
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
					if !ishex(h) {
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
