package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig: config loading from a TOML file. Any file gives a config
// or an error, never a panic, and a config that loads passes Validate again
// (what run and check-config rely on). Seeds: config.example.toml and
// testdata/fuzz/FuzzLoadConfig.
//
// Inputs naming a *_file key are skipped, and so are \u escapes (which could
// spell one in a quoted key): LoadConfig reads those files, and a fuzzed
// path such as /dev/zero or /dev/stdin would read forever.
func FuzzLoadConfig(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte("[discord]\nenabled = true\ntoken = \"x.y.z\"\napp_id = \"900\"\nshards = \"auto\"\nshard_ids = [0, 1]\n"))
	f.Add([]byte("[slack]\nenabled = true\nmode = \"http\"\nsigning_secret = \"abc\"\nbot_token = \"xoxb-1\"\n[http]\nlisten = \":8080\"\n"))
	f.Add([]byte("[nudge]\nsend_rate = 5\ngrace = \"90m\"\ndefault_zone = \"Europe/Berlin\"\n"))
	noEnv := func(string) (string, bool) { return "", false }
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte("_file")) || bytes.Contains(data, []byte(`\u`)) || bytes.Contains(data, []byte(`\U`)) {
			t.Skip("names a file to read")
		}
		path := filepath.Join(dir, "studybot.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(path, noEnv)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("LoadConfig accepted a config that Validate refuses: %v", err)
		}
	})
}
