package roadmap

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// noMarks is a learner who has marked nothing and picked nothing.
type noMarks struct{}

func (noMarks) Status(string) Status { return Todo }
func (noMarks) Choice(string) string { return "" }

// allDone has finished every topic.
type allDone struct{}

func (allDone) Status(string) Status { return Done }
func (allDone) Choice(string) string { return "" }

// FuzzParse: the roadmap TOML loader, which moderators feed with uploaded
// files. Any bytes give a roadmap or *Error values naming the file, never a
// panic; a roadmap that loads is one the rest of the bot can walk: every
// topic is found by its id, and Next terminates for a new member and for
// one who finished everything. Seeds: the built-in roadmap, testdata/*.toml
// and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.toml"))
	files = append(files, "backend.toml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(generate(30))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse("fuzz.toml", data)
		if err != nil {
			if r != nil {
				t.Fatalf("Parse returned a roadmap and %v", err)
			}
			var re *Error
			if !errors.As(err, &re) || re.File != "fuzz.toml" {
				t.Fatalf("Parse error %v (%T) is not a *roadmap.Error naming the file", err, err)
			}
			return
		}
		for _, tp := range r.Topics() {
			if r.Topic(tp.ID) != tp {
				t.Fatalf("topic %q is not found by its id", tp.ID)
			}
		}
		r.Next(noMarks{})
		if res := r.Next(allDone{}); res.Topic != nil && res.Pick == nil {
			t.Fatalf("Next for a member who finished everything = %q", res.Topic.ID)
		}
	})
}
