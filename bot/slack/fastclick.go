package slack

import (
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot/jsonscan"
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
//     or nesting deeper than jsonscan.MaxDepth.
//
// FuzzFastClick and TestFastClickMatchesJSON hold it to decodeClickJSON.
func fastClick(payload []byte) (click, bool) {
	// The strings are gathered in a pooled buffer (a new one escaped to
	// the heap: the decoder appends to it through a pointer).
	scratch := ackBufs.Get().(*[]byte)
	d := clickDec{Scanner: jsonscan.Scanner{Src: payload}, buf: (*scratch)[:0]}
	defer func() {
		if cap(d.buf) <= maxPooledAck {
			*scratch = d.buf[:0]
			ackBufs.Put(scratch)
		}
	}()
	var w clickSpans
	d.WS()
	if !d.Object(clickKeys, func(k int) bool {
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
	d.WS()
	if d.Pos != len(d.Src) {
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
	jsonscan.Scanner
	buf []byte // the strings kept, one after another
}

// str reads a string field into buf, its escapes decoded, and sets *dst
// to it (dst nil: the string is checked, not kept). null leaves *dst as it
// is, as encoding/json does.
func (d *clickDec) str(dst *span) bool {
	if d.Null() {
		return true
	}
	if !d.Peek('"') {
		return false
	}
	from, ascii := len(d.buf), true
	j := d.Pos + 1
	for {
		// The run up to the next quote, backslash or control character
		// is copied whole.
		k := j
		for k < len(d.Src) {
			c := d.Src[k]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c >= utf8.RuneSelf {
				ascii = false
			}
			k++
		}
		if k == len(d.Src) || d.Src[k] < 0x20 {
			return false
		}
		d.buf = append(d.buf, d.Src[j:k]...)
		if d.Src[k] == '"' {
			j = k + 1
			break
		}
		// An escape.
		if k+1 >= len(d.Src) {
			return false
		}
		switch e := d.Src[k+1]; e {
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
			if k+6 > len(d.Src) {
				return false
			}
			var r rune
			for _, h := range d.Src[k+2 : k+6] {
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
	d.Pos = j
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
	if d.Null() {
		return true
	}
	return d.Object(keys, func(k int) bool { return d.str(dsts[k]) })
}

func (d *clickDec) container(w *clickSpans) bool {
	if d.Null() {
		return true
	}
	return d.Object(containerKeys, func(k int) bool {
		if k == 0 {
			return d.str(&w.container)
		}
		return d.Bool(&w.ephemeral)
	})
}

// actions reads the actions array, keeping the block actions: those whose
// block_id is a string (null, or an element that is null, is an attachment
// action, which wireClick's *string leaves nil).
func (d *clickDec) actions(w *clickSpans) bool {
	if d.Null() {
		return true
	}
	return d.Array(func() bool {
		if d.Null() {
			return true
		}
		var a actionSpans
		block := span{-1, -1}
		if !d.Object(actionKeys, func(k int) bool {
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
