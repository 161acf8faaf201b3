package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// TestMetricsBeforeAnyEvent: Main with both adapters enabled, scraped before
// anything connected or ran, already shows every operations family: the
// command table's series at zero, challenge posts, each adapter's connection,
// the database and the build.
func TestMetricsBeforeAnyEvent(t *testing.T) {
	body := scrapeBeforeAnyEvent(t)
	ver, rev := buildVersion()
	for _, want := range []string{
		`studybot_commands_total{code="ok",command="done"} 0`,
		`studybot_command_seconds_count{command="next"} 0`,
		`studybot_challenge_posts_total{outcome="ok",platform="discord"} 0`,
		`studybot_adapter_connected{adapter="discord"} 0`,
		`studybot_adapter_connected{adapter="slack"} 0`,
		`studybot_adapter_reconnects_total{adapter="slack"} 0`,
		`studybot_adapter_state_since_seconds{adapter="discord"} 0`,
		`studybot_db_up 1`,
		`studybot_db_size_bytes `,
		`studybot_db_free_bytes `,
		`studybot_db_open_read_transactions 0`,
		`studybot_db_read_transactions_total `,
		`studybot_db_commit_seconds_total `,
		`studybot_db_commit_writes_total `,
		`studybot_db_read_transaction_seconds `,
		`studybot_member_cache_hits_total{cache="brief"} 0`,
		`studybot_member_cache_misses_total{cache="member"} 0`,
		`studybot_member_cache_bytes{cache="brief",max="1"} 6.7108864e+07`,
		`studybot_member_cache_bytes{cache="member",max="1"} 3.3554432e+07`,
		`studybot_build_info{commit="` + rev + `",go_version="go`,
		`version="` + ver + `"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "studybot_db_size_bytes 0\n") {
		t.Error("studybot_db_size_bytes is 0 for an open database")
	}
}

// scrapeBeforeAnyEvent opens Main with both adapters enabled (their APIs
// unreachable) and returns its /metrics page before anything connected or
// ran.
func scrapeBeforeAnyEvent(t *testing.T) string {
	t.Helper()
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
	return rec.Body.String()
}
