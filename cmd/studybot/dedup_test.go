package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// TestRequestDedupAcrossProcesses: two processes on one PostgreSQL database
// serve Discord HTTP interactions behind one load balancer. An interaction
// replayed to the second one after the first answered it is not run again
// there: the second answers "already handled" because the database, not
// its own memory, knows the id.
func TestRequestDedupAcrossProcesses(t *testing.T) {
	u := testSchemaURL(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second) // signatures are checked against it
	clock := bot.ClockFunc(func() time.Time { return now })
	start := func() string {
		return startOnDatabase(t, u, clock, func(cfg *Config) {
			cfg.Discord.Enabled = true
			cfg.Discord.Mode = "http"
			cfg.Discord.Token = "test-token"
			cfg.Discord.AppID = "900"
			cfg.Discord.PublicKey = hex.EncodeToString(pub)
			cfg.Discord.RegisterCommands = false
			cfg.Discord.APIURL = "http://127.0.0.1:1/api"
		}) + "/discord/interactions"
	}
	a, b := start(), start()

	body := []byte(`{"id":"77001","application_id":"900","type":2,"token":"itok-77001","version":1,"channel_id":"301",` +
		`"data":{"id":"5001","name":"study","type":1,"options":[{"name":"next","type":1}]},"guild_id":"111",` +
		`"member":{"user":{"id":"201","username":"ada"},"roles":[],"permissions":"2048"}}`)
	stamp := strconv.FormatInt(now.Unix(), 10)
	sig := hex.EncodeToString(ed25519.Sign(priv, append([]byte(stamp), body...)))
	post := func(url string) string {
		t.Helper()
		return postSigned(t, url, body, map[string]string{
			"Content-Type": "application/json", "X-Signature-Ed25519": sig, "X-Signature-Timestamp": stamp,
		})
	}
	if first := post(a); strings.Contains(first, "already handled") {
		t.Fatalf("the first delivery was taken for a replay: %s", first)
	}
	if again := post(b); !strings.Contains(again, "already handled") {
		t.Errorf("the replay to the other process ran again: %s", again)
	}
}

// startOnDatabase runs a Main on the PostgreSQL URL u, set up by with, until
// the test ends, and returns the base URL of its listener.
func startOnDatabase(t *testing.T, u string, clock bot.Clock, with func(*Config)) string {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Database.URL = Secret(u)
	cfg.HTTP.Listen = "127.0.0.1:0"
	with(&cfg)
	m := NewMain(cfg)
	m.Clock, m.Stderr = clock, io.Discard
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(sync.OnceFunc(func() { cancel(); <-done; m.Close() }))
	return "http://" + m.listener.Addr().String()
}

// TestSlackRequestDedupAcrossProcesses: the same for Slack in HTTP mode. A
// slash command replayed (same body, same signature) to the other process
// is acknowledged there empty, with no second run: the database knows its
// signature.
func TestSlackRequestDedupAcrossProcesses(t *testing.T) {
	u := testSchemaURL(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "users.info"):
			io.WriteString(w, `{"ok":true,"user":{"id":"U1","team_id":"T1","name":"ann","tz":"UTC"}}`)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer api.Close()
	now := time.Now().UTC().Truncate(time.Second)
	clock := bot.ClockFunc(func() time.Time { return now })
	const secret = "testsigningsecret0123"
	start := func() string {
		return startOnDatabase(t, u, clock, func(cfg *Config) {
			cfg.Slack.Enabled = true
			cfg.Slack.Mode = "http"
			cfg.Slack.BotToken = "xoxb-test"
			cfg.Slack.SigningSecret = secret
			cfg.Slack.APIURL = api.URL + "/api/"
		}) + "/slack/commands"
	}
	a, b := start(), start()
	body := url.Values{"team_id": {"T1"}, "user_id": {"U1"}, "user_name": {"ann"}, "channel_id": {"C1"},
		"command": {"/study"}, "text": {"next"}, "response_url": {api.URL + "/response"}}.Encode()
	stamp := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+stamp+":"+body)
	sig := "v0=" + hex.EncodeToString(mac.Sum(nil))
	post := func(url string) string {
		t.Helper()
		return postSigned(t, url, []byte(body), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sig,
		})
	}
	if first := post(a); !strings.Contains(first, "Next up") {
		t.Fatalf("the first delivery was not answered: %q", first)
	}
	if again := post(b); again != "" {
		t.Errorf("the replay to the other process ran again: %q", again)
	}
}

// TestRequestDedupOnlyOnSharedStore: on a bbolt file, which one process
// holds, requests are deduplicated in memory (no commit per command), while
// Slack events are still recorded in the file, for retries after a restart.
func TestRequestDedupOnlyOnSharedStore(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Database.Path = t.TempDir() + "/a.db"
	m := NewMain(cfg)
	m.Clock, m.Stderr = fixedClock, io.Discard
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.deliveries() == nil {
		t.Error("Slack events are not recorded in the bbolt file")
	}
	if m.sharedDeliveries() != nil {
		t.Error("requests are recorded in a bbolt file, which no other process can read")
	}
}

// postSigned posts body to url with header and returns the answer, failing
// t unless it is a 200.
func postSigned(t *testing.T, url string, body []byte, header map[string]string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s answered %d: %s", url, resp.StatusCode, out)
	}
	return string(out)
}
