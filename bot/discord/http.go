package discord

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// maxBody bounds an interaction request body; real ones are a few KB (string
// options are at most 6000 characters).
const maxBody = 64 << 10

// answerSize is what an answer's buffer starts with: a full answer (an
// embed with fields and five buttons) is 1-2 KB, so one allocation is
// usually all it takes.
const answerSize = 2048

// answerBufs are the buffers answers are encoded in, before the copy of
// exactly their size that is kept for replays.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, answerSize); return &b }}

// bodyBufs are the buffers request bodies are read into. One the size of a
// usual interaction (a few KB) never grows.
var bodyBufs = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4096)) }}

func putBody(b *bytes.Buffer) {
	if b.Cap() <= 2*maxBody { // what reading maxBody can grow it to
		bodyBufs.Put(b)
	}
}

// maxSkew is how far a request's signed timestamp may be from our clock.
const maxSkew = 5 * time.Minute

// Handler serves Discord's interactions endpoint (POST /discord/interactions in
// http mode). Every request must carry a valid Ed25519 signature of
// X-Signature-Timestamp + body by the application's public key, else 401; a
// timestamp more than 5 minutes from the clock is refused too. A replayed
// interaction id is answered as the first time, without running the command
// again. In gateway mode (no public key) every request gets 404.
func (b *Bot) Handler() http.Handler {
	return http.HandlerFunc(b.serveHTTP)
}

func (b *Bot) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if b.pub == nil {
		http.Error(w, "interactions endpoint not enabled (discord.mode is not http)", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Discord always posts JSON; anything else is not an interaction.
	if !jsonBody(r.Header.Get("Content-Type")) {
		http.Error(w, "interactions are application/json", http.StatusUnsupportedMediaType)
		return
	}
	// The body is read into a pooled buffer: nothing keeps it past this
	// call (verify copies it, decoding copies what it keeps).
	buf := bodyBufs.Get().(*bytes.Buffer)
	defer putBody(buf)
	buf.Reset()
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return
	}
	// A header given twice is refused rather than read as its first value:
	// Discord sends each once, and which copy counts must not be a guess.
	sigs, stamps := r.Header["X-Signature-Ed25519"], r.Header["X-Signature-Timestamp"]
	if len(sigs) != 1 || len(stamps) != 1 {
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	ts := stamps[0]
	if !b.verify(sigs[0], ts, body) {
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if !b.fresh(ts) {
		http.Error(w, "stale request timestamp", http.StatusUnauthorized)
		return
	}
	var in discordgo.Interaction
	if err := decodeInteraction(body, &in); err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	if in.Type == discordgo.InteractionPing {
		writeJSON(w, http.StatusOK, []byte(`{"type":1}`))
		return
	}
	if in.ID == "" || in.Token == "" {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	e, first := b.seen.claim(in.ID, b.clock.Now())
	if !first {
		b.log.Warn("discord interaction replayed; answering without running it again", "interaction", in.ID)
		select {
		case <-e.done:
		case <-r.Context().Done():
			return
		}
		if e.body == nil {
			data, _ := json.Marshal(&response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: textMessage("That was already handled.")})
			writeJSON(w, http.StatusOK, data)
			return
		}
		w.Header().Set("Content-Type", e.ctype)
		w.WriteHeader(e.status)
		w.Write(e.body)
		return
	}
	// This process has not seen the id; the store says whether another one
	// (or this one before a restart) has, when processes share a database
	// behind one load balancer.
	var key string
	if b.deliveries != nil {
		key = "discord:interaction:" + in.ID
	}
	if done, err := b.deliveries.Delivered(r.Context(), key); err != nil {
		// Run it anyway: an answer given twice beats none.
		b.log.Warn("discord: cannot tell whether an interaction was handled; handling it", "interaction", in.ID, "err", err)
	} else if done {
		b.log.Warn("discord interaction replayed to another process; answering without running it again", "interaction", in.ID)
		data, _ := json.Marshal(&response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: textMessage("That was already handled.")})
		b.seen.finish(e, http.StatusOK, "application/json", data)
		writeJSON(w, http.StatusOK, data)
		return
	}
	answered := false
	b.serve(&in, false, func(resp *response) {
		answered = true
		buf := answerBufs.Get().(*[]byte)
		data, err := appendResponse((*buf)[:0], resp)
		if cap(data) <= maxBody { // not kept if an outsized answer grew it
			*buf = data[:0]
			defer answerBufs.Put(buf)
		}
		// Replays are answered with data (seen), so it is kept in a copy
		// of its own size, not in the pooled buffer.
		data = bytes.Clone(data)
		if err != nil {
			b.log.Error("discord: encode interaction response", "err", err)
			data, _ = json.Marshal(&response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: textMessage("Something went wrong on our side; please try again.")})
		}
		b.seen.finish(e, http.StatusOK, "application/json", data)
		writeJSON(w, http.StatusOK, data)
	})
	if !answered { // serve recovered from a panic before answering
		data, _ := json.Marshal(&response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: textMessage("Something went wrong on our side; please try again.")})
		b.seen.finish(e, http.StatusOK, "application/json", data)
		writeJSON(w, http.StatusOK, data)
	}
	b.markHandled(w, r, &in, key)
}

