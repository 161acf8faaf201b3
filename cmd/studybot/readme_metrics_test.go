package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeListsEveryMetricFamily: every studybot_* family Main registers
// (both adapters enabled, Discord in gateway mode, on bbolt: the setup that
// shows them all) is in the README's metrics table, so the table cannot fall
// behind the code again.
func TestReadmeListsEveryMetricFamily(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `studybot_") {
			table.WriteString(line + "\n")
		}
	}
	cfg := DefaultConfig()
	cfg.Database.Path = filepath.Join(t.TempDir(), "a.db")
	cfg.Discord.Enabled = true
	cfg.Discord.Token, cfg.Discord.AppID = "test-token", "900"
	cfg.Discord.APIURL = "http://127.0.0.1:1/api"
	cfg.Slack.Enabled = true
	cfg.Slack.BotToken, cfg.Slack.AppToken = "xoxb-1", "xapp-1"
	cfg.Slack.APIURL = "http://127.0.0.1:1/api/"
	m := NewMain(cfg)
	m.Clock, m.Stderr = fixedClock, &bytes.Buffer{}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rec := httptest.NewRecorder()
	m.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	families := regexp.MustCompile(`(?m)^# TYPE (studybot_\w+) `).FindAllStringSubmatch(rec.Body.String(), -1)
	if len(families) < 20 {
		t.Fatalf("only %d studybot families scraped:\n%s", len(families), rec.Body.String())
	}
	for _, f := range families {
		if !regexp.MustCompile("`" + f[1] + "[`{]").MatchString(table.String()) {
			t.Errorf("README's metrics table lacks %s", f[1])
		}
	}
}
