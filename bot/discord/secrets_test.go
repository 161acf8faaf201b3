package discord

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scanEnv is set in the environment of the test binary that
// TestNoSecretsInOutput runs: the adapter's loggers then also write to
// stderr, where the scan reads them.
const scanEnv = "STUDYBOT_SECRET_SCAN"

// scanLog is the tests' logger: every level down to debug into w, and into
// stderr too while TestNoSecretsInOutput re-runs the package.
func scanLog(w io.Writer) *slog.Logger { return slog.New(scanHandler(w)) }

// scanHandler is scanLog's handler; w nil discards, except into the scan.
func scanHandler(w io.Writer) slog.Handler {
	if w == nil {
		w = io.Discard
	}
	if os.Getenv(scanEnv) != "" {
		w = io.MultiWriter(w, os.Stderr)
	}
	return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
}

func init() {
	// Code that falls back to slog.Default logs into the scanned output too.
	if os.Getenv(scanEnv) != "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
}

// TestNoSecretsInOutput re-runs every other test of this package (the
// gateway and HTTP end-to-end tests against the local fake Discord among
// them) with the adapter logging at debug level to stderr, and scans all of
// the output, test logs and any panic included, for the bot token and the
// interaction tokens of the fixtures. Every secret the tests use carries
// the marker SECRET, so one search finds any of them, whole or in part.
func TestNoSecretsInOutput(t *testing.T) {
	if os.Getenv(scanEnv) != "" {
		t.Skip("this is the re-run being scanned")
	}
	if !strings.Contains(testToken, "SECRET") {
		t.Fatal("testToken lost its SECRET marker; the scan would find nothing")
	}
	tokens := interactionTokens(t)
	if len(tokens) == 0 {
		t.Fatal("no interaction token in testdata/interactions; the scan would miss them")
	}
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.v", "-test.skip=^TestNoSecretsInOutput$")
	cmd.Env = append(os.Environ(), scanEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil { // scan anyway: a leak may be why it failed
		t.Errorf("re-running the package's tests: %v\n%s", err, tail(out))
	}
	if !strings.Contains(string(out), "level=DEBUG") && !strings.Contains(string(out), "level=INFO") {
		t.Fatalf("the re-run logged nothing; the scan would prove nothing:\n%s", tail(out))
	}
	for _, secret := range append([]string{"SECRET", testToken, "test-bot-token"}, tokens...) {
		if i := strings.Index(string(out), secret); i >= 0 {
			t.Errorf("%q appears in the output:\n...%s...", secret, out[max(0, i-300):min(len(out), i+100)])
		}
	}
}

// interactionTokens are the "token" fields of the interaction fixtures.
func interactionTokens(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "interactions", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`"token"\s*:\s*"([^"]+)"`)
	var tokens []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(data, -1) {
			tokens = append(tokens, string(m[1]))
		}
	}
	return tokens
}

func tail(out []byte) []byte {
	if len(out) > 4000 {
		return out[len(out)-4000:]
	}
	return out
}
