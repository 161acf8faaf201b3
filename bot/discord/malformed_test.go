package discord

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/studybot/studybot/bot/bottest"
)

// TestMalformedInteractions sends 1,000 generated bad requests (issue 14)
// to the interactions endpoint, each signed properly unless its signature
// headers are what is wrong: none may panic or get a 5xx; a broken one gets
// a 4xx with a reason (401 for the signature), an odd but well-formed one a
// 4xx or an ordinary interaction response. A good request is still answered
// afterwards.
func TestMalformedInteractions(t *testing.T) {
	s := newSigner(t)
	bt := newTestBot(t, Config{Mode: ModeHTTP, PublicKey: s.hexKey()})
	clock := bt.clock.(*bottest.Clock)
	h := bt.Handler()
	// What decodeInteraction reads, with a fixed type, and the ids in it.
	typed := []string{"id", "application_id", "type", "token", "guild_id", "channel_id",
		"member", "member.permissions", "member.nick", "member.user", "member.user.id", "member.user.username", "member.user.global_name",
		"user", "user.id", "message", "message.flags", "data", "data.id", "data.name", "data.type", "data.options",
		"data.options.*", "data.options.*.name", "data.options.*.type", "data.options.*.options",
		"data.options.*.options.*", "data.options.*.options.*.name", "data.options.*.options.*.type", "data.options.*.options.*.focused",
		"data.custom_id", "data.component_type"}
	ids := []string{"id", "application_id", "guild_id", "channel_id", "member.user.id", "user.id"}
	var bads []bottest.Bad
	for i, f := range []string{"study_next", "study_done_topic", "button_done", "autocomplete_done"} {
		bads = append(bads, bottest.Malformed(uint64(1400+i), 250, bottest.Spec{
			Body: fixture(t, f), ContentType: "application/json", Typed: typed, IDs: ids, MaxBody: maxBody,
		})...)
	}
	kinds := bottest.SendMalformed(t, bads, []int{http.StatusUnauthorized, http.StatusUnsupportedMediaType}, func(bad bottest.Bad) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, s.faulty(bad, clock.Now().Unix()))
		return w
	}, func(body []byte) bool { // an interaction response
		var resp struct {
			Type int `json:"type"`
		}
		return json.Unmarshal(body, &resp) == nil && resp.Type != 0
	})
	if len(kinds) < 9 {
		t.Errorf("only %d kinds of bad request generated", len(kinds))
	}
	// The bot still answers a good request, with a fresh interaction id.
	body := bytes.Replace(fixture(t, "study_next"), []byte(`"id": "1001"`), []byte(`"id": "777001"`), 1)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, s.faulty(bottest.Bad{Body: body, ContentType: "application/json"}, clock.Now().Unix()))
	if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"type":4`)) {
		t.Fatalf("good request after the bad ones: %d %s", w.Code, w.Body)
	}
}

// faulty builds bad's request, signed at unix time ts, then spoiled as its
// Fault says.
func (s *signer) faulty(bad bottest.Bad, ts int64) *http.Request {
	stamp := strconv.FormatInt(ts, 10)
	sig := hex.EncodeToString(ed25519.Sign(s.priv, append([]byte(stamp), bad.Body...)))
	return bottest.Signature{
		SigHeader: "X-Signature-Ed25519", TSHeader: "X-Signature-Timestamp",
		Sig: sig, TS: stamp,
		DupSig: "00" + sig[2:], DupTS: strconv.FormatInt(ts+1, 10),
		WrongSig: func() string { return hex.EncodeToString(ed25519.Sign(s.priv, []byte(stamp+"{}"))) },
	}.Request("/discord/interactions", bad)
}
