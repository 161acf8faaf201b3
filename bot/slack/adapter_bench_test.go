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
	clock := bottest.NewClock(bottest.Start)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","team_id":"T1","name":"ann","tz":"UTC","profile":{"display_name":"ann"}}}`)
	}))
	defer api.Close()
	bt, err := New(Config{Mode: ModeHTTP, BotToken: testBotToken, SigningSecret: testSecret, APIURL: api.URL + "/api/"}, cannedEngine{nextReply()}, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bt.cancel)
	bt.profile(context.Background(), testTeam, "U1") // cached, as in a running bot
	stamp := strconv.FormatInt(clock.Now().Unix(), 10)
	const n = 4096
	bodies := make([]string, n)
	sigs := make([]string, n)
	for i := range bodies {
		bodies[i] = commandBody(slashStudy, "next", "U1", "https://hooks.example/r") + "&n=" + strconv.Itoa(i)
		sigs[i] = sign(testSecret, stamp, []byte(bodies[i]))
	}
	req := func(i int) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(bodies[i%n]))
		r.Header["Content-Type"] = []string{formType}
		r.Header["X-Slack-Request-Timestamp"] = []string{stamp}
		r.Header["X-Slack-Signature"] = []string{sigs[i%n]}
		return r
	}
	answer := []byte(`{"response_type":"ephemeral","text":"Done.","blocks":[]}`)
	for _, h := range []struct {
		name string
		h    http.Handler
	}{
		{"handler", bt.Handler()},
		{"signed", bt.signed(formType, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(answer)
			return true
		})},
	} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			cpu := bottest.CPUTime()
			for b.Loop() {
				if i%n == 0 {
					bt.seen = newDedup(16384) // every signature fresh again
				}
				w := httptest.NewRecorder()
				h.h.ServeHTTP(w, req(i))
				if w.Code != http.StatusOK || w.Body.Len() == 0 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
				i++
			}
			b.ReportMetric(float64((bottest.CPUTime()-cpu).Nanoseconds())/float64(b.N)/1000, "cpu-µs/op")
		})
	}
}

// BenchmarkAdapterClick is BenchmarkAdapterOnly for a button click: a signed
// block_actions POST to /slack/interactivity, acknowledged at once, with the
// canned engine's answer posted to the click's response_url on a local
// server; an iteration ends when that answer has arrived. Its "signed" half
// is the load benchmark's stand-in for a click: the same signature check and
// a canned answer posted the same way.
func BenchmarkAdapterClick(b *testing.B) {
	clock := bottest.NewClock(bottest.Start)
	got := make(chan struct{}, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/response/") {
			io.Copy(io.Discard, r.Body)
			fmt.Fprint(w, "ok")
			got <- struct{}{}
			return
		}
		fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","team_id":"T1","name":"ann","tz":"UTC","profile":{"display_name":"ann"}}}`)
	}))
	defer api.Close()
	bt, err := New(Config{Mode: ModeHTTP, BotToken: testBotToken, SigningSecret: testSecret, APIURL: api.URL + "/api/"}, cannedEngine{nextReply()}, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bt.cancel)
	bt.profile(context.Background(), testTeam, "U1") // cached, as in a running bot
	stamp := strconv.FormatInt(clock.Now().Unix(), 10)
	const n = 4096
	bodies := make([]string, n)
	sigs := make([]string, n)
	for i := range bodies {
		bodies[i] = url.Values{"payload": {blockActions("done:internet/dns", api.URL+"/response/"+strconv.Itoa(i), false)}}.Encode() + "&n=" + strconv.Itoa(i)
		sigs[i] = sign(testSecret, stamp, []byte(bodies[i]))
	}
	req := func(i int) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/slack/interactivity", strings.NewReader(bodies[i%n]))
		r.Header["Content-Type"] = []string{formType}
		r.Header["X-Slack-Request-Timestamp"] = []string{stamp}
		r.Header["X-Slack-Signature"] = []string{sigs[i%n]}
		return r
	}
	for _, h := range []struct {
		name string
		h    http.Handler
	}{
		{"handler", bt.Handler()},
		{"signed", bt.signed(formType, func(w http.ResponseWriter, r *http.Request, body []byte) bool {
			n := string(body[bytes.LastIndexByte(body, '=')+1:]) // "&n=123"
			w.WriteHeader(http.StatusOK)
			return bt.async(func(ctx context.Context) {
				if err := bt.respond(ctx, api.URL+"/response/"+n, payload{ResponseType: ephemeral, Text: "Done."}); err != nil {
					panic(err)
				}
			})
		})},
	} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			cpu := bottest.CPUTime()
			for b.Loop() {
				if i%n == 0 {
					bt.seen = newDedup(16384) // every signature fresh again
				}
				w := httptest.NewRecorder()
				h.h.ServeHTTP(w, req(i))
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
				<-got
				i++
			}
			b.ReportMetric(float64((bottest.CPUTime()-cpu).Nanoseconds())/float64(b.N)/1000, "cpu-µs/op")
		})
	}
}
