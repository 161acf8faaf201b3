package discord

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/studybot/studybot/bot"
)

var guild111 = bot.Space{Platform: bot.PlatformDiscord, ID: "111"}

// newMessengerBot is a bot sending to fd, unpaced so as not to slow tests
// (TestPacer covers the pace).
func newMessengerBot(t *testing.T, fd *fakeDiscord) *Bot {
	t.Helper()
	b := newTestBot(t, Config{APIURL: fd.apiURL()})
	b.pace = newPacer(float64(rate.Inf))
	return b
}

// TestDirectRateLimited: a 429 is waited out (retry_after from the body, or the
// Retry-After header) and the message is sent again.
func TestDirectRateLimited(t *testing.T) {
	for _, tt := range []struct {
		name   string
		body   string
		header bool
	}{
		{"RetryAfterBody", `{"message":"You are being rate limited.","retry_after":0.01,"global":false}`, false},
		{"RetryAfterHeader", `{"message":"You are being rate limited."}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fd := newFakeDiscord(t)
			var mu sync.Mutex
			limited := 0
			fd.setREST(func(c call) (int, string, bool) {
				mu.Lock()
				defer mu.Unlock()
				if c.Path == "/channels/7201/messages" && limited < 2 {
					limited++
					return http.StatusTooManyRequests, tt.body, true
				}
				return 0, "", false
			})
			if tt.header {
				fd.header = http.Header{"Retry-After": {"0.01"}}
			}
			b := newMessengerBot(t, fd)
			err := b.Direct(context.Background(), guild111, "201", &bot.Reply{Title: "Time to study", Buttons: []bot.Button{{Label: "Next", Action: "next"}}})
			if err != nil {
				t.Fatalf("Direct = %v", err)
			}
			sends := fd.callsTo(http.MethodPost, "/channels/7201/messages")
			if len(sends) != 3 {
				t.Fatalf("%d sends, want 3 (two 429s, then success)", len(sends))
			}
			body := sends[2].json(t)
			if body["flags"] != nil {
				t.Errorf("DM has flags: %s", sends[2].Body)
			}
			if !strings.Contains(string(sends[2].Body), `"custom_id":"111|next"`) {
				t.Errorf("DM buttons do not carry the guild: %s", sends[2].Body)
			}
			if sends[2].Auth != "Bot "+testToken {
				t.Errorf("Authorization = %q", sends[2].Auth)
			}
		})
	}
}

// TestDirectClosedDMs: 50007 is Unreachable at once, with no retry.
func TestDirectClosedDMs(t *testing.T) {
	fd := newFakeDiscord(t)
	fd.setREST(func(c call) (int, string, bool) {
		return http.StatusForbidden, `{"message":"Cannot send messages to this user","code":50007}`, c.Path == "/channels/7202/messages"
	})
	b := newMessengerBot(t, fd)
	err := b.Direct(context.Background(), guild111, "202", &bot.Reply{Title: "Nudge"})
	if bot.ErrorCode(err) != bot.Unreachable {
		t.Fatalf("Direct = %v, want Unreachable", err)
	}
	if n := len(fd.callsTo(http.MethodPost, "/channels/7202/messages")); n != 1 {
		t.Errorf("%d sends, want 1 (no retry)", n)
	}
}

// TestDirectUnknownUser: Discord's unknown user (10013) is Gone, the one
// code the engine takes as the member having left.
func TestDirectUnknownUser(t *testing.T) {
	fd := newFakeDiscord(t)
	fd.setREST(func(c call) (int, string, bool) {
		return http.StatusNotFound, `{"message":"Unknown User","code":10013}`, c.Path == "/users/@me/channels"
	})
	b := newMessengerBot(t, fd)
	err := b.Direct(context.Background(), guild111, "209", &bot.Reply{Title: "Nudge"})
	if bot.ErrorCode(err) != bot.Gone || bot.ErrorMessage(err) != "That member is no longer here." {
		t.Fatalf("Direct = %v (%q), want Gone", err, bot.ErrorMessage(err))
	}
}

// TestDirectChannelCached: the DM channel is created once per member.
func TestDirectChannelCached(t *testing.T) {
	fd := newFakeDiscord(t)
	b := newMessengerBot(t, fd)
	for range 3 {
		if err := b.Direct(context.Background(), guild111, "203", &bot.Reply{Title: "Nudge"}); err != nil {
			t.Fatal(err)
		}
	}
	creates := fd.callsTo(http.MethodPost, "/users/@me/channels")
	if len(creates) != 1 || !strings.Contains(string(creates[0].Body), `"recipient_id":"203"`) {
		t.Errorf("DM channel creations: %+v", creates)
	}
	if n := len(fd.callsTo(http.MethodPost, "/channels/7203/messages")); n != 3 {
		t.Errorf("%d messages, want 3", n)
	}
}

// TestDirectTooManyRateLimits: retries are bounded.
func TestDirectTooManyRateLimits(t *testing.T) {
	fd := newFakeDiscord(t)
	fd.setREST(func(c call) (int, string, bool) {
		return http.StatusTooManyRequests, `{"retry_after":0.001,"global":true}`, strings.HasPrefix(c.Path, "/channels/")
	})
	b := newMessengerBot(t, fd)
	err := b.Direct(context.Background(), guild111, "204", &bot.Reply{Title: "Nudge"})
	if bot.ErrorCode(err) != bot.Internal {
		t.Fatalf("Direct = %v, want Internal", err)
	}
	if n := len(fd.callsTo(http.MethodPost, "/channels/")); n != maxAttempts {
		t.Errorf("%d attempts, want %d", n, maxAttempts)
	}
}

func TestPost(t *testing.T) {
	fd := newFakeDiscord(t)
	fd.setREST(func(c call) (int, string, bool) {
		return http.StatusNotFound, `{"message":"Unknown Channel","code":10003}`, c.Path == "/channels/404/messages"
	})
	b := newMessengerBot(t, fd)
	r := &bot.Reply{Title: "Weekly challenge", Public: true, File: &bot.File{Name: "card.png", Data: pngBytes}}
	if err := b.Post(context.Background(), guild111, "302", r); err != nil {
		t.Fatal(err)
	}
	c := fd.callsTo(http.MethodPost, "/channels/302/messages")[0]
	if string(c.Files["card.png"]) != string(pngBytes) {
		t.Errorf("files = %v", c.Files)
	}
	if err := b.Post(context.Background(), guild111, "404", r); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("Post to an unknown channel = %v, want NotFound", err)
	}
	if err := b.Post(context.Background(), guild111, "not-a-channel", r); bot.ErrorCode(err) != bot.NotFound {
		t.Errorf("Post to a bad id = %v, want NotFound", err)
	}
}

// TestPacer: sends are spaced at the rate after a burst, and a global 429 holds
// every send.
func TestPacer(t *testing.T) {
	p := newPacer(40) // 25 ms apart
	now := time.Unix(1000, 0)
	var slept []time.Duration
	p.now = func() time.Time { return now }
	p.sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	for range 8 {
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{25 * time.Millisecond, 50 * time.Millisecond, 75 * time.Millisecond}
	if len(slept) != len(want) {
		t.Fatalf("slept %v, want %v (a burst of %d, then one per 25 ms)", slept, want, pacerBurst)
	}
	for i := range want {
		if slept[i] != want[i] {
			t.Errorf("slept %v, want %v", slept, want)
		}
	}
	// A second later the bucket is full again; a global hold delays the next.
	now = now.Add(time.Second)
	slept = nil
	p.hold(300 * time.Millisecond)
	p.wait(context.Background())
	if len(slept) != 1 || slept[0] != 300*time.Millisecond {
		t.Errorf("after hold slept %v, want [300ms]", slept)
	}
	// A wait cancelled while sleeping gives its token back: the next sender
	// waits one interval, not two.
	now = now.Add(time.Hour)
	for range pacerBurst {
		p.wait(context.Background())
	}
	slept = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return ctx.Err() }
	if err := p.wait(ctx); err == nil {
		t.Error("a cancelled wait succeeded")
	}
	p.wait(context.Background())
	if want := []time.Duration{25 * time.Millisecond, 25 * time.Millisecond}; !slices.Equal(slept, want) {
		t.Errorf("slept %v, want %v", slept, want)
	}
}

func TestSeenCache(t *testing.T) {
	c := newSeenCache(time.Minute, 3)
	now := time.Unix(1000, 0)
	if _, first := c.claim("a", now); !first {
		t.Fatal("a is new")
	}
	e, first := c.claim("a", now.Add(30*time.Second))
	if first {
		t.Fatal("a is a replay within the TTL")
	}
	c.finish(e, 200, "application/json", []byte("x"))
	<-e.done
	if _, first := c.claim("a", now.Add(2*time.Minute)); !first {
		t.Error("a is new again after the TTL")
	}
	for _, id := range []string{"b", "c", "d", "e"} {
		c.claim(id, now.Add(2*time.Minute))
	}
	if n := c.len(); n != 3 {
		t.Errorf("%d ids kept, want at most 3", n)
	}
}

// TestMessengerDropsModeratorButtons: a channel post and a DM never carry a
// moderator's button, even if a reply holding one reached them.
func TestMessengerDropsModeratorButtons(t *testing.T) {
	fd := newFakeDiscord(t)
	b := newMessengerBot(t, fd)
	if err := b.Post(context.Background(), guild111, "302", modReply(false)); err != nil {
		t.Fatal(err)
	}
	if err := b.Direct(context.Background(), guild111, "205", modReply(false)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/channels/302/messages", "/channels/7205/messages"} {
		calls := fd.callsTo(http.MethodPost, path)
		if len(calls) != 1 {
			t.Fatalf("%d sends to %s", len(calls), path)
		}
		if got, want := buttonIDs(calls[0].json(t)), []string{"111|challenge board:3"}; !slices.Equal(got, want) {
			t.Errorf("%s: buttons %q, want %q", path, got, want)
		}
	}
}
