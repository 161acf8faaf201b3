package roadmap

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// generate writes a valid roadmap with n topics in sections of 25, shaped like
// the built-in one: chains of prerequisites, and pick groups of three options
// in every fourth section, each suggesting an option of the next group.
func generate(n int) []byte {
	var b bytes.Buffer
	b.WriteString("id = \"gen\"\ntitle = \"Generated\"\n")
	var picks [][]string
	for i := 0; i < n; i++ {
		sec := i / 25
		if i%25 == 0 {
			fmt.Fprintf(&b, "\n[[section]]\nid = \"s%d\"\nstage = %q\ntitle = \"Section %d\"\n", sec, Stages[sec%len(Stages)], sec)
		}
		id := fmt.Sprintf("s%d/t%d", sec, i)
		fmt.Fprintf(&b, "\n[[section.topic]]\nid = %q\ntitle = \"Topic number %d\"\nhours = 2\n", id, i)
		switch {
		case sec%4 == 1 && i%25 < 3: // a pick group's options
			if i%25 == 0 {
				picks = append(picks, nil)
			}
			picks[len(picks)-1] = append(picks[len(picks)-1], id)
		case i%25 > 0:
			fmt.Fprintf(&b, "after = [\"s%d/t%d\"]\n", sec, i-1)
		}
		fmt.Fprintf(&b, "tags = [\"word%d\", \"other%d\"]\n", i%50, i%7)
		b.WriteString("summary = \"A generated topic that stands in for a real one: two sentences of plain words. It says what the topic is and why it matters.\"\n")
		b.WriteString("challenge = \"Do the small task and share what you made.\"\n")
		fmt.Fprintf(&b, "resources = [{ kind = \"official\", title = \"Docs %d\", url = \"https://example.org/docs/%d\" }]\n", i, i)
	}
	for i, opts := range picks {
		if len(opts) < 2 {
			continue
		}
		fmt.Fprintf(&b, "\n[[pick]]\nid = \"p%d\"\ntitle = \"Pick %d\"\noptions = [%q", i, i, opts[0])
		for _, o := range opts[1:] {
			fmt.Fprintf(&b, ", %q", o)
		}
		b.WriteString("]\n")
		if i+1 < len(picks) && len(picks[i+1]) > 0 {
			fmt.Fprintf(&b, "suggests = { %q = %q }\n", opts[0], picks[i+1][0])
		}
	}
	return b.Bytes()
}

func TestLimits(t *testing.T) {
	full := generate(MaxTopics)
	if len(full) > MaxFileBytes {
		t.Fatalf("generated roadmap is %d bytes, more than the limit", len(full))
	}
	// Pad with a comment to exactly the byte limit: still accepted.
	pad := append(bytes.Clone(full), '#')
	pad = append(pad, bytes.Repeat([]byte("x"), MaxFileBytes-len(pad))...)
	r, err := Parse("full.toml", pad)
	if err != nil {
		t.Fatalf("%d topics in %d bytes: %v", MaxTopics, len(pad), err)
	}
	if len(r.Topics()) != MaxTopics {
		t.Fatalf("parsed %d topics, want %d", len(r.Topics()), MaxTopics)
	}
	if _, err := Parse("big.toml", append(pad, 'x')); err == nil || !strings.Contains(err.Error(), "larger than 256 KB") {
		t.Errorf("one byte over: got %v, want a refusal naming 256 KB", err)
	}
	_, err = Parse("many.toml", generate(MaxTopics+1))
	if err == nil || !strings.Contains(err.Error(), "has 501 topics, more than the 500") {
		t.Fatalf("501 topics: got %v", err)
	}
	var re *Error
	if errors.As(err, &re); re == nil || re.Line == 0 || re.ID != "s20/t500" {
		t.Errorf("501 topics: error %+v does not point at the 501st topic", re)
	}
}

func TestParseReportsEveryError(t *testing.T) {
	src := small + "\n[[section]]\nid = \"list\"\nstage = \"extra\"\ntitle = \"L\"\n\n[[section.topic]]\nid = \"list/x\"\ntitle = \"X\"\nhours = 1\nsummary = \"X.\"\n"
	src = strings.Replace(src, `title = "Alpha"`, `title = ""`, 1)
	src = strings.Replace(src, `summary = "Tools."`, `summary = "Tools."`+"\n"+`tags = ["x", "X"]`, 1)
	_, err := Parse("small.toml", []byte(src))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	lines := strings.Split(src, "\n")
	want := map[string]string{
		"list":       `section id "list" is reserved`,
		"base/a":     "title is empty",
		"lang/tools": `duplicate tag "X"`,
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var re *Error
		if !errors.As(e, &re) {
			t.Fatalf("%v is not an *Error", e)
		}
		msg, ok := want[re.ID]
		if !ok {
			t.Errorf("unexpected error %v", re)
			continue
		}
		delete(want, re.ID)
		if !strings.Contains(re.Msg, msg) {
			t.Errorf("%s: %q, want %q", re.ID, re.Msg, msg)
		}
		if re.Line == 0 || !strings.Contains(lines[re.Line-1], `"`+re.ID+`"`) {
			t.Errorf("%s: line %d does not name it", re.ID, re.Line)
		}
	}
	for id, msg := range want {
		t.Errorf("no error for %s (%s)", id, msg)
	}
}

