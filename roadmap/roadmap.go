// Package roadmap is the learning roadmap: stages, sections, topics and pick-one
// groups, read from TOML, validated, and asked "what should this member learn next?".
//
// A roadmap file looks like this (see backend.toml for the built-in one):
//
//	id = "backend"
//	title = "Backend Developer"
//
//	[[section]]
//	id = "internet"
//	stage = "prerequisites"   # prerequisites | basics | intermediate | advanced | extra
//	title = "Internet"
//
//	[[section.topic]]
//	id = "internet/dns"       # stable forever: progress is stored by id
//	title = "DNS and how it works"
//	hours = 2
//	after = ["internet/domain-names"]
//	summary = "..."
//	challenge = "..."
//	resources = [{ kind = "official", title = "...", url = "https://..." }]
//	tags = ["name server", "dig"] # other words learners search with
//	optional = false          # true: suggested in order, skippable, outside progress
//
//	[[pick]]                  # members choose one option; the others neither block nor count
//	id = "language"
//	title = "Pick a language"
//	options = ["language/python", "language/javascript"]
//	suggests = { "language/python" = "framework/django" }
//
// The package imports nothing of studybot's, so every other package can use it.
package roadmap

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Stages in the order a learner meets them.
var Stages = []string{"prerequisites", "basics", "intermediate", "advanced", "extra"}

// ResourceKinds are the kinds a resource may have.
var ResourceKinds = []string{"official", "article", "book", "video", "course"}

// Roadmap is a parsed, validated roadmap. Treat it as read-only once returned by
// Parse: the engine shares one value between all goroutines.
type Roadmap struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description,omitempty"`
	Stages      []string   `json:"stages"`
	Sections    []*Section `json:"sections"`
	Picks       []*Pick    `json:"picks"`

	topics  []*Topic          // roadmap order
	byID    map[string]*Topic // id -> topic
	pickOf  map[string]*Pick  // option topic id -> its group
	pickIDs map[string]*Pick

	// The search index is built on the first search, not in Parse: most
	// parses (validating an upload, a restart) never search.
	searchOnce  sync.Once
	docs        []doc // parallel to topics
	sectionDocs []doc // parallel to Sections
}

// Section groups topics under a stage.
type Section struct {
	ID      string   `json:"id" toml:"id"`
	Stage   string   `json:"stage" toml:"stage"`
	Title   string   `json:"title" toml:"title"`
	Summary string   `json:"summary,omitempty" toml:"summary"`
	Topics  []*Topic `json:"topics" toml:"topic"`

	index    int // position in Sections
	required int // topics outside pick groups that are not optional
}

// Topic is one thing to learn. Its ID never changes once shipped.
type Topic struct {
	ID        string     `json:"id" toml:"id"`
	Title     string     `json:"title" toml:"title"`
	Hours     int        `json:"hours" toml:"hours"`
	After     []string   `json:"after,omitempty" toml:"after"`
	Summary   string     `json:"summary" toml:"summary"`
	Challenge string     `json:"challenge" toml:"challenge"`
	Resources []Resource `json:"resources" toml:"resources"`
	// Optional topics are suggested in order but may be skipped freely: they
	// count neither for nor against progress, and never block a topic that
	// lists them in After.
	Optional bool `json:"optional,omitempty" toml:"optional"`
	// Tags are other words learners use for the topic ("redis", "k8s"); search
	// ranks them below the title and above the summary.
	Tags []string `json:"tags,omitempty" toml:"tags"`

	Section *Section `json:"-" toml:"-"`
	Index   int      `json:"-" toml:"-"` // position in roadmap order

	// pick is the group the topic is an option of (pickOf[ID]), and after
	// the topics After names (nil where one names none), kept on the topic
	// so the walks of Next and Progress, which views over a whole space
	// run for every member, need no map lookup for them.
	pick  *Pick
	after []*Topic
}

// Resource is a link for studying a topic.
type Resource struct {
	Kind  string `json:"kind" toml:"kind"`
	Title string `json:"title" toml:"title"`
	URL   string `json:"url" toml:"url"`
}

// Pick is a pick-one group: alternatives a member chooses between.
type Pick struct {
	ID       string            `json:"id" toml:"id"`
	Title    string            `json:"title" toml:"title"`
	Options  []string          `json:"options" toml:"options"`
	Suggests map[string]string `json:"suggests,omitempty" toml:"suggests"`

	index   int      // position in Picks
	options []*Topic // Options resolved (nil where one names no topic)
}

//go:embed backend.toml
var backendTOML []byte

var (
	defaultOnce sync.Once
	defaultMap  *Roadmap
)

