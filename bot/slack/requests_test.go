package slack

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"
)

// memDeliveries is a bot.Deliveries in memory: the database two processes
// share, in miniature.
type memDeliveries struct {
	mu    sync.Mutex
	keys  map[string]time.Time
	reads int
}

func newMemDeliveries() *memDeliveries { return &memDeliveries{keys: map[string]time.Time{}} }

func (d *memDeliveries) Delivered(_ context.Context, key string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reads++
	_, ok := d.keys[key]
	return ok, nil
}

func (d *memDeliveries) MarkDelivered(_ context.Context, key string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys[key] = at
	return nil
}

func (d *memDeliveries) PruneDeliveries(_ context.Context, before time.Time) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for k, at := range d.keys {
		if at.Before(before) {
			delete(d.keys, k)
			n++
		}
	}
	return n, nil
}

func (d *memDeliveries) has(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.keys[key]
	return ok
}

// twin is a second adapter on the same fake Slack, engine and deliveries:
// another process behind the same load balancer, with a memory of its own.
func (tb *testBot) twin(t *testing.T) *testBot {
	t.Helper()
	b, err := New(tb.cfg, tb.rec, tb.clock, slog.New(bottest.ScanHandler(tb.logs)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.cancel)
	b.sleep = tb.naps.sleep
	b.ackBudget = tb.ackBudget
	b.requests = tb.requests
	return &testBot{Bot: b, fake: tb.fake, rec: tb.rec, logs: tb.logs, naps: tb.naps, clock: tb.clock}
}

// signedHeaders signs body at the clock's time, as Slack does once per
// request; sending the same headers again is a replay of that request.
func (tb *testBot) signedHeaders(body string) map[string]string {
	ts := strconv.FormatInt(tb.clock.Now().Unix(), 10)
	return map[string]string{"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(testSecret, ts, []byte(body))}
}

// TestRequestReplayOnAnotherProcessRunsOnce: a slash command or a click
// replayed to another process sharing the database (the same body and
// timestamp, so the same signature) is acknowledged there with no second
// run; without the shared record the second process would run it again.
func TestRequestReplayOnAnotherProcessRunsOnce(t *testing.T) {
	a := newTestBot(t, ModeHTTP)
	d := newMemDeliveries()
	a.UseRequestDeliveries(d)
	b := a.twin(t)

	cmd := commandBody("/study", "done dns", "U1", a.fake.responseURL(1))
	click := url.Values{"payload": {blockActions("done:internet/dns", a.fake.responseURL(2), false)}}.Encode()
	for _, c := range []struct{ path, body string }{{"/slack/commands", cmd}, {"/slack/interactivity", click}} {
		h := a.signedHeaders(c.body)
		if w := a.post(t, c.path, c.body, h); w.Code != http.StatusOK {
			t.Fatalf("%s: first delivery answered %d: %s", c.path, w.Code, w.Body)
		}
		a.wg.Wait()
		if !d.has("slack:req:" + h["X-Slack-Signature"]) {
			t.Errorf("%s: the handled request was not recorded under its signature", c.path)
		}
		w := b.post(t, c.path, c.body, h)
		b.wg.Wait()
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("%s: replay on the other process answered %d %q, want an empty 200", c.path, w.Code, w.Body)
		}
		a.clock.Add(time.Second) // the next request is signed at a new time
	}
	if n := len(a.rec.requests("")); n != 2 {
		t.Errorf("%d requests reached the engine, want 2 (the command and the click, once each)", n)
	}

	// A new request (new timestamp) from the same member is no replay.
	h := b.signedHeaders(cmd)
	if w := b.post(t, "/slack/commands", cmd, h); w.Code != http.StatusOK {
		t.Fatalf("fresh command answered %d", w.Code)
	}
	b.wg.Wait()
	if n := len(a.rec.requests("")); n != 3 {
		t.Errorf("%d requests reached the engine, want 3", n)
	}
}

// TestMalformedRequestNotRecorded: a request refused as malformed took no
// effect, so nothing is recorded for it, and this process's memory stays
// in front of the store: a replay it already saw costs no store read.
func TestMalformedRequestNotRecorded(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	d := newMemDeliveries()
	tb.UseRequestDeliveries(d)
	body := "team_id=T1&command=%2Fstudy" // no user_id
	h := tb.signedHeaders(body)
	if w := tb.post(t, "/slack/commands", body, h); w.Code != http.StatusBadRequest {
		t.Fatalf("malformed command answered %d, want 400", w.Code)
	}
	if d.has("slack:req:" + h["X-Slack-Signature"]) {
		t.Error("a refused request was recorded as handled")
	}
	reads := d.reads
	tb.post(t, "/slack/commands", body, h)
	if d.reads != reads {
		t.Errorf("a replay this process saw read the store (%d reads, want %d)", d.reads, reads)
	}
}

// TestRequestsWithBrokenStore: when the store cannot say whether a request
// was handled, it is handled (an answer twice beats none) and the failure
// logged.
func TestRequestsWithBrokenStore(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	d := &brokenDeliveries{}
	tb.UseRequestDeliveries(d)
	body := commandBody("/study", "done dns", "U1", tb.fake.responseURL(1))
	if w := tb.post(t, "/slack/commands", body, nil); w.Code != http.StatusOK {
		t.Fatalf("answered %d", w.Code)
	}
	tb.wg.Wait()
	if n := len(tb.rec.requests("")); n != 1 || d.marks != 1 {
		t.Errorf("%d requests reached the engine, %d marks; want 1 and 1", n, d.marks)
	}
	if !strings.Contains(tb.logs.String(), "cannot tell whether a request was handled") {
		t.Errorf("logs:\n%s", tb.logs.String())
	}
}