// markHandled records an answered interaction in the store, so a replay
// that reaches another process is not run again. Discord has its answer
// (the engine's, or the deferral it then finishes), which is the effect a
// replay must not repeat. The answer is flushed first, so the write adds
// nothing to the member's wait. An interaction from a guild this bot does
// not serve is not recorded: nothing of it is stored.
func (b *Bot) markHandled(w http.ResponseWriter, r *http.Request, in *discordgo.Interaction, key string) {
	if b.deliveries == nil || (in.GuildID != "" && !b.allowed(in.GuildID)) {
		return
	}
	_ = http.NewResponseController(w).Flush()
	n, err := b.deliveries.Mark(r.Context(), key, b.clock.Now())
	if err != nil {
		b.log.Warn("discord: cannot record a handled interaction; a replay to another process may run it again", "interaction", in.ID, "err", err)
	}
	if n > 0 {
		b.log.Debug("discord: pruned handled interaction ids", "count", n)
	}
}

// verify checks the Ed25519 signature (hex) over timestamp + body with
// discordgo.VerifyInteraction. It fits: it checks the signature only (hex,
// length, ed25519.Verify of X-Signature-Timestamp + body) and never reads a
// clock, so the freshness check stays ours, on the injected clock (fresh). It
// reads the two headers and the body from a request, so the body, already
// read under the maxBody limit, is handed to it again.
//
// It is the only signature check on the path, once per request: serveHTTP
// calls it before anything else reads the body.
func (b *Bot) verify(sigHex, ts string, body []byte) bool {
	r := &http.Request{
		// The keys are already canonical, so no Set is needed to fix them.
		Header: http.Header{"X-Signature-Ed25519": {sigHex}, "X-Signature-Timestamp": {ts}},
		Body:   io.NopCloser(bytes.NewReader(body)),
	}
	return discordgo.VerifyInteraction(r, b.pub)
}

// fresh reports whether a Unix-seconds timestamp is within maxSkew of the clock,
// so a captured request cannot be replayed later.
func (b *Bot) fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := b.clock.Now().Sub(time.Unix(sec, 0))
	return d <= maxSkew && d >= -maxSkew
}

// jsonBody reports whether a Content-Type is JSON, as mime.ParseMediaType
// reads it. Discord sends exactly "application/json", which needs no
// parsing (ParseMediaType builds a map of parameters every time).
func jsonBody(ct string) bool {
	if ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// jsonType is shared by every answer: assigning it to the header map
// directly spares the canonicalisation and allocation of Header.Set.
var jsonType = []string{"application/json"}

func writeJSON(w http.ResponseWriter, status int, data []byte) {
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(status)
	w.Write(bytes.TrimSpace(data))
}