func TestParseFormatErrors(t *testing.T) {
	cases := []struct {
		name, old, new, want string
	}{
		{"ErrReservedSectionID", `id = "web"` + "\n" + `stage`, `id = "export"` + "\n" + `stage`, `"export": section id "export" is reserved: list, follow, show, add, remove, default, export and apply are command words`},
		{"ErrReservedRoadmapID", `id = "small"`, `id = "default"`, `small.toml:2: roadmap id "default" is reserved`},
		{"ErrTagTooLong", `summary = "Go."`, `summary = "Go."` + "\n" + `tags = ["` + strings.Repeat("a", MaxTagLen+1) + `"]`, "longer than 30 characters"},
		{"ErrTagEmpty", `summary = "Go."`, `summary = "Go."` + "\n" + `tags = ["--"]`, `tag "--" is empty`},
		{"ErrTooManyTags", `summary = "Go."`, `summary = "Go."` + "\n" + `tags = ["a","b","c","d","e","f","g","h","i","j","k","l","m"]`, "13 tags is too many"},
		{"ErrOptionalPickOption", `summary = "Go."`, `summary = "Go."` + "\n" + `optional = true`, `an option of pick group "lang" cannot be optional`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(small, c.old) {
				t.Fatalf("fixture lacks %q", c.old)
			}
			_, err := Parse("small.toml", []byte(strings.Replace(small, c.old, c.new, 1)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
}

// optionalMap has an optional topic between two required ones, and a last
// optional topic.
const optionalMap = `
id = "opt"
title = "Optional"

[[section]]
id = "a"
stage = "basics"
title = "A"

[[section.topic]]
id = "a/one"
title = "One"
hours = 1
summary = "One."

[[section.topic]]
id = "a/extra"
title = "Extra"
hours = 1
optional = true
after = ["a/one"]
summary = "Extra."

[[section.topic]]
id = "a/two"
title = "Two"
hours = 1
after = ["a/extra"]
summary = "Two."

[[section.topic]]
id = "a/bonus"
title = "Bonus"
hours = 1
optional = true
summary = "Bonus."
`

func TestOptionalTopics(t *testing.T) {
	r := mustParse(t, optionalMap)
	cases := []struct {
		name     string
		status   map[string]Status
		next     string
		complete bool
		done     int
		optDone  int
	}{
		{name: "SuggestedInOrder", status: st("a/one", "done"), next: "a/extra", done: 1},
		{name: "UnfinishedOptionalPrerequisiteDoesNotBlock", status: st("a/one", "done", "a/two", "learning"), next: "a/two", done: 1},
		{name: "SkippingItMovesOn", status: st("a/one", "done", "a/extra", "skipped"), next: "a/two", done: 1},
		{name: "DoneCountsSeparately", status: st("a/one", "done", "a/extra", "done"), next: "a/two", done: 1, optDone: 1},
		{name: "OptionalLeftoversDoNotHoldItOpen", status: st("a/one", "done", "a/two", "done"), complete: true, done: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := learner{status: c.status}
			got := r.Next(l)
			if got.Complete != c.complete || (c.next != "" && (got.Topic == nil || got.Topic.ID != c.next)) {
				t.Errorf("Next = %+v, want topic %q complete %v", got, c.next, c.complete)
			}
			all, _ := r.Progress(l)
			if want := (Tally{Done: c.done, Total: 2, OptionalDone: c.optDone}); all != want {
				t.Errorf("Progress = %+v, want %+v", all, want)
			}
		})
	}
	// "after" on an unfinished optional topic alone does not block: a/two is
	// ready as soon as a/one is finished, even though a/extra comes first.
	if !ready(r, learnerMarks{learner{status: st("a/one", "done")}}, r.Topic("a/two")) {
		t.Error("a/two is blocked by its optional prerequisite")
	}
}

// TestExampleRoadmap parses the example in the "Write your own roadmap" text,
// testdata/go.toml, which must stay identical to it.
func TestExampleRoadmap(t *testing.T) {
	r, err := Load("testdata/go.toml")
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "go" || len(r.Sections) != 2 || len(r.Topics()) != 6 || len(r.Picks) != 1 {
		t.Fatalf("example: id %q, %d sections, %d topics, %d picks", r.ID, len(r.Sections), len(r.Topics()), len(r.Picks))
	}
	if !r.Topic("start/generics").Optional {
		t.Error("start/generics is not optional")
	}
	// A new member walks the tour, then modules; generics is offered but
	// skippable, and one router counts.
	if got := r.Next(learner{}); got.Topic == nil || got.Topic.ID != "start/tour" {
		t.Errorf("first step %+v", got)
	}
	if got := r.Next(learner{status: st("start/tour", "done", "start/modules", "done")}); got.Topic == nil || got.Topic.ID != "start/generics" {
		t.Errorf("after modules %+v, want the optional generics", got)
	}
	if all, _ := r.Progress(learner{}); all.Total != 4 {
		t.Errorf("example counts %d topics, want 4 (generics is optional, one router)", all.Total)
	}
	if got, _ := r.Find("go mod"); got == nil || got.ID != "start/modules" {
		t.Errorf("Find(go mod) = %v", got)
	}
}
