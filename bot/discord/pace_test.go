package discord

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// memDMs is a bot.DMChannels in memory, standing in for the store across a
// "restart" (a new Bot).
type memDMs struct {
	mu  sync.Mutex
	chs map[string]string
}

func newMemDMs() *memDMs { return &memDMs{chs: map[string]string{}} }

func (m *memDMs) DMChannel(_ context.Context, sp bot.Space, member string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.chs[sp.Key()+"/"+member], nil
}

func (m *memDMs) SetDMChannel(_ context.Context, sp bot.Space, member, ch string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch == "" {
		delete(m.chs, sp.Key()+"/"+member)
	} else {
		m.chs[sp.Key()+"/"+member] = ch
	}
	return nil
}

func newStoringBot(t testing.TB, fd *fakeDiscord, dms bot.DMChannels, o bot.APIObserver) *Bot {
	t.Helper()
	return newBotAt(t, fd.apiURL(), dms, o)
}

// newBotAt is a bot sending to the REST API at url, at 10,000/s.
func newBotAt(t testing.TB, url string, dms bot.DMChannels, o bot.APIObserver) *Bot {
	t.Helper()
	return newTestBot(t, Config{APIURL: url, SendRate: 10_000, DMChannels: dms, APIObserver: o})
}

// TestDirectAfterRestartIsOneRequest: the DM channel opened before a restart
// is read back from the store, so each later nudge is exactly one request.
func TestDirectAfterRestartIsOneRequest(t *testing.T) {
	fd := newFakeDiscord(t)
	dms := newMemDMs()
	first := newStoringBot(t, fd, dms, nil)
	if err := first.Direct(context.Background(), guild111, "301", &bot.Reply{Title: "Nudge"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := dms.DMChannel(context.Background(), guild111, "301"); got != "7301" {
		t.Fatalf("stored channel %q, want 7301", got)
	}
	before := len(fd.callsTo(http.MethodPost, "/"))
	restarted := newStoringBot(t, fd, dms, nil)
	for range 3 {
		if err := restarted.Direct(context.Background(), guild111, "301", &bot.Reply{Title: "Nudge"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fd.callsTo(http.MethodPost, "/")) - before; n != 3 {
		t.Errorf("%d requests for 3 nudges after a restart, want 3", n)
	}
	if n := len(fd.callsTo(http.MethodPost, "/users/@me/channels")); n != 1 {
		t.Errorf("%d DM channels opened, want 1", n)
	}
}

// TestDirectStoredChannelUnknown: a stored channel Discord no longer knows
// (10003) is forgotten and a new one opened and stored; the member is not
// Gone and the nudge arrives.
func TestDirectStoredChannelUnknown(t *testing.T) {
	fd := newFakeDiscord(t)
	fd.setREST(func(c call) (int, string, bool) {
		return http.StatusNotFound, `{"message":"Unknown Channel","code":10003}`, c.Path == "/channels/555/messages"
	})
	dms := newMemDMs()
	dms.SetDMChannel(context.Background(), guild111, "302", "555")
	b := newStoringBot(t, fd, dms, nil)
	if err := b.Direct(context.Background(), guild111, "302", &bot.Reply{Title: "Nudge"}); err != nil {
		t.Fatalf("Direct = %v, want delivered through a new channel", err)
	}
	if got, _ := dms.DMChannel(context.Background(), guild111, "302"); got != "7302" {
		t.Errorf("stored channel %q, want the new 7302", got)
	}
	if n := len(fd.callsTo(http.MethodPost, "/channels/7302/messages")); n != 1 {
		t.Errorf("%d sends to the new channel, want 1", n)
	}
}

// TestCachedNudgesOneRequestEach: with every member's channel stored, a
// concurrent fan-out makes exactly one request per nudge.
func TestCachedNudgesOneRequestEach(t *testing.T) {
	fd := newFakeDiscord(t)
	dms := newMemDMs()
	const n = 200
	for i := range n {
		dms.SetDMChannel(context.Background(), guild111, fmt.Sprint(1000+i), fmt.Sprint(9000+i))
	}
	b := newStoringBot(t, fd, dms, nil)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := b.Direct(context.Background(), guild111, fmt.Sprint(1000+i), &bot.Reply{Title: "Nudge"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	fd.mu.Lock()
	total := len(fd.all)
	fd.mu.Unlock()
	if total != n {
		t.Errorf("%d requests for %d nudges with stored channels, want %d", total, n, n)
	}
}

// TestRoute429DelaysOnlyThatRoute: a 429 on one DM channel (not global)
// makes that channel's next request wait retry_after; another channel's
// request does not wait at all.
func TestRoute429DelaysOnlyThatRoute(t *testing.T) {
	p := newPacer(1000)
	now := time.Unix(1000, 0)
	var slept []time.Duration
	p.now = func() time.Time { return now }
	p.sleep = func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		now = now.Add(d)
		return nil
	}
	const route = "send direct message"
	p.update(route, majorParam("/channels/1/messages"), http.Header{}, 2*time.Second)
	if w, _ := p.waitRoute(context.Background(), route, majorParam("/channels/2/messages")); w != 0 || len(slept) != 0 {
		t.Fatalf("another channel waited %v (%v)", w, slept)
	}
	if w, _ := p.waitRoute(context.Background(), route, majorParam("/channels/1/messages")); w != 2*time.Second {
		t.Fatalf("the limited channel waited %v, want 2s", w)
	}
	// Once it has passed, the channel goes at once.
	if w, _ := p.waitRoute(context.Background(), route, majorParam("/channels/1/messages")); w != 0 {
		t.Fatalf("after the wait the channel waited %v more", w)
	}
	if p.held.After(now) {
		t.Error("a route's 429 held every send")
	}
}

// TestRouteBucketHeaders: X-RateLimit-Remaining and Reset-After are honoured
// before any 429, and a bucket hash shared by two routes is one bucket.
func TestRouteBucketHeaders(t *testing.T) {
	p := newPacer(1000)
	now := time.Unix(1000, 0)
	var slept []time.Duration
	p.now = func() time.Time { return now }
	p.sleep = func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		now = now.Add(d)
		return nil
	}
	h := http.Header{"X-Ratelimit-Bucket": {"abc"}, "X-Ratelimit-Remaining": {"1"}, "X-Ratelimit-Reset-After": {"3.5"}}
	major := majorParam("/channels/9/messages")
	p.update("post message", major, h, 0)
	p.hashes["send direct message"] = "abc" // Discord said both routes share bucket abc
	if w, _ := p.waitRoute(context.Background(), "send direct message", major); w != 0 {
		t.Fatalf("the last request of the window waited %v", w)
	}
	if w, _ := p.waitRoute(context.Background(), "post message", major); w != 3500*time.Millisecond {
		t.Fatalf("past the bucket's remaining the request waited %v, want 3.5s", w)
	}
	if got := majorParam("/webhooks/900/tok/messages/@original"); got != "webhooks/900/tok" {
		t.Errorf("webhook major parameter %q", got)
	}
	if got := majorParam("/users/@me/channels"); got != "" {
		t.Errorf("users route major parameter %q, want none", got)
	}
}

// TestSendObservesCallsAndWaits: each answer and each rate-limit wait reaches
// the APIObserver, by route and status.
func TestSendObservesCallsAndWaits(t *testing.T) {
	fd := newFakeDiscord(t)
	var mu sync.Mutex
	limited := false
	fd.setREST(func(c call) (int, string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if c.Path == "/channels/7401/messages" && !limited {
			limited = true
			return http.StatusTooManyRequests, `{"message":"You are being rate limited.","retry_after":0.02,"global":false}`, true
		}
		return 0, "", false
	})
	o := &bottest.APILog{}
	b := newStoringBot(t, fd, nil, o)
	if err := b.Direct(context.Background(), guild111, "401", &bot.Reply{Title: "Nudge"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"create DM channel 2xx", "send direct message 429", "send direct message 2xx"}
	if calls := o.Calls(); !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
	if waits := o.Waits(); len(waits) != 1 || waits[0] < 15*time.Millisecond {
		t.Errorf("waits %v, want one of about 20ms", waits)
	}
}

// TestSendRateAboveLimitOnlyOffDiscord: more than Discord's 50/s is refused
// against Discord itself, and allowed against a fake or proxy.
func TestSendRateAboveLimitOnlyOffDiscord(t *testing.T) {
	env := bottest.New(t)
	log := slog.New(slog.DiscardHandler)
	if _, err := New(Config{Token: "t", AppID: "900", SendRate: 5000}, env.Engine, nil, log); err == nil || !strings.Contains(err.Error(), "discord.send_rate") {
		t.Errorf("5000/s against Discord: %v, want refused", err)
	}
	b, err := New(Config{Token: "t", AppID: "900", SendRate: 5000, APIURL: "http://127.0.0.1:1/api/v10"}, env.Engine, nil, log)
	if err != nil {
		t.Fatalf("5000/s against a fake: %v", err)
	}
	b.cancel()
	if DefaultConfig().SendRate < 40 || DefaultConfig().SendRate >= MaxSendRate {
		t.Errorf("default send rate %v: want a little under %d", DefaultConfig().SendRate, MaxSendRate)
	}
}