// Default returns the built-in backend developer roadmap. It panics if the embedded
// file is invalid, which the package tests rule out.
func Default() *Roadmap {
	defaultOnce.Do(func() {
		r, err := Parse("backend.toml", backendTOML)
		if err != nil {
			panic("built-in roadmap: " + err.Error())
		}
		defaultMap = r
	})
	return defaultMap
}

// Topics returns every topic in roadmap order.
func (r *Roadmap) Topics() []*Topic { return r.topics }

// Group returns the pick group t is an option of, nil when it is in none:
// PickOf without the lookup.
func (t *Topic) Group() *Pick { return t.pick }

// Topic returns the topic with the given id, or nil.
func (r *Roadmap) Topic(id string) *Topic { return r.byID[id] }

// Section returns the section with the given id, or nil.
func (r *Roadmap) Section(id string) *Section {
	for _, s := range r.Sections {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Pick returns the pick group with the given id, or nil.
func (r *Roadmap) Pick(id string) *Pick { return r.pickIDs[id] }

// PickOf returns the pick group that topic id is an option of, or nil.
func (r *Roadmap) PickOf(id string) *Pick { return r.pickOf[id] }

// OptionName is the short name of a pick option: "language/python" -> "python".
func OptionName(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// Option resolves a member's word for an option of group p ("python", "Python",
// "language/python", or a tag only one option has, such as "express") to its
// topic id.
func (r *Roadmap) Option(p *Pick, word string) (string, bool) {
	w := strings.ToLower(strings.TrimSpace(word))
	for _, o := range p.Options {
		t := r.byID[o]
		if w == o || w == OptionName(o) || (t != nil && strings.ToLower(t.Title) == w) {
			return o, true
		}
	}
	n, found := normalize(w), ""
	for _, o := range p.Options {
		if t := r.byID[o]; t != nil && slices.ContainsFunc(t.Tags, func(tag string) bool { return normalize(tag) == n }) {
			if found != "" {
				return "", false // two options share the tag: the word names neither
			}
			found = o
		}
	}
	return found, found != ""
}

// Mismatch returns a one-sentence warning when option, which the learner has
// just picked, does not go with their choice in another pick group according to
// the groups' suggests (a Node.js framework with Python, say), or "" when it
// fits or the roadmap says nothing. The pick stands either way: mixing is
// allowed, just worth a second thought.
func (r *Roadmap) Mismatch(l Learner, option string) string {
	p := r.pickOf[option]
	if p == nil {
		return ""
	}
	title := func(id string) string {
		if t := r.byID[id]; t != nil {
			return t.Title
		}
		return id
	}
	for _, q := range r.Picks {
		if q == p {
			continue
		}
		c := r.Chosen(l, q)
		if c == "" {
			continue
		}
		// The other choice points at a different option of this group.
		if s, ok := q.Suggests[c]; ok && r.pickOf[s] == p && s != option {
			return fmt.Sprintf("Heads-up: your %s pick, %s, goes with %s rather than %s; you can keep %s, or type: pick %s %s",
				q.ID, title(c), title(s), title(option), title(option), p.ID, OptionName(s))
		}
		// This option points at a different option of the other group.
		if s, ok := p.Suggests[option]; ok && r.pickOf[s] == q && s != c {
			return fmt.Sprintf("Heads-up: %s goes with %s, but your %s pick is %s; you can keep both, or type: pick %s %s",
				title(option), title(s), q.ID, title(c), q.ID, OptionName(s))
		}
	}
	return ""
}

func (r *Roadmap) index() {
	r.byID = map[string]*Topic{}
	r.pickOf = map[string]*Pick{}
	r.pickIDs = map[string]*Pick{}
	r.topics = r.topics[:0]
	for i, s := range r.Sections {
		s.index = i
		for _, t := range s.Topics {
			t.Section = s
			t.Index = len(r.topics)
			r.topics = append(r.topics, t)
			if _, dup := r.byID[t.ID]; !dup {
				r.byID[t.ID] = t
			}
		}
	}
	for i, p := range r.Picks {
		p.index = i
		r.pickIDs[p.ID] = p
		p.options = make([]*Topic, len(p.Options))
		for j, o := range p.Options {
			r.pickOf[o] = p
			p.options[j] = r.byID[o]
		}
	}
	for _, t := range r.topics {
		t.after = make([]*Topic, len(t.After))
		for j, a := range t.After {
			t.after[j] = r.byID[a]
		}
	}
	for _, s := range r.Sections {
		s.required = 0
		for _, t := range s.Topics {
			t.pick = r.pickOf[t.ID]
			if t.pick == nil && !t.Optional {
				s.required++
			}
		}
	}
}
