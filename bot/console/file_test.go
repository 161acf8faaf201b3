package console_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/console"
)

// recorder is a stand-in engine: it records each request and answers with
// reply.
type recorder struct {
	mu    sync.Mutex
	reqs  []*bot.Request
	reply *bot.Reply
}

func (r *recorder) Handle(_ context.Context, req *bot.Request) (*bot.Reply, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	return r.reply, nil
}

func (r *recorder) Complete(context.Context, *bot.Request, string, string) []bot.Suggestion {
	return nil
}

func (r *recorder) Permit(context.Context, *bot.Request) error { return nil }

var roadmapTOML = []byte("id = \"backend\"\ntitle = \"Backend\"\n")

// writeFile writes data to dir/name, making its directory.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRoadmapFileReachesEngine: roadmap add <path> reads the file and the
// engine gets its base name and bytes, never the path.
func TestRoadmapFileReachesEngine(t *testing.T) {
	dir := t.TempDir()
	abs := writeFile(t, dir, "maps/my backend.toml", roadmapTOML)
	tests := []struct {
		name, line, file string
	}{
		{"Relative", "roadmap add maps/backend.toml", "backend.toml"},
		{"Absolute", "/studymod roadmap add " + filepath.Join(dir, "maps", "backend.toml"), "backend.toml"},
		{"QuotedWithSpaces", `roadmap add "` + abs + `"`, "my backend.toml"},
	}
	writeFile(t, dir, "maps/backend.toml", roadmapTOML)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{reply: &bot.Reply{Title: "Backend added"}}
			c := console.New(rec, io.Discard, console.Options{Member: "ann", Dir: dir})
			if out := c.Do(context.Background(), tt.line); !strings.Contains(out, "Backend added") {
				t.Fatalf("output %q", out)
			}
			if len(rec.reqs) != 1 {
				t.Fatalf("engine ran %d times", len(rec.reqs))
			}
			got := rec.reqs[0]
			if got.Command != "roadmap add" || got.Args["file"] != tt.file || got.Access != bot.AccessAdmin {
				t.Errorf("request %+v", got)
			}
			if f := got.File; f == nil || f.Name != tt.file || f.Type != "application/toml" || !bytes.Equal(f.Data, roadmapTOML) {
				t.Errorf("file %+v", got.File)
			}
		})
	}
}

// TestRoadmapFileRelativeToWorkingDirectory: without Options.Dir a relative
// path is the process's working directory's.
func TestRoadmapFileRelativeToWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "backend.toml", roadmapTOML)
	t.Chdir(dir)
	rec := &recorder{}
	console.New(rec, io.Discard, console.Options{}).Do(context.Background(), "roadmap add backend.toml")
	if len(rec.reqs) != 1 || rec.reqs[0].File == nil || !bytes.Equal(rec.reqs[0].File.Data, roadmapTOML) {
		t.Fatalf("requests %+v, want one with the file", rec.reqs)
	}
}

// TestRoadmapFileRefused: a path the console cannot or will not read gets
// one line, and the engine does not run.
func TestRoadmapFileRefused(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "big.toml", bytes.Repeat([]byte("#"), bot.MaxRoadmapFile+1))
	writeFile(t, dir, "limit.toml", bytes.Repeat([]byte("#"), bot.MaxRoadmapFile))
	writeFile(t, dir, "notes.txt", roadmapTOML)
	if err := os.Mkdir(filepath.Join(dir, "maps.toml"), 0o755); err != nil {
		t.Fatal(err)
	}
	locked := writeFile(t, dir, "locked.toml", roadmapTOML)
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, says string
		root             bool // root reads anything: skip when root
	}{
		{name: "ErrMissing", path: "gone.toml", says: "error: There is no file gone.toml."},
		{name: "ErrDirectory", path: "maps.toml", says: "error: maps.toml is a directory"},
		{name: "ErrTooLarge", path: "big.toml", says: "error: big.toml is larger than 256 KB"},
		{name: "ErrNotTOML", path: "notes.txt", says: "error: notes.txt is not a .toml file."},
		{name: "ErrDevice", path: os.DevNull, says: "is not a regular file"},
		{name: "ErrPathThroughAFile", path: "notes.txt/backend.toml", says: "error: I cannot read notes.txt/backend.toml: not a directory."},
		{name: "ErrUnreadable", path: "locked.toml", says: "error: I cannot read locked.toml: permission denied.", root: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Geteuid() == 0 {
				t.Skip("root reads files whatever their mode")
			}
			rec := &recorder{}
			c := console.New(rec, io.Discard, console.Options{Dir: dir})
			out := c.Do(context.Background(), "roadmap add "+tt.path)
			if !strings.Contains(out, tt.says) || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "error: ") {
				t.Errorf("output %q, want one error line saying %q", out, tt.says)
			}
			if len(rec.reqs) != 0 {
				t.Errorf("engine ran with %+v", rec.reqs[0])
			}
		})
	}
	// Exactly the limit is fine.
	t.Run("ErrLargerThanStatSays", func(t *testing.T) {
		// A /proc file is regular and stats as empty; kallsyms reads as
		// megabytes, so only the bounded read can refuse it.
		const proc = "/proc/kallsyms"
		if st, err := os.Stat(proc); err != nil || st.Size() != 0 {
			t.Skip("no Linux /proc/kallsyms")
		}
		if data, err := os.ReadFile(proc); err != nil || len(data) <= bot.MaxRoadmapFile {
			t.Skip("/proc/kallsyms is not readable or not large here")
		}
		if err := os.Symlink(proc, filepath.Join(dir, "kallsyms.toml")); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		out := console.New(rec, io.Discard, console.Options{Dir: dir}).Do(context.Background(), "roadmap add kallsyms.toml")
		if !strings.HasPrefix(out, "error: kallsyms.toml is larger than 256 KB") || len(rec.reqs) != 0 {
			t.Errorf("output %q, engine ran %d times", out, len(rec.reqs))
		}
	})
	rec := &recorder{}
	console.New(rec, io.Discard, console.Options{Dir: dir}).Do(context.Background(), "roadmap add limit.toml")
	if len(rec.reqs) != 1 || len(rec.reqs[0].File.Data) != bot.MaxRoadmapFile {
		t.Errorf("a file of exactly %d bytes: requests %+v", bot.MaxRoadmapFile, rec.reqs)
	}
}

// TestRoadmapAddWithoutPath: with no path there is no file; the engine says
// what it needs.
func TestRoadmapAddWithoutPath(t *testing.T) {
	rec := &recorder{}
	console.New(rec, io.Discard, console.Options{}).Do(context.Background(), "roadmap add")
	if len(rec.reqs) != 1 || rec.reqs[0].File != nil {
		t.Errorf("requests %+v, want one without a file", rec.reqs)
	}
}
