package bottest

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The adapters' secret scans (TestNoSecretsInOutput): the test re-runs
// every other test of its package with the adapter logging at debug level
// to stderr, and searches all of the output, test logs and any panic
// included, for the secrets the tests use.

// scanEnv is set in the environment of the re-run being scanned: the
// adapter's loggers then also write to stderr, where the scan reads them.
const scanEnv = "STUDYBOT_SECRET_SCAN"

// Scanning reports whether this test binary is the re-run being scanned.
func Scanning() bool { return os.Getenv(scanEnv) != "" }

// ScanHandler is the adapter tests' log handler: every level down to debug
// into w, and into stderr too while the package is re-run for the scan. w
// nil discards, except into the scan.
func ScanHandler(w io.Writer) slog.Handler {
	if w == nil {
		w = io.Discard
	}
	if Scanning() {
		w = io.MultiWriter(w, os.Stderr)
	}
	return slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})
}

// ScanDefault makes code that falls back to slog.Default log into the
// scanned output too; the scanned package calls it from an init function.
func ScanDefault() {
	if Scanning() {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})))
	}
}

// ScanForSecrets re-runs every test of this test binary but t itself (a
// top-level test) with Scanning true, and fails t if any of secrets
// appears in the output, or if the re-run logged nothing (the scan would
// prove nothing). The caller skips t when Scanning.
func ScanForSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.v", "-test.skip=^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), scanEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil { // scan anyway: a leak may be why it failed
		t.Errorf("re-running the package's tests: %v\n%s", err, tail(out))
	}
	if !strings.Contains(string(out), "level=DEBUG") && !strings.Contains(string(out), "level=INFO") {
		t.Fatalf("the re-run logged nothing; the scan would prove nothing:\n%s", tail(out))
	}
	for _, secret := range secrets {
		if i := strings.Index(string(out), secret); i >= 0 {
			t.Errorf("%q appears in the output:\n...%s...", secret, out[max(0, i-300):min(len(out), i+100)])
		}
	}
}

func tail(out []byte) []byte {
	if len(out) > 4000 {
		return out[len(out)-4000:]
	}
	return out
}
