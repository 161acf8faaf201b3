package bot

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kind is what an option holds; adapters map kinds to their platform's types and
// autocomplete, the engine validates values by kind.
type Kind int

// Option kinds.
const (
	KindText     Kind = iota // free text
	KindTopic                // a topic id, title or fuzzy words (autocompleted)
	KindSection              // a roadmap section id
	KindPick                 // a pick group id ("language")
	KindOption               // an option of the pick group named by the "group" arg
	KindTime                 // HH:MM, 24-hour
	KindZone                 // an IANA time zone name (autocompleted)
	KindChannel              // a channel of the space
	KindSchedule             // "MON 09:00" or a cron spec
	KindChoice               // one of Option.Choices
	KindNumber               // a whole number from 1 (a challenge number)
	KindMember               // a member of the space: their platform id
	KindDuration             // a span such as 6d, 36h or 1d12h
	// KindChallenge is a topic or the text of a challenge. Unlike KindText
	// its quotes are kept: quoting is how a moderator says "this is text,
	// do not read it as a topic".
	KindChallenge
	// KindRoadmap is the id of one of the space's roadmaps (autocompleted).
	KindRoadmap
	// KindFile is a file the member attached: its bytes reach the engine in
	// Request.File, never a path or a URL (only adapters touch files).
	KindFile
)

// Limits on what members type. Longer input is refused, not truncated, so nothing
// is silently lost.
const (
	MaxTextLen  = 1000 // characters in notes, submissions and challenge texts
	MaxInputLen = 4000 // bytes of a whole command line
)

// Opt is one option of a command.
type Opt struct {
	Name     string
	Kind     Kind
	Help     string
	Required bool
	Choices  []string // for Choice
	// Rest makes the option take the remainder of a text line (only the last
	// positional option of a command), so `note dns remember port 53` needs no
	// quotes.
	Rest bool
	// Tail makes an optional option read from the end of a text line when
	// the last word has its kind's form (a duration such as 6d), so
	// `challenge post dns 6d` works beside a Rest option. Tail options come
	// after the positional ones in Options.
	Tail bool
}

// Touch declares how using a command counts as the member using the bot:
// their name and Seen are refreshed and closed direct messages re-opened, so
// nudges resume. Declaring it per command keeps the engine from guessing
// whether a handler already did.
type Touch int

// Touch modes.
const (
	// TouchAfter: the handler neither reads nor writes the requester through
	// the engine's member path; the engine touches them after it succeeds.
	TouchAfter Touch = iota
	// TouchInHandler: the handler reads (Engine.member) or writes
	// (Engine.update) the requester, and those touch in the same step.
	TouchInHandler
	// TouchNone: the command does not count (mydata delete leaves nothing
	// to touch).
	TouchNone
)

// Command is one entry of the command table. Adapters register and parse commands
// from this table; help is generated from it.
type Command struct {
	Name    string // path: "next", "mydata export", "challenge post"
	Help    string // one line
	Options []Opt
	// Access is the level a caller needs; anything above AccessMember puts
	// the command under /studymod.
	Access Access
	Touch  Touch
	// Default makes this command what its group's name means in text form,
	// alone or followed by this command's options: "roadmap internet" is
	// "roadmap show internet".
	Default bool
	run     func(e *Engine, ctx context.Context, req *Request) (*Reply, error)
}

// ForModerators reports whether the command belongs to /studymod.
func (c *Command) ForModerators() bool { return c.Access > AccessMember }

// Group returns the first word of a two-word command ("mydata"), or "".
func (c *Command) Group() string {
	g, _, ok := strings.Cut(c.Name, " ")
	if !ok {
		return ""
	}
	return g
}

// Leaf returns the last word of the command path ("export" of "mydata export").
func (c *Command) Leaf() string {
	if i := strings.LastIndexByte(c.Name, ' '); i >= 0 {
		return c.Name[i+1:]
	}
	return c.Name
}

// Positional returns the options read in order from a text line: all but
// the Tail ones.
func (c *Command) Positional() []Opt {
	out := make([]Opt, 0, len(c.Options))
	for _, o := range c.Options {
		if !o.Tail {
			out = append(out, o)
		}
	}
	return out
}

// Slash is the platform command a Command belongs to: "study" or "studymod".
func (c *Command) Slash() string {
	if c.ForModerators() {
		return "studymod"
	}
	return "study"
}

// Usage is the command's synopsis: "/study note <topic> <text>".
func (c *Command) Usage() string {
	var b strings.Builder
	b.WriteString("/" + c.Slash() + " " + c.Name)
	for _, o := range c.Options {
		if o.Required {
			b.WriteString(" <" + o.Name + ">")
		} else {
			b.WriteString(" [" + o.Name + "]")
		}
	}
	return b.String()
}

// Commands returns the command table in help order. The slice is shared; do not
// modify it.
func Commands() []*Command { return commandTable }

