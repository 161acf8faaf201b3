package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/bot/card"
	"github.com/studybot/studybot/bot/metrics"
)

// Load benchmarks of the signed-HTTP interactions endpoint (issue 13): the
// engine wired as cmd/studybot wires it (card renderer, metrics observer),
// on a real bbolt file in a temp dir holding bottest.LoadMembers members of one
// guild, behind a real listener on loopback. Requests are built and signed
// before the clock starts, so the client's ed25519 signing does not eat the
// two cores the server has. Run them one at a time:
//
//	go test ./bot/discord -run '^$' -bench 'HTTPLoad' -benchtime 1x
const loadGuild = "111"

// loadEnv is the server side: a Bot in http mode on the real engine.
type loadEnv struct {
	bot    *Bot
	clock  *bottest.Clock
	signer *signer
	topics []string
	db     bot.Deliveries // the engine's store, for the variant that records interaction ids in it
}

func newLoadEnv(b *testing.B) *loadEnv {
	b.Helper()
	le := bottest.LoadSpace{
		Space: bot.Space{Platform: bot.PlatformDiscord, ID: loadGuild}, Channel: "301", Members: bottest.LoadMembers,
		Member: func(i int) (string, string) { id := loadMember(i); return id, "m" + id },
		Wire:   func(eng *bot.Engine) { eng.Card = card.Render; eng.Observe = metrics.New().Observe },
	}.Engine(b)
	clock := le.Clock
	s := newSigner(b)
	fake := newFakeDiscord(b) // REST, should anything be deferred
	bt, err := New(Config{Mode: ModeHTTP, PublicKey: s.hexKey(), Token: testToken, AppID: testApp, APIURL: fake.apiURL(), RegisterCommands: false}, le.Engine, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bt.cancel)
	return &loadEnv{bot: bt, clock: clock, signer: s, topics: le.Topics, db: le.DB}
}

func loadMember(i int) string { return strconv.Itoa(5000000 + i) }

// body is interaction n of the mix: its command, member and topic come from
// a generator seeded with n, so every run sends the same requests.
func (e *loadEnv) body(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 13))
	cmd := bottest.LoadMix[r.IntN(len(bottest.LoadMix))]
	member := loadMember(r.IntN(bottest.LoadMembers))
	opts := ""
	if cmd == "done" || cmd == "topic" {
		opts = fmt.Sprintf(`,"options":[{"name":"topic","type":3,"value":%q}]`, e.topics[r.IntN(len(e.topics))])
	}
	return fmt.Appendf(nil, `{"id":"%d","application_id":"900","type":2,"token":"itok-%d","version":1,"channel_id":"301","guild_id":%q,`+
		`"member":{"user":{"id":%q,"username":"m%s","global_name":null},"nick":null,"roles":[],"permissions":"0"},`+
		`"data":{"id":"5001","name":"study","type":1,"options":[{"name":%q,"type":1%s}]}}`,
		1e9+n, n, loadGuild, member, member, cmd, opts)
}

// signedReq is a request ready to send: body and headers.
type signedReq struct {
	body    []byte
	sig, ts string
}

// sign signs bodies n0..n0+count-1 at the clock's time.
func (e *loadEnv) sign(n0, count int) []signedReq {
	ts := strconv.FormatInt(e.clock.Now().Unix(), 10)
	out := make([]signedReq, count)
	for i := range out {
		body := e.body(n0 + i)
		sig := ed25519.Sign(e.signer.priv, append([]byte(ts), body...))
		out[i] = signedReq{body: body, sig: hex.EncodeToString(sig), ts: ts}
	}
	return out
}

// floor is the stand-in bot: the same signature and freshness checks, then
// a canned answer of the same kind, without any work.
func (e *loadEnv) floor() http.Handler {
	answer := []byte(`{"type":4,"data":{"content":"Done.","embeds":[],"components":[],"attachments":[],"allowed_mentions":{"parse":[]},"flags":64}}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		ts := r.Header.Get("X-Signature-Timestamp")
		if !e.bot.verify(r.Header.Get("X-Signature-Ed25519"), ts, body) || !e.bot.fresh(ts) {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		writeJSON(w, http.StatusOK, answer)
	})
}

// send posts one signed interaction and reports whether it was answered in
// place (200, type 4): anything else counts as an error.
func send(c *http.Client, url string, r signedReq) bool {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(r.body))
	req.Header["Content-Type"] = jsonType
	req.Header["X-Signature-Ed25519"] = []string{r.sig}
	req.Header["X-Signature-Timestamp"] = []string{r.ts}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	var buf [16]byte
	n, _ := io.ReadFull(resp.Body, buf[:])
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && bytes.HasPrefix(buf[:n], []byte(`{"type":4`))
}

// BenchmarkHTTPLoadClosed is closed-loop throughput: bottest.LoadConc clients
// through the real handler, and through the stand-in bot (floor) behind the
// same signature check, interleaved in rounds in the same run. It reports
// commands/s of each and their ratio (target: at least 0.6).
func BenchmarkHTTPLoadClosed(b *testing.B) { loadClosed(b, false) }

// BenchmarkHTTPLoadClosedDeliveries is BenchmarkHTTPLoadClosed with the
// adapter recording each answered interaction id in the store (bbolt here),
// as cmd/studybot wires it: the floor stays without, so the ratio shows
// what the read before and the write after each interaction cost.
func BenchmarkHTTPLoadClosedDeliveries(b *testing.B) { loadClosed(b, true) }

func loadClosed(b *testing.B, deliveries bool) {
	e := newLoadEnv(b)
	if deliveries {
		e.bot.UseDeliveries(e.db)
	}
	real := httptest.NewServer(e.bot.Handler())
	defer real.Close()
	stand := httptest.NewServer(e.floor())
	defer stand.Close()
	bottest.LoadClosed(b, func(n0, count int) (bottest.LoadSend, bottest.LoadSend) {
		reqs := e.sign(n0, count) // fresh interaction ids: no replays
		return func(c *http.Client, i int) bool { return send(c, real.URL, reqs[i]) },
			func(c *http.Client, i int) bool { return send(c, stand.URL, reqs[i]) }
	})
}

// BenchmarkHTTPLoadOpen offers bottest.LoadRate commands/s for
// bottest.LoadSeconds, each request sent at its due time whatever the
// earlier ones are doing (open loop), and reports the p50 and p99 of the
// time from a request's due time to its answer (so a server falling behind
// shows), and the errors (target: p99 at most 50 ms, no errors).
func BenchmarkHTTPLoadOpen(b *testing.B) {
	e := newLoadEnv(b)
	srv := httptest.NewServer(e.bot.Handler())
	defer srv.Close()
	bottest.LoadOpen(b, func(n0, count int) bottest.LoadSend {
		reqs := e.sign(n0, count)
		return func(c *http.Client, i int) bool { return send(c, srv.URL, reqs[i]) }
	})
}
