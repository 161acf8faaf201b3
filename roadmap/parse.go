package roadmap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Limits on a roadmap. The built-in one is about 90 KB and 60 topics; the limits
// leave room for much larger roadmaps while keeping every member's next step,
// progress and search cheap, and a bad upload small.
const (
	MaxFileBytes = 256 << 10 // bytes in a roadmap file
	MaxTopics    = 500       // topics in a roadmap
	MaxTags      = 12        // tags on one topic
	MaxTagLen    = 30        // characters in one tag
)

// ReservedWords cannot be section or roadmap ids: they are the words of the
// roadmap commands (roadmap list, roadmap follow <id>, roadmap show <section>...),
// so an id equal to one of them could never be named.
var ReservedWords = []string{"list", "follow", "show", "add", "remove", "default", "export", "apply"}

// Error is one problem in a roadmap file, located as precisely as we can.
type Error struct {
	File string
	Line int    // 0 when unknown
	ID   string // the topic, section or pick concerned, if any
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.ID != "" {
		fmt.Fprintf(&b, "%q: ", e.ID)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads and parses a roadmap file.
func Load(path string) (*Roadmap, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("roadmap: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxFileBytes+1)); err != nil {
		return nil, fmt.Errorf("roadmap %s: %w", path, err)
	}
	if buf.Len() > MaxFileBytes {
		return nil, tooLarge(path)
	}
	return Parse(path, buf.Bytes())
}

func tooLarge(file string) error {
	return &Error{File: file, Msg: fmt.Sprintf("the file is larger than %d KB, the most a roadmap file may be; split it into smaller roadmaps", MaxFileBytes>>10)}
}

// Parse decodes and validates a roadmap. name is used in error messages. All
// problems found are returned together (errors.Join of *Error).
func Parse(name string, data []byte) (*Roadmap, error) {
	if len(data) > MaxFileBytes {
		return nil, tooLarge(name)
	}
	if !utf8.Valid(data) {
		return nil, &Error{File: name, Msg: "file is not valid UTF-8"}
	}
	var f struct {
		ID          string     `toml:"id"`
		Title       string     `toml:"title"`
		Description string     `toml:"description"`
		Sections    []*Section `toml:"section"`
		Picks       []*Pick    `toml:"pick"`
	}
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{File: name, Line: pe.Position.Line, Msg: pe.Message}
		}
		return nil, &Error{File: name, Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		key := und[0].String()
		return nil, &Error{File: name, Line: lineOfKey(data, key), Msg: fmt.Sprintf("unknown key %q", key)}
	}
	r := Roadmap{ID: f.ID, Title: f.Title, Description: f.Description,
		Stages: slices.Clone(Stages), Sections: f.Sections, Picks: f.Picks}
	r.index()
	if errs := r.validate(name, data); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &r, nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)?$`)

func (r *Roadmap) validate(file string, data []byte) []error {
	var errs []error
	bad := func(id, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: lineOf(data, id), ID: id, Msg: fmt.Sprintf(format, args...)})
	}
	// Top-level keys come before the first table in TOML, so the first id line
	// is the roadmap's own.
	top := func(format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: lineOfKey(data, "id"), Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case r.ID == "" || !idPattern.MatchString(r.ID) || strings.Contains(r.ID, "/"):
		top("roadmap id %q must be lower-case letters, digits and dashes", r.ID)
	case slices.Contains(ReservedWords, r.ID):
		top("roadmap id %q is reserved: %s are command words, so choose another id", r.ID, reserved())
	}
	if n := len(r.topics); n > MaxTopics {
		t := r.topics[MaxTopics]
		errs = append(errs, &Error{File: file, Line: lineOf(data, t.ID), ID: t.ID,
			Msg: fmt.Sprintf("the roadmap has %d topics, more than the %d a roadmap may have (this is topic %d); split it into smaller roadmaps", n, MaxTopics, MaxTopics+1)})
	}
	if strings.TrimSpace(r.Title) == "" {
		bad("", "roadmap title is empty")
	}
	if len(r.Sections) == 0 {
		bad("", "roadmap has no sections")
	}
	seen := map[string]bool{}
	for _, s := range r.Sections {
		switch {
		case !idPattern.MatchString(s.ID) || strings.Contains(s.ID, "/"):
			bad(s.ID, "section id must be lower-case letters, digits and dashes")
		case seen[s.ID]:
			bad(s.ID, "duplicate id")
		case slices.Contains(ReservedWords, s.ID):
			bad(s.ID, "section id %q is reserved: %s are command words, so choose another id", s.ID, reserved())
		}
		seen[s.ID] = true
		if strings.TrimSpace(s.Title) == "" {
			bad(s.ID, "section title is empty")
		}
		if !slices.Contains(Stages, s.Stage) {
			bad(s.ID, "stage %q is not one of %s", s.Stage, strings.Join(Stages, ", "))
		}
		if len(s.Topics) == 0 {
			bad(s.ID, "section has no topics")
		}
	}
	for _, t := range r.topics {
		switch {
		case !idPattern.MatchString(t.ID):
			bad(t.ID, "topic id must look like section/slug in lower-case letters, digits and dashes")
		case seen[t.ID]:
			bad(t.ID, "duplicate id")
		}
		seen[t.ID] = true
		if strings.TrimSpace(t.Title) == "" {
			bad(t.ID, "title is empty")
		}
		if strings.TrimSpace(t.Summary) == "" {
			bad(t.ID, "summary is empty")
		}
		if t.Hours < 1 || t.Hours > 1000 {
			bad(t.ID, "hours must be an estimate from 1 to 1000, not %d", t.Hours)
		}
		if sec, _, ok := strings.Cut(t.ID, "/"); ok && t.Section != nil && sec != t.Section.ID {
			bad(t.ID, "topic id must start with its section id %q", t.Section.ID+"/")
		}
		for _, a := range t.After {
			if r.byID[a] == nil {
				bad(t.ID, "prerequisite %q is not a topic", a)
			} else if a == t.ID {
				bad(t.ID, "topic lists itself as a prerequisite")
			}
		}
		tags := map[string]bool{}
		if len(t.Tags) > MaxTags {
			bad(t.ID, "%d tags is too many; a topic may have at most %d", len(t.Tags), MaxTags)
		}
		for _, tag := range t.Tags {
			n := normalize(tag)
			switch {
			case n == "":
				bad(t.ID, "tag %q is empty; tags are short words such as \"redis\"", tag)
			case utf8.RuneCountInString(tag) > MaxTagLen:
				bad(t.ID, "tag %q is longer than %d characters; tags are short words such as \"redis\"", tag, MaxTagLen)
			case tags[n]:
				bad(t.ID, "duplicate tag %q", tag)
			}
			tags[n] = true
		}
		if t.Optional && r.pickOf[t.ID] != nil {
			bad(t.ID, "an option of pick group %q cannot be optional: members already choose between the options", r.pickOf[t.ID].ID)
		}
		for _, res := range t.Resources {
			if !slices.Contains(ResourceKinds, res.Kind) {
				bad(t.ID, "resource kind %q is not one of %s", res.Kind, strings.Join(ResourceKinds, ", "))
			}
			if strings.TrimSpace(res.Title) == "" {
				bad(t.ID, "resource title is empty")
			}
			if u, err := url.Parse(res.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad(t.ID, "resource URL %q is malformed (want an absolute http(s) URL)", res.URL)
			}
		}
	}
	// Pick ids have their own namespace: a "language" pick in a "language"
	// section reads naturally.
	seenPick := map[string]bool{}
	for _, p := range r.Picks {
		switch {
		case !idPattern.MatchString(p.ID) || strings.Contains(p.ID, "/"):
			bad(p.ID, "pick id must be lower-case letters, digits and dashes")
		case seenPick[p.ID]:
			bad(p.ID, "duplicate pick id")
		}
		seenPick[p.ID] = true
		if strings.TrimSpace(p.Title) == "" {
			bad(p.ID, "pick title is empty")
		}
		if len(p.Options) < 2 {
			bad(p.ID, "pick group needs at least two options")
		}
		names := map[string]bool{}
		for _, o := range p.Options {
			if r.byID[o] == nil {
				bad(p.ID, "option %q is not a topic", o)
			}
			if other := r.pickOf[o]; other != p {
				bad(p.ID, "option %q is also in pick group %q", o, other.ID)
			}
			if names[OptionName(o)] {
				bad(p.ID, "two options are named %q", OptionName(o))
			}
			names[OptionName(o)] = true
		}
		for from, to := range p.Suggests {
			if !slices.Contains(p.Options, from) {
				bad(p.ID, "suggests from %q, which is not an option of this group", from)
			}
			if r.byID[to] == nil {
				bad(p.ID, "suggests %q, which is not a topic", to)
			}
		}
	}
	if len(errs) == 0 {
		if cyc := r.cycle(); cyc != nil {
			bad(cyc[0], "prerequisites form a cycle: %s", strings.Join(cyc, " -> "))
		}
	}
	return errs
}

// reserved lists ReservedWords for a sentence: "list, follow, ... and apply".
func reserved() string {
	n := len(ReservedWords)
	return strings.Join(ReservedWords[:n-1], ", ") + " and " + ReservedWords[n-1]
}

// cycle returns one prerequisite cycle, or nil.
func (r *Roadmap) cycle() []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		color[id] = grey
		stack = append(stack, id)
		for _, a := range r.byID[id].After {
			switch color[a] {
			case grey:
				i := slices.Index(stack, a)
				return append(slices.Clone(stack[i:]), a)
			case white:
				if c := visit(a); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return nil
	}
	for _, t := range r.topics {
		if color[t.ID] == white {
			if c := visit(t.ID); c != nil {
				return c
			}
		}
	}
	return nil
}

// lineOf finds the line declaring id = "<id>", so errors point at the entry.
func lineOf(data []byte, id string) int {
	if id == "" {
		return 0
	}
	re := regexp.MustCompile(`(?m)^[ \t]*id[ \t]*=[ \t]*"` + regexp.QuoteMeta(id) + `"`)
	loc := re.FindIndex(data)
	if loc == nil {
		return 0
	}
	return bytes.Count(data[:loc[0]], []byte("\n")) + 1
}

// lineOfKey finds the first line assigning the last part of a dotted key; the
// TOML decoder reports unknown keys without a position.
func lineOfKey(data []byte, key string) int {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	re := regexp.MustCompile(`(?m)^[ \t]*"?` + regexp.QuoteMeta(key) + `"?[ \t]*=`)
	loc := re.FindIndex(data)
	if loc == nil {
		return 0
	}
	return bytes.Count(data[:loc[0]], []byte("\n")) + 1
}
