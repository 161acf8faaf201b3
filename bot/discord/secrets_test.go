package discord

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot/bottest"
)

// scanLog is the tests' logger: every level down to debug into w, and into
// stderr too while TestNoSecretsInOutput re-runs the package.
func scanLog(w io.Writer) *slog.Logger { return slog.New(bottest.ScanHandler(w)) }

func init() { bottest.ScanDefault() }

// TestNoSecretsInOutput re-runs every other test of this package (the
// gateway and HTTP end-to-end tests against the local fake Discord among
// them) with the adapter logging at debug level to stderr, and scans all of
// the output, test logs and any panic included, for the bot token and the
// interaction tokens of the fixtures. Every secret the tests use carries
// the marker SECRET, so one search finds any of them, whole or in part.
func TestNoSecretsInOutput(t *testing.T) {
	if bottest.Scanning() {
		t.Skip("this is the re-run being scanned")
	}
	if !strings.Contains(testToken, "SECRET") {
		t.Fatal("testToken lost its SECRET marker; the scan would find nothing")
	}
	tokens := interactionTokens(t)
	if len(tokens) == 0 {
		t.Fatal("no interaction token in testdata/interactions; the scan would miss them")
	}
	bottest.ScanForSecrets(t, append([]string{"SECRET", testToken, "test-bot-token"}, tokens...)...)
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
