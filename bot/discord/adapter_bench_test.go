package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// BenchmarkAdapterOnly is the adapter's own cost per signed interaction,
// in-process (no network) and with an engine that answers at once with a
// full reply (embed, bars, fields, links, five buttons): signature check,
// decoding, rendering and encoding. Its "verify" half is the signature
// check alone, the floor of any handler; run both in one go to compare.
func BenchmarkAdapterOnly(b *testing.B) {
	s := newSigner(b)
	rep := &bot.Reply{Title: "Next up: HTTP", Text: []string{"HTTP is how browsers and servers talk.", "You have 3 topics in progress."},
		Bars:   []bot.Bar{{Label: "Overall", Done: 7, Total: 10}, {Label: "Internet", Done: 0, Total: 6}},
		Fields: []bot.Field{{Name: "Section", Value: "Internet", Inline: true}, {Name: "Hours", Value: "2", Inline: true}},
		Links:  []bot.Link{{Title: "MDN: An overview of HTTP", URL: "https://developer.mozilla.org/en-US/docs/Web/HTTP/Overview", Kind: "official"}},
		Buttons: []bot.Button{{Label: "Done", Action: "done:internet/http"}, {Label: "Learning", Action: "start:internet/http"},
			{Label: "Skip", Action: "skip:internet/http"}, {Label: "Next", Action: "next"}, {Label: "Undo", Action: "undo"}},
		Footer: "Streak: 4 days"}
	clock := bottest.NewClock(bottest.Start)
	bt, err := New(Config{Mode: ModeHTTP, PublicKey: s.hexKey(), Token: testToken, AppID: testApp}, &recorder{reply: rep}, clock, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(bt.cancel)
	body := fixture(b, "study_done_topic")
	stamp := strconv.FormatInt(clock.Now().Unix(), 10)
	const n = 4096
	reqs := make([][]byte, n)
	sigs := make([]string, n)
	for i := range reqs {
		reqs[i] = bytes.Replace(body, []byte(`"id": "1002"`), []byte(`"id": "`+strconv.Itoa(1e6+i)+`"`), 1)
		sigs[i] = hex.EncodeToString(ed25519.Sign(s.priv, append([]byte(stamp), reqs[i]...)))
	}
	req := func(i int) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(reqs[i%n]))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Signature-Ed25519", sigs[i%n])
		r.Header.Set("X-Signature-Timestamp", stamp)
		return r
	}
	h := bt.Handler()
	b.Run("handler", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		cpu := bottest.CPUTime()
		for b.Loop() {
			if i%n == 0 {
				bt.seen = newSeenCache(seenTTL, seenMax) // every id fresh again
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req(i))
			if w.Code != http.StatusOK {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
			i++
		}
		b.ReportMetric(float64((bottest.CPUTime()-cpu).Nanoseconds())/float64(b.N)/1000, "cpu-µs/op")
	})
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		cpu := bottest.CPUTime()
		for b.Loop() {
			if !bt.verify(sigs[i%n], stamp, reqs[i%n]) {
				b.Fatal("bad signature")
			}
			i++
		}
		b.ReportMetric(float64((bottest.CPUTime()-cpu).Nanoseconds())/float64(b.N)/1000, "cpu-µs/op")
	})
}
