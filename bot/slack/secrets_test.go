package slack

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// scanEnv is set in the environment of the test binary that
// TestNoSecretsInOutput runs: the adapter's loggers then also write to
// stderr, where the scan reads them.
const scanEnv = "STUDYBOT_SECRET_SCAN"

// scanHandler is the tests' log handler: every level down to debug into w,
// and into stderr too while TestNoSecretsInOutput re-runs the package. w nil
// discards, except into the scan.
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

// TestNoSecretsInOutput re-runs every other test of this package (the Socket
// Mode and HTTP end-to-end tests against the local fake Slack among them)
// with the adapter logging at debug level to stderr, and scans all of the
// output, test logs and any panic included, for the tokens, the signing
// secret and response_urls (each a capability to answer as the bot).
func TestNoSecretsInOutput(t *testing.T) {
	if os.Getenv(scanEnv) != "" {
		t.Skip("this is the re-run being scanned")
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
	secrets := []string{
		testBotToken, testAppToken, testSecret,
		"/response/",                                           // the fake's response_urls (fakeSlack.responseURL)
		"96rGlfmibIGlgcZRskXaIFfN", "xyzz0WbapA4vBCDEFasx0q6G", // exampleBody's response_url and verification token
	}
	for _, secret := range secrets {
		if i := strings.Index(string(out), secret); i >= 0 {
			t.Errorf("%q appears in the output:\n...%s...", secret, out[max(0, i-300):min(len(out), i+100)])
		}
	}
}

// TestSlackGoDebugStaysOff: slack-go's debug logging prints requests to its
// own logger, past our redaction, so no setting may turn it on; socketmode
// copies the client's flag.
func TestSlackGoDebugStaysOff(t *testing.T) {
	for _, mode := range []string{ModeSocket, ModeHTTP} {
		tb := newTestBot(t, mode)
		if tb.api.Debug() {
			t.Errorf("%s mode: slack-go debug logging is on", mode)
		}
	}
}

func tail(out []byte) []byte {
	if len(out) > 4000 {
		return out[len(out)-4000:]
	}
	return out
}