// Lookup finds a command by path; moderator tells which slash command it was
// typed under when the platform knows ("" matches either).
func Lookup(path string) *Command {
	// The adapters' usual path is already normal: find it without
	// building a new string.
	for _, c := range commandTable {
		if c.Name == path {
			return c
		}
	}
	path = strings.Join(strings.Fields(strings.ToLower(path)), " ")
	for _, c := range commandTable {
		if c.Name == path {
			return c
		}
	}
	return nil
}

// ParseLine parses a text command as typed in the console or after Slack's
// /study: an optional "/study", "/studymod" or "/" prefix, the command path, then
// options in order. Tokens are split on spaces; "double", 'single' and “curly”
// quotes group words. The last option of a command takes the rest of the line when
// it is a Rest option. Errors are Invalid with the usage in the message.
func ParseLine(line string) (*Command, map[string]string, error) {
	if len(line) > MaxInputLen {
		return nil, nil, Errorf(Invalid, "That message is too long (%d bytes; the limit is %d).", len(line), MaxInputLen)
	}
	if !utf8.ValidString(line) {
		return nil, nil, Errorf(Invalid, "That message is not valid UTF-8 text.")
	}
	line = strings.TrimSpace(line)
	for _, p := range []string{"/studymod ", "/study ", "/"} {
		if strings.HasPrefix(strings.ToLower(line), p) {
			line = strings.TrimSpace(line[len(p):])
			break
		}
	}
	if line == "" || strings.EqualFold(line, "study") || strings.EqualFold(line, "studymod") {
		return Lookup("help"), map[string]string{}, nil
	}
	// Tokens are read lazily: the last, rest-of-line option takes the raw text,
	// so an apostrophe in a note ("'til friday") is text, not an open quote.
	var head []token
	pos := 0
	for len(head) < 2 {
		t, next, ok, err := nextToken(line, pos)
		if err != nil && len(head) == 0 {
			return nil, nil, err
		}
		if !ok || err != nil {
			break
		}
		head, pos = append(head, t), next
	}
	var cmd *Command
	n := 0
	if len(head) >= 2 {
		if c := Lookup(head[0].text + " " + head[1].text); c != nil {
			cmd, n = c, 2
		}
	}
	if cmd == nil {
		if c := Lookup(head[0].text); c != nil {
			cmd, n = c, 1
		}
	}
	if cmd == nil {
		word := strings.ToLower(head[0].text)
		if subs := groupUsage(word); word != "" && subs != "" {
			// A group alone means its first subcommand: "moderators" is
			// "moderators list". A group and an unknown word is a typo.
			if len(head) == 1 {
				return groupDefault(word), map[string]string{}, nil
			}
			if d := groupDefault(word); d.Default {
				cmd, n = d, 1
			}
		}
	}
	if cmd == nil {
		word := strings.ToLower(head[0].text)
		if subs := groupUsage(word); word != "" && subs != "" {
			return nil, nil, Errorf(Invalid, "%q is not a %s command. Usage: %s", Clip(head[1].text, 30), word, subs)
		}
		return nil, nil, Errorf(Invalid, "Unknown command %q. Type help to see what I can do.", Clip(head[0].text, 40))
	}
	pos = head[n-1].end
	args := map[string]string{}
	line = readTail(cmd, line, pos, args)
	positional := cmd.Positional()
	for i, o := range positional {
		if i == len(positional)-1 && o.Rest {
			rest := strings.TrimSpace(line[pos:])
			if rest == "" {
				break
			}
			// A rest option given as one quoted phrase loses its quotes. Free
			// text keeps a lone apostrophe; anything else (a topic) must
			// close its quotes.
			t, next, ok, err := nextToken(line, pos)
			if err != nil && o.Kind != KindText && o.Kind != KindChallenge {
				return nil, nil, err
			}
			if err == nil && ok && t.quoted && strings.TrimSpace(line[next:]) == "" && o.Kind != KindChallenge {
				rest = t.text
			}
			args[o.Name] = rest
			pos = len(line)
			break
		}
		t, next, ok, err := nextToken(line, pos)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		args[o.Name], pos = t.text, next
	}
	if strings.TrimSpace(line[pos:]) != "" {
		return nil, nil, Errorf(Invalid, "Too many words. Usage: %s", cmd.Usage())
	}
	return cmd, args, nil
}

// readTail takes the command's Tail options from the end of line (after
// byte offset pos) when the last word has their form, sets them in args and
// returns the line without them. A line whose quotes do not close keeps its
// tail: the positional reading reports the quote.
func readTail(cmd *Command, line string, pos int, args map[string]string) string {
	for i := len(cmd.Options) - 1; i >= 0; i-- {
		o := cmd.Options[i]
		if !o.Tail {
			continue
		}
		var last token
		start, found := 0, false
		for p := pos; ; {
			t, next, ok, err := nextToken(line, p)
			if err != nil {
				return line
			}
			if !ok {
				break
			}
			last, start, found, p = t, next-len(t.text), true, next
		}
		if !found || last.quoted || !tailForm(o.Kind, last.text) {
			continue
		}
		args[o.Name] = last.text
		line = line[:start]
	}
	return line
}

