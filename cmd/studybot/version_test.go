package main

import (
	"bytes"
	"context"
	"testing"
)

// TestVersionPrintsCommit: the -X values (the Dockerfile's VERSION and COMMIT
// build arguments) are what `studybot version` prints; with no commit given
// and no VCS stamp (a test binary has none), it says unknown.
func TestVersionPrintsCommit(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	for _, tt := range []struct {
		version, commit, want string
	}{
		{"v1.4.0", "abc1234", "studybot v1.4.0 (commit abc1234)\n"},
		{"v1.4.0", "", "studybot v1.4.0 (commit unknown)\n"},
	} {
		version, commit = tt.version, tt.commit
		var out bytes.Buffer
		if err := run(context.Background(), []string{"version"}, nil, &out, &out); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("version %q commit %q: printed %q, want %q", tt.version, tt.commit, out.String(), tt.want)
		}
	}
}
