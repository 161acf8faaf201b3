package slack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// gatedEngine answers every command with its reply once gate lets it (a
// nil gate at once).
type gatedEngine struct {
	cannedEngine
	gate chan struct{}
}

func (g gatedEngine) Handle(ctx context.Context, r *bot.Request) (*bot.Reply, error) {
	if g.gate != nil {
		<-g.gate
	}
	return g.cannedEngine.Handle(ctx, r)
}

// responseLog records the response_url posts: the path each went to.
type responseLog struct {
	mu    sync.Mutex
	paths []string
	got   chan struct{}
}

// handoffBot is a bot in HTTP mode whose engine is eng, and a server that
// takes its response_url posts.
func handoffBot(t *testing.T, eng bot.Handler) (*Bot, *httptest.Server, *responseLog) {
	t.Helper()
	log := &responseLog{got: make(chan struct{}, 1024)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","team_id":"T1","name":"ann","tz":"UTC","profile":{"display_name":"ann"}}}`)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		log.mu.Lock()
		log.paths = append(log.paths, r.URL.Path)
		log.mu.Unlock()
		log.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	b, err := New(Config{Mode: ModeHTTP, BotToken: testBotToken, SigningSecret: testSecret, APIURL: srv.URL + "/api/"}, eng, bottest.NewClock(bottest.Start), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.cancel)
	return b, srv, log
}

func handoffCommand(srv *httptest.Server, i int) slack.SlashCommand {
	return slack.SlashCommand{TeamID: testTeam, UserID: "U1", ChannelID: "C1", Command: slashStudy, Text: "next", ResponseURL: fmt.Sprintf("%s/response/%d", srv.URL, i)}
}

// TestSlashCommandAnswersOnce: whatever the race between the engine and
// the acknowledgement's deadline, every command's answer goes out exactly
// once, in the acknowledgement or through its response_url.
func TestSlashCommandAnswersOnce(t *testing.T) {
	b, srv, log := handoffBot(t, gatedEngine{cannedEngine: cannedEngine{nextReply()}})
	const n = 200
	inline := map[int]bool{}
	for i := range n {
		b.ackBudget = []time.Duration{0, 1, time.Microsecond, 20 * time.Microsecond, 200 * time.Microsecond, time.Second}[i%6]
		if p := b.slashCommand(context.Background(), handoffCommand(srv, i), 0); p != nil {
			if !strings.Contains(string(p.json()), "Next: DNS") {
				t.Fatalf("command %d: acknowledged with %s", i, p.json())
			}
			inline[i] = true
		}
	}
	b.drain(10 * time.Second) // every posting done
	posted := map[int]int{}
	for _, p := range log.paths {
		var i int
		if _, err := fmt.Sscanf(p, "/response/%d", &i); err != nil {
			t.Fatalf("posted to %s", p)
		}
		posted[i]++
	}
	for i := range n {
		if got := posted[i] + map[bool]int{true: 1}[inline[i]]; got != 1 {
			t.Errorf("command %d answered %d times (inline %v, posted %d)", i, got, inline[i], posted[i])
		}
	}
	if len(inline) == 0 || len(inline) == n {
		t.Logf("%d of %d answers inline: the race was not run both ways", len(inline), n)
	}
}

// TestSlashCommandSlowEngine: an engine slower than ackBudget, or a request
// whose context ends first, gets an empty acknowledgement, and its answer
// goes through the response_url when it comes; one that fits the budget
// rides in the acknowledgement, however long it took.
func TestSlashCommandSlowEngine(t *testing.T) {
	gate := make(chan struct{})
	b, srv, log := handoffBot(t, gatedEngine{cannedEngine: cannedEngine{nextReply()}, gate: gate})
	b.ackBudget = 20 * time.Millisecond
	if p := b.slashCommand(context.Background(), handoffCommand(srv, 1), 0); p != nil {
		t.Fatalf("acknowledged with %s before the engine answered", p.json())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.ackBudget = time.Hour
	if p := b.slashCommand(ctx, handoffCommand(srv, 2), 0); p != nil {
		t.Fatalf("acknowledged with %s after the request ended", p.json())
	}
	gate <- struct{}{}
	gate <- struct{}{}
	<-log.got
	<-log.got
	log.mu.Lock()
	if got := strings.Join(log.paths, " "); got != "/response/1 /response/2" && got != "/response/2 /response/1" {
		t.Errorf("posted to %s", got)
	}
	log.mu.Unlock()
	done := make(chan *payload)
	go func() { done <- b.slashCommand(context.Background(), handoffCommand(srv, 3), 0) }()
	time.Sleep(10 * time.Millisecond)
	gate <- struct{}{}
	if p := <-done; p == nil || !strings.Contains(string(p.json()), "Next: DNS") {
		t.Errorf("an answer within the budget: acknowledgement %v", p)
	}
	// Too large for the acknowledgement (maxInline): empty, then posted.
	b.ackBudget = time.Hour
	go func() { gate <- struct{}{} }()
	if p := b.slashCommand(context.Background(), handoffCommand(srv, 4), 100); p != nil {
		t.Errorf("an answer over maxInline acknowledged inline")
	}
	<-log.got
	b.drain(10 * time.Second)
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.paths) != 3 || log.paths[2] != "/response/4" {
		t.Errorf("posted to %v, want the third post to /response/4", log.paths)
	}
}
