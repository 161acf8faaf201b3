package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/bot/card"
	"github.com/studybot/studybot/bot/metrics"
)

// Load benchmarks of Slack's signed-HTTP endpoints (issue 13 and 14), the
// counterpart of bot/discord's BenchmarkHTTPLoad*: the same mix, next 40%,
// progress 20%, topic 20% as slash commands (answered in the
// acknowledgement) and done 20% as a button click on /slack/interactivity
// (acknowledged at once, answered through its response_url; its time runs
// until that answer arrives). The engine is wired as cmd/studybot wires it,
// on a real bbolt file in a temp dir with bottest.LoadMembers members of one team;
// users.info and the response_url are a local fake. Requests are signed
// (Slack's v0 HMAC, which TestSignatureAgreesWithSlackGo pins to slack-go's
// SecretsVerifier) before the clock starts. Run them one at a time:
//
//	go test ./bot/slack -run '^$' -bench 'HTTPLoad' -benchtime 1x
const loadTeam = "TLOAD"

type loadEnv struct {
	bot    *Bot
	clock  *bottest.Clock
	topics []string
	api    *httptest.Server
	// answers delivers response_url posts: answers[n] gets request n's.
	mu      sync.Mutex
	answers map[int]chan []byte
}

func newLoadEnv(b *testing.B) *loadEnv {
	b.Helper()
	le := bottest.LoadSpace{
		Space: bot.Space{Platform: bot.PlatformSlack, ID: loadTeam}, Channel: "C1", Members: bottest.LoadMembers,
		Member: func(i int) (string, string) { id := loadMember(i); return id, id },
		Wire:   func(eng *bot.Engine) { eng.Card = card.Render; eng.Observe = metrics.New().Observe },
	}.Engine(b)
	clock, eng := le.Clock, le.Engine
	e := &loadEnv{clock: clock, topics: le.Topics, answers: map[int]chan []byte{}}
	e.api = httptest.NewServer(http.HandlerFunc(e.serveAPI))
	b.Cleanup(e.api.Close)
	bt, err := New(Config{Mode: ModeHTTP, BotToken: testBotToken, SigningSecret: testSecret, APIURL: e.api.URL + "/api/", FilesURL: e.api.URL}, eng, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bt.cancel)
	e.bot = bt
	// A bot that has been running has its members' users.info answers
	// cached (userTTL, and the fake clock does not move): without this, the
	// first round's ~1,000 users.info calls, round trips to the fake Slack
	// that the stand-in never makes, were timed as the adapter's cost.
	for i := range bottest.LoadMembers {
		bt.profile(context.Background(), loadTeam, loadMember(i))
	}
	return e
}

func loadMember(i int) string { return "U" + strconv.Itoa(500000+i) }