// tailForm reports whether s has the form of kind, for Tail options.
func tailForm(k Kind, s string) bool {
	switch k {
	case KindDuration:
		_, ok := ParseSpan(s)
		return ok
	case KindZone:
		_, err := LoadZone(s)
		return err == nil
	}
	return false
}

var spanPattern = regexp.MustCompile(`^(?:(\d{1,3})w)?(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?$`)

// ParseSpan reads a span as moderators type it: weeks, days, hours and
// minutes in that order, such as 6d, 36h, 1d12h or 90m (any case). ok is false
// for anything else, including an empty span.
func ParseSpan(s string) (time.Duration, bool) {
	m := spanPattern.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil || m[0] == "" {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			d += time.Duration(n) * unit
		}
	}
	return d, true
}

// FormatSpan writes d the way ParseSpan reads it, in whole minutes: 6d,
// 1d12h, 90m is 1h30m.
func FormatSpan(d time.Duration) string {
	d = d.Round(time.Minute)
	if d <= 0 {
		return "0m"
	}
	var b strings.Builder
	for _, u := range []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.s)
			d -= n * u.d
		}
	}
	return b.String()
}

// groupDefault is what a group's name alone means in text form where the
// slash command is not known (the console): its Default command, else its
// members' first, else its moderators'.
func groupDefault(group string) *Command {
	for _, c := range commandTable {
		if c.Group() == group && c.Default {
			return c
		}
	}
	if c := GroupDefault(group, false); c != nil {
		return c
	}
	return GroupDefault(group, true)
}

// GroupDefault is the group's first subcommand in the table under /study
// (moderators false) or /studymod: what the group's name alone means there.
// nil when the group has no command there.
func GroupDefault(group string, moderators bool) *Command {
	for _, c := range commandTable {
		if c.Group() == group && c.ForModerators() == moderators && c.Default {
			return c
		}
	}
	for _, c := range commandTable {
		if c.Group() == group && c.ForModerators() == moderators {
			return c
		}
	}
	return nil
}

// groupUsage lists the usage of a command group's subcommands ("mydata"), or "".
func groupUsage(group string) string {
	var subs []string
	for _, c := range commandTable {
		if c.Group() == group {
			subs = append(subs, c.Usage())
		}
	}
	return strings.Join(subs, " | ")
}

type token struct {
	text   string
	end    int // byte offset just past the token (and its closing quote)
	quoted bool
}

var closing = map[rune]rune{'"': '"', '\'': '\'', '“': '”', '„': '“', '‘': '’'}

// nextToken reads the word or quoted phrase at or after byte offset i; ok is
// false when only spaces remain.
func nextToken(line string, i int) (token, int, bool, error) {
	for i < len(line) {
		r, w := utf8.DecodeRuneInString(line[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += w
	}
	if i >= len(line) {
		return token{}, i, false, nil
	}
	r, w := utf8.DecodeRuneInString(line[i:])
	if end, ok := closing[r]; ok {
		j := strings.IndexRune(line[i+w:], end)
		if j < 0 {
			return token{}, i, false, Errorf(Invalid, "A quote is not closed: %s", Clip(line[i:], 40))
		}
		next := i + w + j + utf8.RuneLen(end)
		return token{line[i+w : i+w+j], next, true}, next, true, nil
	}
	j := strings.IndexFunc(line[i:], unicode.IsSpace)
	if j < 0 {
		j = len(line) - i
	}
	return token{line[i : i+j], i + j, false}, i + j, true, nil
}

// ParseAction turns a button's action id back into a command and its args:
// "done:internet/http" or, for several options, "pick:language|python".
func ParseAction(action string) (*Command, map[string]string, error) {
	path, val, hasVal := strings.Cut(action, ":")
	cmd := Lookup(path)
	if cmd == nil || len(action) > 200 || !utf8.ValidString(action) {
		return nil, nil, Errorf(Invalid, "That button is no longer valid.")
	}
	args := map[string]string{}
	if hasVal {
		vals := strings.Split(val, "|")
		if len(vals) > len(cmd.Options) {
			return nil, nil, Errorf(Invalid, "That button is no longer valid.")
		}
		for i, v := range vals {
			args[cmd.Options[i].Name] = v
		}
	}
	return cmd, args, nil
}

// Action builds a button action id for a command and values for its options in
// order.
func Action(path string, values ...string) string {
	if len(values) == 0 || values[0] == "" {
		return path
	}
	return path + ":" + strings.Join(values, "|")
}

// Clip shortens s to at most n runes, ending with "…" when cut: for echoing
// member input back and for fitting a platform's length limits. It is the
// one clip every adapter uses.
func Clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
