package slack

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

var slackSpace = bot.Space{Platform: bot.PlatformSlack, ID: testTeam}

// TestDirectPostsToTheUserID: a DM is chat.postMessage with the user id as
// the channel, with no conversations.open (Tier 3) at all.
func TestDirectPostsToTheUserID(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	ctx := context.Background()
	for range 2 {
		if err := tb.Direct(ctx, slackSpace, "U1", &bot.Reply{Title: "Time to study: DNS"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(tb.fake.callsTo("conversations.open")); n != 0 {
		t.Errorf("conversations.open called %d times, want 0", n)
	}
	posts := tb.fake.callsTo("chat.postMessage")
	if len(posts) != 2 || posts[0].Form.Get("channel") != "U1" || posts[1].Form.Get("channel") != "U1" {
		t.Fatalf("posts %+v", posts)
	}
	if !strings.Contains(posts[0].Form.Get("blocks"), "Time to study: DNS") || posts[0].Form.Get("text") != "Time to study: DNS" {
		t.Errorf("post form %v", posts[0].Form)
	}
	// The second message to the same member waited for its slot (the clock
	// did not move, so the whole second).
	if got := tb.naps.all(); !slices.Equal(got, []time.Duration{0, time.Second}) {
		t.Errorf("waits %v, want [0 1s]", got)
	}
	// The DM's id Slack answered with serves a later upload, still without
	// conversations.open.
	if ch, err := tb.dm(ctx, slackSpace, "U1"); err != nil || ch != "DU1" {
		t.Errorf("dm = %q, %v; want DU1 from the post's answer", ch, err)
	}
	if n := len(tb.fake.callsTo("conversations.open")); n != 0 {
		t.Errorf("conversations.open called %d times after the post, want 0", n)
	}
}

// TestDirectErrors: what a post to a user id can answer, as the Messenger
// contract's codes. A member Slack cannot reach stops being nudged
// (Unreachable), but is never Gone: no Slack answer means the member no
// longer exists. A disabled Messages tab is the operator's to fix, so no
// member is marked for it (Internal).
func TestDirectErrors(t *testing.T) {
	for _, tt := range []struct {
		user string
		code bot.Code
	}{
		{"UGONE", bot.Unreachable}, // channel_not_found for a user id
		{"UBOT", bot.Unreachable},  // cannot_dm_bot
		{"UOFF", bot.Unreachable},  // user_disabled: deactivated, may come back
		{"UTAB", bot.Internal},     // messages_tab_disabled
	} {
		t.Run(tt.user, func(t *testing.T) {
			tb := newTestBot(t, ModeHTTP)
			o := &bottest.APILog{}
			tb.cfg.APIObserver = o
			err := tb.Direct(context.Background(), slackSpace, tt.user, &bot.Reply{Title: "Nudge"})
			if bot.ErrorCode(err) != tt.code {
				t.Fatalf("Direct to %s = %v (code %q), want %q", tt.user, err, bot.ErrorCode(err), tt.code)
			}
			if calls := o.Calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "chat.postMessage ") || strings.HasSuffix(calls[0], " ok") {
				t.Errorf("observed %q, want one failed chat.postMessage", calls)
			}
		})
	}
}

func TestPostPacesPerChannel(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	ctx := context.Background()
	for _, ch := range []string{"C1", "C1", "C2", "C1"} {
		if err := tb.Post(ctx, slackSpace, ch, &bot.Reply{Title: "Challenge", Public: true}); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{0, time.Second, 0, 2 * time.Second}
	if got := tb.naps.all(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	// Once time has passed, the channel is free again.
	tb.clock.Set(bottest.Start.Add(10 * time.Second))
	if err := tb.Post(ctx, slackSpace, "C1", &bot.Reply{Title: "Later"}); err != nil {
		t.Fatal(err)
	}
	if got := tb.naps.all(); got[len(got)-1] != 0 {
		t.Errorf("waited %v after a quiet period", got[len(got)-1])
	}
}

// TestPostPacesAtSendRate: across channels, messages go at Config.SendRate
// after a burst of one second's worth.
func TestPostPacesAtSendRate(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.pacer = newPacer(2)
	ctx := context.Background()
	for _, ch := range []string{"C1", "C2", "C3", "C4"} {
		if err := tb.Post(ctx, slackSpace, ch, &bot.Reply{Title: "Challenge", Public: true}); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{0, 0, 500 * time.Millisecond, time.Second}
	if got := tb.naps.all(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestPostHonoursRetryAfter(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.fake.post = func(n int, w http.ResponseWriter) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	if err := tb.Post(context.Background(), slackSpace, "C1", &bot.Reply{Title: "Challenge"}); err != nil {
		t.Fatal(err)
	}
	if n := len(tb.fake.callsTo("chat.postMessage")); n != 2 {
		t.Errorf("chat.postMessage called %d times, want 2", n)
	}
	if got := tb.naps.all(); !slices.Contains(got, 7*time.Second) {
		t.Errorf("waits %v, want the 7s Retry-After among them", got)
	}
}

func TestPostGivesUpAfterRepeated429(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.fake.post = func(n int, w http.ResponseWriter) bool {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	o := &bottest.APILog{}
	tb.cfg.APIObserver = o
	err := tb.Post(context.Background(), slackSpace, "C1", &bot.Reply{Title: "Challenge"})
	if bot.ErrorCode(err) != bot.Internal || !bot.RateLimited(err) {
		t.Errorf("err %v, want internal and rate limited", err)
	}
	if calls, waits := o.Calls(), o.Waits(); len(calls) != maxRateLimitWaits+1 || calls[0] != "chat.postMessage rate_limited" || len(waits) != maxRateLimitWaits || waits[0] != time.Second {
		t.Errorf("observed calls %q and waits %v", calls, waits)
	}
	if n := len(tb.fake.callsTo("chat.postMessage")); n != maxRateLimitWaits+1 {
		t.Errorf("chat.postMessage called %d times, want %d (%v)", n, maxRateLimitWaits+1, err)
	}
}

func TestPostNoRetryAfterConnectionError(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.fake.post = func(n int, w http.ResponseWriter) bool {
		// The request reached Slack, then the connection broke: the message may
		// have been posted, so a retry could show it twice.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	}
	err := tb.Post(context.Background(), slackSpace, "C1", &bot.Reply{Title: "Challenge"})
	if bot.ErrorCode(err) != bot.Internal {
		t.Errorf("err %v, want internal", err)
	}
	if n := len(tb.fake.callsTo("chat.postMessage")); n != 1 {
		t.Errorf("chat.postMessage called %d times; it must not be retried", n)
	}
}

func TestMessengerErrorCodes(t *testing.T) {
	tests := []struct {
		name string
		send func(tb *testBot) error
		code bot.Code
	}{
		{"ErrChannelNotFound", func(tb *testBot) error { return tb.Post(context.Background(), slackSpace, "CGONE", &bot.Reply{}) }, bot.NotFound},
		{"ErrNotInChannel", func(tb *testBot) error { return tb.Post(context.Background(), slackSpace, "COUT", &bot.Reply{}) }, bot.NotFound},
		{"ErrNoChannel", func(tb *testBot) error { return tb.Post(context.Background(), slackSpace, "", &bot.Reply{}) }, bot.NotFound},
		{"ErrCannotDMBot", func(tb *testBot) error { return tb.Direct(context.Background(), slackSpace, "UBOT", &bot.Reply{}) }, bot.Unreachable},
		{"ErrUserNotFound", func(tb *testBot) error { return tb.Direct(context.Background(), slackSpace, "UGONE", &bot.Reply{}) }, bot.Unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBot(t, ModeHTTP)
			err := tt.send(tb)
			if bot.ErrorCode(err) != tt.code {
				t.Errorf("err %v: code %q, want %q", err, bot.ErrorCode(err), tt.code)
			}
			if msg := bot.ErrorMessage(err); msg == "" || strings.Contains(msg, "_") {
				t.Errorf("member message %q should be a sentence", msg)
			}
		})
	}
}

func TestImageUploadV2(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	png := []byte("\x89PNG\r\n\x1a\nfake")
	err := tb.Direct(context.Background(), slackSpace, "U1", &bot.Reply{Title: "Your card", File: &bot.File{Name: "progress.png", Type: "image/png", Data: png}})
	if err != nil {
		t.Fatal(err)
	}
	get := tb.fake.callsTo("files.getUploadURLExternal")
	if len(get) != 1 || get[0].Form.Get("filename") != "progress.png" || get[0].Form.Get("length") != "12" {
		t.Fatalf("files.getUploadURLExternal %+v", get)
	}
	up := tb.fake.callsTo("upload")
	if len(up) != 1 || !strings.Contains(string(up[0].Body), string(png)) {
		t.Errorf("upload %+v", up)
	}
	done := tb.fake.callsTo("files.completeUploadExternal")
	if len(done) != 1 || done[0].Form.Get("channel_id") != "DU1" || !strings.Contains(done[0].Form.Get("files"), `"F1"`) {
		t.Errorf("files.completeUploadExternal %+v", done)
	}
}

func TestCommandImageGoesToDM(t *testing.T) {
	// An ephemeral answer cannot carry a file: the card goes to the member's DM.
	tb := newTestBot(t, ModeHTTP)
	tb.rec.canned["progress"] = &bot.Reply{Title: "Your progress", File: &bot.File{Name: "progress.png", Type: "image/png", Data: []byte("png")}}
	decodeAck(t, tb.post(t, "/slack/commands", commandBody("/study", "progress", "U1", tb.fake.responseURL(1)), nil))
	done := tb.fake.wait("files.completeUploadExternal", 1)
	if done[0].Form.Get("channel_id") != "DU1" {
		t.Errorf("image shared in %q, want the DM", done[0].Form.Get("channel_id"))
	}
}

func TestNewValidatesConfig(t *testing.T) {
	eng := newRecorder(t)
	tests := []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"SocketDefault", Config{BotToken: "xoxb-1", AppToken: "xapp-1"}, ""},
		{"HTTP", Config{Mode: "HTTP", BotToken: "xoxb-1", SigningSecret: "abc123"}, ""},
		{"ErrUnknownMode", Config{Mode: "rtm", BotToken: "xoxb-1"}, `mode "rtm" is not socket or http`},
		{"ErrMissingBotToken", Config{AppToken: "xapp-1"}, "slack.bot_token is not set"},
		{"ErrUserTokenAsBotToken", Config{BotToken: "xoxp-1", AppToken: "xapp-1"}, "starts with xoxb-"},
		{"ErrMissingAppToken", Config{BotToken: "xoxb-1"}, "slack.app_token is not set"},
		{"ErrBotTokenAsAppToken", Config{BotToken: "xoxb-1", AppToken: "xoxb-2"}, "starts with xapp-"},
		{"ErrMissingSigningSecret", Config{Mode: "http", BotToken: "xoxb-1"}, "slack.signing_secret is not set"},
		{"ErrMalformedSigningSecret", Config{Mode: "http", BotToken: "xoxb-1", SigningSecret: "has space"}, "does not look like one"},
		{"ErrModeratorName", Config{BotToken: "xoxb-1", AppToken: "xapp-1", Moderators: []string{"@ann"}}, `slack.moderators: "@ann" is not a user id`},
		{"ErrAPIURL", Config{BotToken: "xoxb-1", AppToken: "xapp-1", APIURL: "ftp://x"}, "is not an http(s) URL"},
		{"LoopbackFilesURL", Config{BotToken: "xoxb-1", AppToken: "xapp-1", FilesURL: "http://127.0.0.1:9000"}, ""},
		{"ErrPlainHTTPFilesURL", Config{BotToken: "xoxb-1", AppToken: "xapp-1", FilesURL: "http://files.slack.com"}, "slack.files_url"},
		{"ErrFilesURLNotURL", Config{BotToken: "xoxb-1", AppToken: "xapp-1", FilesURL: "files.slack.com"}, "slack.files_url"},
		{"ErrNegativeSendRate", Config{BotToken: "xoxb-1", AppToken: "xapp-1", SendRate: -1}, "slack.send_rate -1 must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.cfg, eng, nil, nil)
			// Validate is what check-config runs: it must say what New says.
			if verr := tt.cfg.Validate(); fmt.Sprint(verr) != fmt.Sprint(err) {
				t.Errorf("Validate = %v, New = %v", verr, err)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasSuffix(b.cfg.APIURL, "/") || (b.cfg.Mode != ModeSocket && b.cfg.Mode != ModeHTTP) || b.cfg.SendRate != DefaultSendRate || b.cfg.FilesURL == "" {
					t.Errorf("defaults not filled: %+v", b.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := New(Config{BotToken: "xoxb-1", AppToken: "xapp-1"}, nil, nil, nil); err == nil {
		t.Error("New without an engine succeeded")
	}
}

func TestConfigNeverShowsSecrets(t *testing.T) {
	cfg := Config{BotToken: testBotToken, AppToken: testAppToken, SigningSecret: testSecret}
	for _, s := range []string{cfg.String(), cfg.LogValue().String()} {
		for _, secret := range []string{testBotToken, testAppToken, testSecret} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows a secret", s)
			}
		}
	}
}

func TestManifest(t *testing.T) {
	for _, want := range []string{
		"command: /study\n", "command: /studymod\n", "usage_hint:", "should_escape: true",
		"socket_mode_enabled: true", "app_home_opened", "home_tab_enabled: true", "is_enabled: true",
		"messages_tab_enabled: true", // Direct posts to the user id
		"/slack/commands", "/slack/events", "/slack/interactivity",
	} {
		if !strings.Contains(Manifest, want) {
			t.Errorf("manifest lacks %q", want)
		}
	}
	// The bot scopes are exactly the ones the adapter uses.
	_, rest, _ := strings.Cut(Manifest, "    bot:\n")
	var scopes []string
	for _, line := range strings.Split(rest, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "- ") {
			break
		}
		scope, _, _ := strings.Cut(strings.TrimPrefix(line, "- "), " ")
		scopes = append(scopes, scope)
	}
	want := []string{"commands", "chat:write", "im:write", "users:read", "files:write", "files:read"}
	if !slices.Equal(scopes, want) {
		t.Errorf("scopes %v, want %v", scopes, want)
	}
	if strings.Contains(Manifest, "\t") {
		t.Error("YAML must not contain tabs")
	}
}