// serveAPI is the fake Slack: users.info knows every member, and
// /response/<n> hands request n's answer to whoever waits for it.
func (e *loadEnv) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.URL.Path == "/api/users.info":
		form, _ := url.ParseQuery(string(body))
		u := form.Get("user")
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"team_id":%q,"name":%q,"tz":"UTC","profile":{"display_name":%q}}}`, u, loadTeam, u, u)
	case strings.HasPrefix(r.URL.Path, "/response/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/response/"))
		e.mu.Lock()
		ch := e.answers[n]
		e.mu.Unlock()
		if ch != nil {
			ch <- body
		}
		fmt.Fprint(w, "ok")
	default:
		fmt.Fprint(w, `{"ok":true}`)
	}
}

// loadReq is one signed request, ready to send.
type loadReq struct {
	n          int
	path, body string
	sig, ts    string
	click      bool // answered through its response_url
}

// build is request n of the mix. tag makes the body, and so the signature,
// distinct for the same n: the adapter lets an identical signature through
// only once (a replay), so the stand-in's copy of a round must differ.
func (e *loadEnv) build(n int, tag string) loadReq {
	r := rand.New(rand.NewPCG(uint64(n), 14))
	cmd := bottest.LoadMix[r.IntN(len(bottest.LoadMix))]
	member := loadMember(r.IntN(bottest.LoadMembers))
	topic := e.topics[r.IntN(len(e.topics))]
	respURL := e.api.URL + "/response/" + strconv.Itoa(n)
	q := loadReq{n: n, path: "/slack/commands"}
	switch cmd {
	case "done":
		payload, _ := json.Marshal(map[string]any{
			"type": "block_actions", "team": map[string]any{"id": loadTeam}, "user": map[string]any{"id": member, "name": member, "team_id": loadTeam},
			"response_url": respURL, "trigger_id": "1." + strconv.Itoa(n),
			"actions":   []map[string]any{{"type": "button", "action_id": "done:" + topic, "value": "done:" + topic, "block_id": "b1", "action_ts": "1.2"}},
			"container": map[string]any{"type": "message", "message_ts": "1.1", "channel_id": "C1", "is_ephemeral": true},
			"channel":   map[string]any{"id": "C1", "name": "general"},
		})
		q.path, q.click = "/slack/interactivity", true
		q.body = url.Values{"payload": {string(payload)}}.Encode()
	case "topic":
		q.body = commandBody(slashStudy, "topic "+topic, member, respURL)
	default:
		q.body = commandBody(slashStudy, cmd, member, respURL)
	}
	// Same team for all: commandBody fills testTeam.
	q.body = strings.Replace(q.body, "team_id="+testTeam, "team_id="+loadTeam, 1)
	q.body += "&load_n=" + tag + strconv.Itoa(n) // a distinct body, so a distinct signature: no replays
	q.ts = strconv.FormatInt(e.clock.Now().Unix(), 10)
	q.sig = sign(testSecret, q.ts, []byte(q.body))
	return q
}

func (e *loadEnv) sign(n0, count int, tag string) []loadReq {
	out := make([]loadReq, count)
	for i := range out {
		out[i] = e.build(n0+i, tag)
	}
	return out
}

// floor is the stand-in bot: the adapter's own signature check (signed),
// then a canned answer without any work, over the same HTTP round trips as
// the real one. A slash command is answered in the acknowledgement; a click
// is acknowledged empty and answered by a post to its response_url, as the
// adapter answers it, so the stand-in pays for that second request too. It
// finds the response_url from the load_n field build appends rather than by
// decoding the payload, which is the adapter's work.
func (e *loadEnv) floor() http.Handler {
	answer := []byte(`{"response_type":"ephemeral","text":"Done.","blocks":[]}`)
	return e.bot.signed(formType, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.URL.Path == "/slack/interactivity" {
			n := string(body[bytes.LastIndexByte(body, '=')+2:]) // "&load_n=f123"
			w.WriteHeader(http.StatusOK)
			e.bot.async(func(ctx context.Context) {
				if err := e.bot.respond(ctx, e.api.URL+"/response/"+n, payload{ResponseType: ephemeral, Text: "Done."}); err != nil {
					panic(err)
				}
			})
			return true
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(answer)
		return true
	})
}

// send posts q and waits for its answer: the acknowledgement's body for a
// slash command, the response_url post for a click (the stand-in's too). It
// reports whether the answer came.
func (e *loadEnv) send(c *http.Client, base string, q loadReq, floor bool) bool {
	var ch chan []byte
	if q.click {
		ch = make(chan []byte, 1)
		e.mu.Lock()
		e.answers[q.n] = ch
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			delete(e.answers, q.n)
			e.mu.Unlock()
		}()
	}
	req, _ := http.NewRequest(http.MethodPost, base+q.path, strings.NewReader(q.body))
	req.Header["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	req.Header["X-Slack-Request-Timestamp"] = []string{q.ts}
	req.Header["X-Slack-Signature"] = []string{q.sig}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	if ch == nil {
		return floor || bytes.Contains(body, []byte(`"blocks"`)) || bytes.Contains(body, []byte(`"text"`))
	}
	select {
	case <-ch:
		return true
	case <-time.After(10 * time.Second):
		return false
	}
}

// BenchmarkHTTPLoadClosed is closed-loop throughput of the mix:
// bottest.LoadConc clients through the real handler, and through a stand-in
// behind the same signature check, interleaved in the same run. It reports
// commands/s of each and their ratio (target: at least 0.6).
func BenchmarkHTTPLoadClosed(b *testing.B) {
	e := newLoadEnv(b)
	real := httptest.NewServer(e.bot.Handler())
	defer real.Close()
	stand := httptest.NewServer(e.floor())
	defer stand.Close()
	bottest.LoadClosed(b, func(n0, count int) (bottest.LoadSend, bottest.LoadSend) {
		reqs, floorReqs := e.sign(n0, count, "r"), e.sign(n0, count, "f")
		return func(c *http.Client, i int) bool { return e.send(c, real.URL, reqs[i], false) },
			func(c *http.Client, i int) bool { return e.send(c, stand.URL, floorReqs[i], true) }
	})
}

// BenchmarkHTTPLoadOpen offers bottest.LoadRate commands/s of the mix for
// bottest.LoadSeconds (open loop: each request at its due time) and reports
// p50 and p99 from due time to answer, and errors (target: p99 at most
// 50 ms, no errors). The first half second warms up and is not counted.
func BenchmarkHTTPLoadOpen(b *testing.B) {
	e := newLoadEnv(b)
	srv := httptest.NewServer(e.bot.Handler())
	defer srv.Close()
	bottest.LoadOpen(b, func(n0, count int) bottest.LoadSend {
		reqs := e.sign(n0, count, "o")
		return func(c *http.Client, i int) bool { return e.send(c, srv.URL, reqs[i], false) }
	})
}
