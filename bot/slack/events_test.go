package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// homeEventBody is an app_home_opened delivery as Slack posts it.
func homeEventBody(eventID string) string {
	data, _ := json.Marshal(homeOpened(eventID, "U1"))
	return string(data)
}

// postEvent posts an Events API delivery, as retry number retry (0 for the
// first try), signed at a timestamp of its own so it is no replay.
func (tb *testBot) postEvent(t *testing.T, eventID string, retry int) int {
	t.Helper()
	body := homeEventBody(eventID)
	ts := strconv.FormatInt(tb.clock.Now().Unix()-int64(retry), 10)
	h := map[string]string{"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(testSecret, ts, []byte(body))}
	if retry > 0 {
		h["X-Slack-Retry-Num"], h["X-Slack-Retry-Reason"] = strconv.Itoa(retry), "http_timeout"
	}
	w := tb.post(t, "/slack/events", body, h)
	tb.wg.Wait() // the event is handled after the acknowledgement
	return w.Code
}

// restart is a new adapter on the same fake Slack, engine and store, as
// after a process restart: nothing of the old one's memory is left.
func (tb *testBot) restart(t *testing.T) *testBot {
	t.Helper()
	cfg := tb.cfg
	b, err := New(cfg, tb.rec, tb.clock, slog.New(slog.NewTextHandler(tb.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.cancel)
	b.sleep = tb.naps.sleep
	b.ackBudget = tb.ackBudget
	b.UseDeliveries(tb.rec.env.DB)
	return &testBot{Bot: b, fake: tb.fake, rec: tb.rec, logs: tb.logs, naps: tb.naps, clock: tb.clock}
}

func (tb *testBot) publishes() int { return len(tb.fake.callsTo("views.publish")) }

// TestHTTPEventRetryHandledWhenFirstNeverWas: the first delivery of an event
// never reached a running bot (it was restarting), so Slack's retry is the
// only one the member gets: it must publish the Home tab. Later retries, in
// this process or after a restart, publish nothing more.
func TestHTTPEventRetryHandledWhenFirstNeverWas(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.UseDeliveries(tb.rec.env.DB)

	if code := tb.postEvent(t, "EvLost", 1); code != http.StatusOK {
		t.Fatalf("retry answered %d", code)
	}
	if n := tb.publishes(); n != 1 {
		t.Fatalf("views.publish called %d times after the first retry, want 1", n)
	}
	tb.postEvent(t, "EvLost", 2)
	tb.postEvent(t, "EvLost", 0) // the same event id without the header
	if n := tb.publishes(); n != 1 {
		t.Errorf("views.publish called %d times after more retries, want 1", n)
	}

	after := tb.restart(t)
	if code := after.postEvent(t, "EvLost", 3); code != http.StatusOK {
		t.Errorf("retry after restart answered %d", code)
	}
	if n := after.publishes(); n != 1 {
		t.Errorf("views.publish called %d times after a restart's retry, want 1", n)
	}
	after.postEvent(t, "EvOther", 1)
	if n := after.publishes(); n != 2 {
		t.Errorf("a new event after the restart published %d times in all, want 2", n)
	}
}

// TestHTTPEventHandledOnceAcrossRestart: the first delivery was handled and
// the process restarted; Slack's retry (our acknowledgement got lost) has no
// second effect.
func TestHTTPEventHandledOnceAcrossRestart(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.UseDeliveries(tb.rec.env.DB)
	tb.postEvent(t, "Ev1", 0)
	if n := tb.publishes(); n != 1 {
		t.Fatalf("views.publish called %d times, want 1", n)
	}
	after := tb.restart(t)
	after.postEvent(t, "Ev1", 1)
	if n := after.publishes(); n != 1 {
		t.Errorf("views.publish called %d times after the restart's retry, want 1", n)
	}
	if ok, err := tb.rec.env.DB.Delivered(context.Background(), "slack:event:Ev1"); err != nil || !ok {
		t.Errorf("Ev1 not recorded in the store: %v, %v", ok, err)
	}
}

// TestHTTPEventFailedEffectRetried: when views.publish fails, the event is
// not recorded, so Slack's retry tries again.
func TestHTTPEventFailedEffectRetried(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.UseDeliveries(tb.rec.env.DB)
	tb.fake.publish = func(n int, w http.ResponseWriter) bool {
		if n == 1 {
			fmt.Fprint(w, `{"ok":false,"error":"internal_error"}`)
			return true
		}
		return false
	}
	tb.postEvent(t, "EvFlaky", 0)
	if ok, _ := tb.rec.env.DB.Delivered(context.Background(), "slack:event:EvFlaky"); ok {
		t.Error("an event whose views.publish failed was recorded as handled")
	}
	tb.postEvent(t, "EvFlaky", 1)
	tb.postEvent(t, "EvFlaky", 2)
	if n := tb.publishes(); n != 2 {
		t.Errorf("views.publish called %d times, want 2 (the failed one and the retry)", n)
	}
}

// TestEventIDsPruned: handled ids are forgotten once past bot.DeliveryKeep, by a
// later mark.
func TestEventIDsPruned(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	db := tb.rec.env.DB
	tb.UseDeliveries(db)
	tb.postEvent(t, "EvOld", 0)
	tb.clock.Add(bot.DeliveryKeep + bot.DeliveryPruneEvery)
	tb.postEvent(t, "EvNew", 0)
	ctx := context.Background()
	if ok, _ := db.Delivered(ctx, "slack:event:EvOld"); ok {
		t.Error("an id older than bot.DeliveryKeep was not pruned")
	}
	if ok, _ := db.Delivered(ctx, "slack:event:EvNew"); !ok {
		t.Error("the new id was pruned or never marked")
	}
}

// TestSocketModeEventRetryHandledWhenFirstNeverWas is the Socket Mode
// version: retry_attempt > 0 for an event never handled publishes the Home
// tab; a redelivery of a handled one, after a restart too, does not.
func TestSocketModeEventRetryHandledWhenFirstNeverWas(t *testing.T) {
	tb := newTestBot(t, ModeSocket)
	tb.UseDeliveries(tb.rec.env.DB)
	s, stop := tb.connect(t)
	s.envelope("env-r1", "events_api", 1, homeOpened("EvLost", "U1"))
	tb.fake.wait("views.publish", 1)
	s.envelope("env-r2", "events_api", 2, homeOpened("EvLost", "U1"))
	s.envelope("env-r1", "events_api", 1, homeOpened("EvLost", "U1"))
	s.envelope("env-h1", "events_api", 0, homeOpened("EvDone", "U1"))
	tb.fake.wait("views.publish", 2)
	stop() // waits for work in flight
	if n := tb.publishes(); n != 2 {
		t.Fatalf("views.publish called %d times, want 2", n)
	}

	after := tb.restart(t)
	s, stop = after.connect(t)
	s.envelope("env-r3", "events_api", 3, homeOpened("EvLost", "U1"))
	s.envelope("env-h2", "events_api", 1, homeOpened("EvDone", "U1"))
	s.envelope("env-n1", "events_api", 1, homeOpened("EvNew", "U1"))
	after.fake.wait("views.publish", 3)
	stop()
	if n := after.publishes(); n != 3 {
		t.Errorf("views.publish called %d times after the restart, want 3 (EvNew only)", n)
	}
}

// TestEventsOnceWithoutStore: with no store the adapter still handles an
// event once within the process, and a retry of one never handled.
func TestEventsOnceWithoutStore(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.postEvent(t, "EvA", 1)
	tb.postEvent(t, "EvA", 2)
	tb.postEvent(t, "EvA", 0)
	if n := tb.publishes(); n != 1 {
		t.Errorf("views.publish called %d times, want 1", n)
	}
}

// TestHTTPEventDuringShutdownIsRetried: an event that arrives while the
// adapter drains is refused (503), so Slack retries it; the retry, after the
// restart, is handled.
func TestHTTPEventDuringShutdownIsRetried(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.UseDeliveries(tb.rec.env.DB)
	tb.drain(0)
	if code := tb.postEvent(t, "EvLate", 0); code != http.StatusServiceUnavailable {
		t.Errorf("event during shutdown answered %d, want 503 so Slack retries", code)
	}
	after := tb.restart(t)
	after.postEvent(t, "EvLate", 1)
	if n := after.publishes(); n != 1 {
		t.Errorf("views.publish called %d times, want 1 (the retry after the restart)", n)
	}
}

// brokenDeliveries is a store that cannot answer.
type brokenDeliveries struct{ marks int }

func (*brokenDeliveries) Delivered(context.Context, string) (bool, error) {
	return false, errors.New("disk on fire")
}
func (d *brokenDeliveries) MarkDelivered(context.Context, string, time.Time) error {
	d.marks++
	return errors.New("disk on fire")
}
func (*brokenDeliveries) PruneDeliveries(context.Context, time.Time) (int, error) {
	return 0, errors.New("disk on fire")
}

// TestEventsWithBrokenStore: when the store cannot say whether an event was
// handled, the event is handled (a Home tab shown twice beats one never
// shown), the failure is logged, and this process still handles it once.
func TestEventsWithBrokenStore(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	d := &brokenDeliveries{}
	tb.UseDeliveries(d)
	tb.postEvent(t, "EvB", 0)
	tb.postEvent(t, "EvB", 1)
	if n := tb.publishes(); n != 1 {
		t.Errorf("views.publish called %d times, want 1", n)
	}
	if d.marks != 1 || !strings.Contains(tb.logs.String(), "cannot tell whether an event was handled") {
		t.Errorf("%d marks; logs:\n%s", d.marks, tb.logs.String())
	}
}
