package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestVerifyMatchesDiscordgo holds verify to discordgo.VerifyInteraction,
// which it replaced: good signatures (lower- and upper-case hex) and every
// kind of bad one get the same answer from both.
func TestVerifyMatchesDiscordgo(t *testing.T) {
	s := newSigner(t)
	b := newTestBot(t, Config{Mode: ModeHTTP, PublicKey: s.hexKey()})
	viaDiscordgo := func(sig, ts string, body []byte) bool {
		r := &http.Request{Header: http.Header{"X-Signature-Ed25519": {sig}, "X-Signature-Timestamp": {ts}}, Body: io.NopCloser(bytes.NewReader(body))}
		return discordgo.VerifyInteraction(r, s.pub)
	}
	r := rand.New(rand.NewPCG(13, 14))
	accepted := 0
	for i := range 3000 {
		body := []byte(strings.Repeat(`{"type":2,"id":"1"}`, r.IntN(4)))
		ts := []string{"1767603600", "", "x", "1767603600 "}[r.IntN(4)]
		sig := hex.EncodeToString(ed25519.Sign(s.priv, append([]byte(ts), body...)))
		switch i % 10 {
		case 1:
			sig = strings.ToUpper(sig)
		case 2:
			sig = sig[:len(sig)-1]
		case 3:
			sig += "0"
		case 4:
			sig = sig[:10] + "g" + sig[11:]
		case 5:
			body = append(body, ' ')
		case 6:
			sig = ""
		case 7:
			sig = sig[:len(sig)-2]
		case 8:
			k := r.IntN(len(sig))
			sig = sig[:k] + string("0123456789abcdefABCDEF-"[r.IntN(23)]) + sig[k+1:]
		}
		got, want := b.verify(sig, ts, body), viaDiscordgo(sig, ts, body)
		if got != want {
			t.Fatalf("sig %q ts %q body %q: verify %v, discordgo %v", sig, ts, body, got, want)
		}
		if got {
			accepted++
		}
	}
	if accepted < 500 {
		t.Fatalf("only %d of 3000 accepted: the test hardly exercises good signatures", accepted)
	}
}
