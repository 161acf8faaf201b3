package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"net/http"
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
		cfg := DefaultConfig()
		cfg.Database.URL = Secret(u)
		cfg.HTTP.Listen = "127.0.0.1:0"
		cfg.Discord.Enabled = true
		cfg.Discord.Mode = "http"
		cfg.Discord.Token = "test-token"
		cfg.Discord.AppID = "900"
		cfg.Discord.PublicKey = hex.EncodeToString(pub)
		cfg.Discord.RegisterCommands = false
		cfg.Discord.APIURL = "http://127.0.0.1:1/api"
		m := NewMain(cfg)
		m.Clock, m.Stderr = clock, io.Discard
		if err := m.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		t.Cleanup(sync.OnceFunc(func() { cancel(); <-done; m.Close() }))
		return "http://" + m.listener.Addr().String() + "/discord/interactions"
	}
	a, b := start(), start()

	body := []byte(`{"id":"77001","application_id":"900","type":2,"token":"itok-77001","version":1,"channel_id":"301",` +
		`"data":{"id":"5001","name":"study","type":1,"options":[{"name":"next","type":1}]},"guild_id":"111",` +
		`"member":{"user":{"id":"201","username":"ada"},"roles":[],"permissions":"2048"}}`)
	stamp := strconv.FormatInt(now.Unix(), 10)
	sig := hex.EncodeToString(ed25519.Sign(priv, append([]byte(stamp), body...)))
	post := func(url string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature-Ed25519", sig)
		req.Header.Set("X-Signature-Timestamp", stamp)
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
	if first := post(a); strings.Contains(first, "already handled") {
		t.Fatalf("the first delivery was taken for a replay: %s", first)
	}
	if again := post(b); !strings.Contains(again, "already handled") {
		t.Errorf("the replay to the other process ran again: %s", again)
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
