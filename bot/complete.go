package bot

import (
	"context"
	"strings"

	"github.com/studybot/studybot/roadmap"
)

// MaxSuggestions is Discord's cap on autocomplete choices.
const MaxSuggestions = 25

// Suggestion is one autocomplete choice.
type Suggestion struct {
	Name  string // shown to the member (at most 100 characters)
	Value string // sent back as the option value
}

// Complete suggests values for option of req.Command given what the member has
// typed so far (req.Args holds the other options typed). Unknown commands or
// options get no suggestions.
func (e *Engine) Complete(ctx context.Context, req *Request, option, partial string) []Suggestion {
	cmd := Lookup(req.Command)
	if cmd == nil {
		return nil
	}
	var opt *Opt
	for i := range cmd.Options {
		if cmd.Options[i].Name == option {
			opt = &cmd.Options[i]
		}
	}
	if opt == nil {
		return nil
	}
	// Suggestions come from the roadmap the member follows; autocomplete
	// answers within Discord's 3 seconds, so a failed read falls back to
	// the built-in roadmap rather than to nothing.
	st := study{BuiltinRoadmap, e.Roadmap}
	var rec *SpaceRecord
	if r, err := e.Store.Space(ctx, req.Space); err == nil {
		rec = r
		if m, err := e.Store.Member(ctx, req.Space, req.Member); err == nil {
			if s, err := e.followed(ctx, rec, m); err == nil {
				st = s
			}
		} else if s, err := e.followed(ctx, rec, &Member{}); err == nil {
			st = s
		}
	}
	var out []Suggestion
	add := func(name, value string) {
		if len(out) < MaxSuggestions {
			out = append(out, Suggestion{Name: Clip(name, 95), Value: value})
		}
	}
	switch opt.Kind {
	case KindTopic, KindChallenge:
		// A challenge is a topic or its own text: topics are suggested, and
		// whatever else the moderator types is still taken as text.
		for _, m := range st.rm.Search(partial, MaxSuggestions) {
			add(m.Topic.Title+" ("+m.Topic.ID+")", m.Topic.ID)
		}
	case KindZone:
		for _, z := range Zones(partial, MaxSuggestions) {
			add(z, z)
		}
	case KindSection:
		for _, s := range st.rm.Sections {
			if matches(partial, s.ID, s.Title) {
				add(s.Title, s.ID)
			}
		}
	case KindPick:
		for _, p := range st.rm.Picks {
			if matches(partial, p.ID, p.Title) {
				add(p.Title, p.ID)
			}
		}
	case KindOption:
		for _, p := range st.rm.Picks {
			if g := req.Args["group"]; g != "" && g != p.ID {
				continue
			}
			for _, o := range p.Options {
				t := st.rm.Topic(o)
				if matches(partial, o, t.Title) {
					add(t.Title, roadmap.OptionName(o))
				}
			}
		}
	case KindRoadmap:
		add(e.Roadmap.Title, BuiltinRoadmap)
		if rec != nil {
			for _, info := range rec.Roadmaps {
				if matches(partial, info.ID, info.Title) {
					add(info.Title, info.ID)
				}
			}
		}
	case KindChoice:
		for _, c := range opt.Choices {
			if matches(partial, c, c) {
				add(c, c)
			}
		}
	}
	return out
}

func matches(partial, id, title string) bool {
	p := strings.ToLower(strings.TrimSpace(partial))
	return p == "" || strings.Contains(strings.ToLower(id), p) || strings.Contains(strings.ToLower(title), p)
}
