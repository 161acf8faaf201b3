package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// FuzzInteractionHTTP: Discord's interactions endpoint, signature check and
// decoding, end to end through Handler. Whatever the body, signature and
// timestamp, it never panics and answers:
//   - 401 to any request not signed by the application's key, or signed
//     more than 5 minutes from the clock;
//   - to a signed, fresh request: 200 with an interaction response, 400 for
//     what is not an interaction, 413 for a body over the limit.
//
// mode picks how the request is signed: 0 correctly, now; 1 with sig as the
// signature; 2 correctly, skew seconds from now. Seeds: every interaction in
// testdata/interactions, and testdata/fuzz/FuzzInteractionHTTP.
func FuzzInteractionHTTP(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "interactions", "*.json"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0), "", int64(0))
	}
	f.Add([]byte(`{"type":1}`), uint8(1), "00", int64(0))
	f.Add([]byte(`{"type":2,"id":"1","token":"t","data":{"name":"study","options":[{"name":"next","type":1}]}}`), uint8(2), "", int64(301))

	// A local Discord that answers every REST call and file download with 404,
	// so nothing here reaches the network.
	local := httptest.NewServer(http.NotFoundHandler())
	f.Cleanup(local.Close)
	s := newSigner(f)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := &recorder{reply: &bot.Reply{Title: "Next", Text: []string{"DNS"}}}
	b, err := New(Config{Mode: ModeHTTP, Token: testToken, AppID: testApp, PublicKey: s.hexKey(), APIURL: local.URL + "/api/v10", CDNURL: local.URL},
		rec, bot.NewManualClock(now), slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(b.cancel)
	h := b.Handler()

	f.Fuzz(func(t *testing.T, body []byte, mode uint8, sig string, skew int64) {
		at := now
		if mode%3 == 2 {
			at = now.Add(time.Duration(skew%(1<<32)) * time.Second)
		}
		stamp := strconv.FormatInt(at.Unix(), 10)
		good := hex.EncodeToString(ed25519.Sign(s.priv, append([]byte(stamp), body...)))
		if mode%3 != 1 {
			sig = good
		}
		r := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Signature-Ed25519", sig)
		r.Header.Set("X-Signature-Timestamp", stamp)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)

		signed := sig == good
		d := at.Sub(now)
		fresh := d <= maxSkew && d >= -maxSkew
		switch {
		case len(body) > maxBody:
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("%d-byte body answered %d, want 413", len(body), w.Code)
			}
		case !signed || !fresh:
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("signed %v fresh %v: answered %d %q, want 401", signed, fresh, w.Code, w.Body)
			}
		case w.Code == http.StatusBadRequest:
		case w.Code == http.StatusOK:
			var resp struct {
				Type int `json:"type"`
			}
			data, _ := io.ReadAll(w.Body)
			if err := json.Unmarshal(data, &resp); err != nil || resp.Type == 0 {
				t.Fatalf("200 with %q: not an interaction response (%v)", data, err)
			}
		default:
			t.Fatalf("a signed, fresh request answered %d %q, want 200 or 400", w.Code, w.Body)
		}
	})
}
