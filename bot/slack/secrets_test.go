package slack

import (
	"testing"

	"github.com/studybot/studybot/bot/bottest"
)

func init() { bottest.ScanDefault() }

// TestNoSecretsInOutput re-runs every other test of this package (the Socket
// Mode and HTTP end-to-end tests against the local fake Slack among them)
// with the adapter logging at debug level to stderr, and scans all of the
// output, test logs and any panic included, for the tokens, the signing
// secret and response_urls (each a capability to answer as the bot).
func TestNoSecretsInOutput(t *testing.T) {
	if bottest.Scanning() {
		t.Skip("this is the re-run being scanned")
	}
	secrets := []string{
		testBotToken, testAppToken, testSecret,
		"/response/",                                           // the fake's response_urls (fakeSlack.responseURL)
		"96rGlfmibIGlgcZRskXaIFfN", "xyzz0WbapA4vBCDEFasx0q6G", // exampleBody's response_url and verification token
	}
	bottest.ScanForSecrets(t, secrets...)
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
