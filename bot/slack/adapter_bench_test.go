package slack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// cannedEngine answers every command at once with the same reply.
type cannedEngine struct{ reply *bot.Reply }

func (c cannedEngine) Handle(context.Context, *bot.Request) (*bot.Reply, error) { return c.reply, nil }
func (c cannedEngine) Complete(context.Context, *bot.Request, string, string) []bot.Suggestion {
	return nil
}
func (c cannedEngine) Permit(context.Context, *bot.Request) error { return nil }

// BenchmarkAdapterOnly is the Slack adapter's own cost per signed slash
// command, in-process (no network) and with an engine that answers at once
// with a full reply (nextReply: header, text, fields, bars, links, buttons):
// signature check, form parsing, rendering and encoding the
// acknowledgement. Its "signed" half is the stand-in of the load benchmark
// (the same signature check, a canned answer), the floor of any handler;
// run both in one go to compare. Allocations are the steadiest figure on a
// shared machine.
func BenchmarkAdapterOnly(b *testing.B) {
	bt, _, req := adapterBench(b, "/slack/commands", nil, func(i int, _ string) string {
		return commandBody(slashStudy, "next", "U1", "https://hooks.example/r") + "&n=" + strconv.Itoa(i)
	})
	answer := []byte(`{"response_type":"ephemeral","text":"Done.","blocks":[]}`)
	runAdapterBench(b, bt, req, nil, bt.Handler(), bt.signed(formType, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(answer)
		return true
	}))
}

// BenchmarkAdapterClick is BenchmarkAdapterOnly for a button click: a signed
// block_actions POST to /slack/interactivity, acknowledged at once, with the
// canned engine's answer posted to the click's response_url on a local
// server; an iteration ends when that answer has arrived. Its "signed" half
// is the load benchmark's stand-in for a click: the same signature check and
// a canned answer posted the same way.
func BenchmarkAdapterClick(b *testing.B) {
	got := make(chan struct{}, 1)
	bt, apiURL, req := adapterBench(b, "/slack/interactivity", func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/response/") {
			return false
		}
		io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, "ok")
		got <- struct{}{}
		return true
	}, func(i int, apiURL string) string {
		return url.Values{"payload": {blockActions("done:internet/dns", apiURL+"/response/"+strconv.Itoa(i), false)}}.Encode() + "&n=" + strconv.Itoa(i)
	})
	runAdapterBench(b, bt, req, got, bt.Handler(), bt.signed(formType, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		n := string(body[bytes.LastIndexByte(body, '=')+1:]) // "&n=123"
		w.WriteHeader(http.StatusOK)
		return bt.async(func(ctx context.Context) {
			if err := bt.respond(ctx, apiURL+"/response/"+n, payload{ResponseType: ephemeral, Text: "Done."}); err != nil {
				panic(err)
			}
		})
	}))
}

// adapterBenchRequests is how many distinct signed requests a benchmark
// cycles through (the replay cache is reset at each round).
const adapterBenchRequests = 4096

// adapterBench is the adapter benchmarks' bot, with a canned engine and a
// local Slack whose users.info knows U1 (cached already, as in a running
// bot; serve, when not nil, answers the other paths it takes), and their
// signed requests to path: the i-th with body(i, the local Slack's URL).
func adapterBench(b *testing.B, path string, serve func(http.ResponseWriter, *http.Request) bool, body func(i int, apiURL string) string) (*Bot, string, func(i int) *http.Request) {
	b.Helper()
	clock := bottest.NewClock(bottest.Start)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if serve != nil && serve(w, r) {
			return
		}
		fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","team_id":"T1","name":"ann","tz":"UTC","profile":{"display_name":"ann"}}}`)
	}))
	b.Cleanup(api.Close)
	bt, err := New(Config{Mode: ModeHTTP, BotToken: testBotToken, SigningSecret: testSecret, APIURL: api.URL + "/api/"}, cannedEngine{nextReply()}, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bt.cancel)
	bt.profile(context.Background(), testTeam, "U1")
	stamp := strconv.FormatInt(clock.Now().Unix(), 10)
	bodies := make([]string, adapterBenchRequests)
	sigs := make([]string, adapterBenchRequests)
	for i := range bodies {
		bodies[i] = body(i, api.URL)
		sigs[i] = sign(testSecret, stamp, []byte(bodies[i]))
	}
	return bt, api.URL, func(i int) *http.Request {
		i %= adapterBenchRequests
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(bodies[i]))
		r.Header["Content-Type"] = []string{formType}
		r.Header["X-Slack-Request-Timestamp"] = []string{stamp}
		r.Header["X-Slack-Signature"] = []string{sigs[i]}
		return r
	}
}

// runAdapterBench runs the "handler" and "signed" halves of an adapter
// benchmark over req's requests: an iteration ends with a 200 (with a body
// when got is nil) and, when got is not nil, the answer's arrival on it.
func runAdapterBench(b *testing.B, bt *Bot, req func(int) *http.Request, got <-chan struct{}, handler, signed http.Handler) {
	for _, h := range []struct {
		name string
		h    http.Handler
	}{{"handler", handler}, {"signed", signed}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			cpu := bottest.CPUTime()
			for b.Loop() {
				if i%adapterBenchRequests == 0 {
					bt.seen = newDedup(16384) // every signature fresh again
				}
				w := httptest.NewRecorder()
				h.h.ServeHTTP(w, req(i))
				if w.Code != http.StatusOK || (got == nil && w.Body.Len() == 0) {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
				if got != nil {
					<-got
				}
				i++
			}
			b.ReportMetric(float64((bottest.CPUTime()-cpu).Nanoseconds())/float64(b.N)/1000, "cpu-µs/op")
		})
	}
}
