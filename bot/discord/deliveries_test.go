package discord

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// memDeliveries is a bot.Deliveries in memory: the database two processes
// share, in miniature.
type memDeliveries struct {
	mu      sync.Mutex
	keys    map[string]time.Time
	reads   int
	failing bool
}

func newMemDeliveries() *memDeliveries { return &memDeliveries{keys: map[string]time.Time{}} }

func (d *memDeliveries) Delivered(_ context.Context, key string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reads++
	if d.failing {
		return false, errors.New("database unreachable")
	}
	_, ok := d.keys[key]
	return ok, nil
}

func (d *memDeliveries) MarkDelivered(_ context.Context, key string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failing {
		return errors.New("database unreachable")
	}
	d.keys[key] = at
	return nil
}

func (d *memDeliveries) PruneDeliveries(context.Context, time.Time) (int, error) { return 0, nil }

func (d *memDeliveries) has(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.keys[key]
	return ok
}

// twin is a second bot behind the same load balancer: same application
// key, same engine, its own memory, sharing e.b's deliveries.
func (e *httpEnv) twin() *httpEnv {
	e.t.Helper()
	b := newTestBot(e.t, Config{Mode: ModeHTTP, PublicKey: e.s.hexKey(), APIURL: e.fd.apiURL(), GuildIDs: e.b.cfg.GuildIDs})
	b.h = e.b.h
	b.deliveries = e.b.deliveries
	srv := httptest.NewServer(b.Handler())
	e.t.Cleanup(srv.Close)
	return &httpEnv{t: e.t, b: b, s: e.s, srv: srv, fd: e.fd, clock: b.clock.(*bottest.Clock), rec: e.rec}
}

// TestHTTPReplayOnAnotherProcessRunsOnce: an interaction replayed to another
// process sharing the database is answered there without running the
// engine again; without the shared record it would run twice.
func TestHTTPReplayOnAnotherProcessRunsOnce(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Marked done"}}
	a := newHTTPEnv(t, Config{}, rec)
	d := newMemDeliveries()
	a.b.UseDeliveries(d)
	b := a.twin()

	body := fixture(t, "study_done_topic")
	if status, _ := a.post(body); status != http.StatusOK {
		t.Fatalf("first delivery: status %d", status)
	}
	in := loadInteraction(t, "study_done_topic")
	if !d.has("discord:interaction:" + in.ID) {
		t.Fatal("the answered interaction was not recorded under its id")
	}
	status, m := b.post(body)
	if status != http.StatusOK || !strings.Contains(respContent(m), "already handled") {
		t.Errorf("replay on the other process answered %d %v, want 200 'already handled'", status, m)
	}
	if rec.count() != 1 {
		t.Errorf("engine ran %d times, want 1", rec.count())
	}
	// The other process now remembers it too: a second replay costs no read.
	reads := d.reads
	b.post(body)
	if d.reads != reads || rec.count() != 1 {
		t.Errorf("second replay: %d store reads (want %d), engine ran %d times", d.reads, reads, rec.count())
	}
}

// TestHTTPInteractionsWithBrokenStore: when the store cannot answer, the
// interaction runs (an answer twice beats none) and the failure is logged.
func TestHTTPInteractionsWithBrokenStore(t *testing.T) {
	rec := &recorder{reply: &bot.Reply{Title: "Marked done"}}
	e := newHTTPEnv(t, Config{}, rec)
	logs := &syncBuffer{}
	e.b.log = scanLog(logs)
	e.b.UseDeliveries(&memDeliveries{keys: map[string]time.Time{}, failing: true})
	if status, m := e.post(fixture(t, "study_done_topic")); status != http.StatusOK || respContent(m) == "already handled" {
		t.Fatalf("answered %d %v", status, m)
	}
	if rec.count() != 1 {
		t.Errorf("engine ran %d times, want 1", rec.count())
	}
	for _, want := range []string{"cannot tell whether an interaction was handled", "cannot record a handled interaction"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

// TestHTTPUnservedGuildNotRecorded: nothing of a guild the bot does not
// serve is stored, not even its interaction ids.
func TestHTTPUnservedGuildNotRecorded(t *testing.T) {
	rec := &recorder{}
	e := newHTTPEnv(t, Config{GuildIDs: []string{"111"}}, rec)
	d := newMemDeliveries()
	e.b.UseDeliveries(d)
	e.post(fixture(t, "unknown_guild"))
	if len(d.keys) != 0 {
		t.Errorf("recorded %v for a guild not served", d.keys)
	}
}
