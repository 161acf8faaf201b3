package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Handler serves Slack's HTTP-mode requests: POST /slack/commands (slash
// commands), /slack/interactivity (button clicks and modal submissions) and
// /slack/events (Events API). Mount it at "/slack/" without stripping the
// prefix. Every request must carry a valid signing-secret signature no more
// than 5 minutes old, else 401. In socket mode nothing arrives over HTTP, so
// it answers 404.
func (b *Bot) Handler() http.Handler {
	mux := http.NewServeMux()
	if b.cfg.Mode != ModeHTTP {
		return mux
	}
	mux.Handle("POST /slack/commands", b.signed(formType, b.serveCommand))
	mux.Handle("POST /slack/interactivity", b.signed(formType, b.serveInteraction))
	mux.Handle("POST /slack/events", b.signedRetried("application/json", b.serveEvent))
	return mux
}

// signed reads the body (at most maxBody), checks the signature and the
// timestamp, then that the body is of the media type Slack uses for the
// endpoint (else 415), and answers a retry or a replay with 200 and no side
// effect.
func (b *Bot) signed(mediaType string, next handlerFunc) http.Handler {
	return b.signedRetries(mediaType, next, false)
}

// signedRetried is signed for the Events API, whose retries reach next:
// serveEvent handles each event id once (events.go), so a retry of an event
// that was never handled is not lost.
func (b *Bot) signedRetried(mediaType string, next handlerFunc) http.Handler {
	return b.signedRetries(mediaType, next, true)
}

func (b *Bot) signedRetries(mediaType string, next handlerFunc, retries bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(http.MaxBytesReader(w, r.Body, maxBody), r.ContentLength)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		// A signature header given twice is refused rather than read as its
		// first value: Slack sends each once.
		if len(r.Header["X-Slack-Request-Timestamp"]) > 1 || len(r.Header["X-Slack-Signature"]) > 1 {
			b.log.Info("slack request refused", "path", r.URL.Path, "reason", "duplicated signature headers")
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		ts, sig := r.Header.Get("X-Slack-Request-Timestamp"), r.Header.Get("X-Slack-Signature")
		if err := verify(b.cfg.SigningSecret, ts, sig, body, b.clock.Now()); err != nil {
			b.log.Info("slack request refused", "path", r.URL.Path, "reason", err.Error())
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		// The usual header is the media type as is, which
		// mime.ParseMediaType takes as it is (mediaType is lower case).
		if ct := r.Header.Get("Content-Type"); ct != mediaType && !isMediaType(ct, mediaType) {
			http.Error(w, "this endpoint takes "+mediaType, http.StatusUnsupportedMediaType)
			return
		}
		// Slack retries a command or a click it thinks we missed; we did not
		// miss it. (Events are retried for real; events.go decides on them.)
		// An identical signature inside the window is a replay of a request
		// we already handled: this process's memory says so first, then the
		// store, which knows what other processes (and this one before a
		// restart) handled.
		if (!retries && r.Header.Get("X-Slack-Retry-Num") != "") || !b.seen.first("sig:"+sig) {
			w.WriteHeader(http.StatusOK)
			return
		}
		if retries || b.requests == nil {
			next(w, r, body)
			return
		}
		key := "slack:req:" + sig
		done, err := b.requests.Delivered(r.Context(), key)
		if err != nil {
			// Handle it anyway: an answer given twice beats none.
			b.log.Warn("slack: cannot tell whether a request was handled; handling it", "key", key, "err", err)
		}
		if done {
			b.log.Debug("slack request already handled by this or another process; acknowledged only", "path", r.URL.Path)
			w.WriteHeader(http.StatusOK)
			return
		}
		if next(w, r, body) {
			// The answer goes out before the record is written, so the store
			// adds nothing to the member's wait.
			_ = http.NewResponseController(w).Flush()
			b.markDelivered(r.Context(), b.requests, key)
		}
	})
}

// handlerFunc serves a signed request whose body was read and checked. It
// reports whether the request took effect (an answer or an acknowledgement
// with work behind it), which makes a replay of it one to refuse; a request
// refused as malformed did not, and a replay gets the same refusal.
type handlerFunc func(w http.ResponseWriter, r *http.Request, body []byte) bool

// responseTransport is the transport of response_url posts. Every one goes
// to the same host (hooks.slack.com), and a busy minute sends many at once;
// http.DefaultTransport keeps only 2 idle connections per host, so under load
// most posts opened a new TLS connection and closed it again, which showed as
// system calls in the load benchmark's profile.
func responseTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}

// formType is how Slack posts slash commands and interactivity payloads.
const formType = "application/x-www-form-urlencoded"

// slackID reports whether s looks like a Slack id (team, user, channel):
// upper-case letters and digits. A zero-width or right-to-left character in
// one is not from Slack, and must not become a space or member key.
func slackID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Reasons verify refuses a request; they are logged, never shown to the caller.
var (
	errNoSignature   = errors.New("missing X-Slack-Signature or X-Slack-Request-Timestamp")
	errBadTimestamp  = errors.New("malformed timestamp")
	errStale         = errors.New("timestamp outside the 5 minute window")
	errBadSignature  = errors.New("signature mismatch")
	errSigningSecret = errors.New("no signing secret")
)

// verify checks Slack's v0 signature: "v0=" + hex(HMAC-SHA256(secret,
// "v0:" + timestamp + ":" + body)), compared in constant time, with the
// timestamp within 5 minutes of now either way.
//
// It is crypto/hmac rather than slack-go's slack.NewSecretsVerifier on
// purpose. That verifier checks the window against time.Now, and its
// window-free variant is unexported; the timestamp is inside the signed
// string, so no header set could pass the wall-clock check and still verify.
// Using it would put the wall clock back into the one check that must follow
// the injected clock, and Slack's documented example (timestamp 1531420618)
// could never pass. TestSignatureAgreesWithSlackGo shows that both compute
// the same signature.
func verify(secret, timestamp, signature string, body []byte, now time.Time) error {
	if secret == "" {
		return errSigningSecret
	}
	if timestamp == "" || signature == "" {
		return errNoSignature
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > signatureWindow || d < -signatureWindow {
		return errStale
	}
	if !hmac.Equal([]byte(signature), appendSignature(make([]byte, 0, signatureLen), secret, timestamp, body)) {
		return errBadSignature
	}
	return nil
}

// readBody is io.ReadAll(r) into a buffer of the size the request gave
// (Content-Length): io.ReadAll starts at 512 bytes and grows in chunks it
// copies together at the end, several allocations and copies for a click's
// few kilobytes. A size that is missing, larger than maxBody or short of
// the body only makes it fall back on io.ReadAll.
func readBody(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > maxBody {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1) // +1: room for the read that finds the end
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			rest, err := io.ReadAll(r)
			return append(b, rest...), err
		}
	}
}

// isMediaType reports whether the Content-Type header ct is of mediaType.
func isMediaType(ct, mediaType string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == mediaType
}

// signatureLen is the length of a v0 signature: "v0=" and 32 bytes in hex.
const signatureLen = len("v0=") + 2*sha256.Size

// appendSignature appends sign(secret, timestamp, body) to dst. It takes
// its HMAC from macs: hmac.New hashes the secret into fresh SHA-256 states
// each time, which was most of verifying a request in the adapter's
// profile; a used one is Reset to the secret's states it keeps.
func appendSignature(dst []byte, secret, timestamp string, body []byte) []byte {
	m, _ := macs.Get().(*keyedMAC)
	if m == nil || m.secret != secret {
		m = &keyedMAC{secret: secret, h: hmac.New(sha256.New, []byte(secret))}
	} else {
		m.h.Reset()
	}
	// The hash is an interface, so what it is given escapes: the prefix
	// and the sum go through m's buffer, not new ones.
	m.buf = append(append(append(m.buf[:0], "v0:"...), timestamp...), ':')
	m.h.Write(m.buf)
	m.h.Write(body)
	m.buf = m.h.Sum(m.buf[:0])
	dst = append(dst, "v0="...)
	dst = hex.AppendEncode(dst, m.buf)
	if cap(m.buf) <= 256 { // a huge timestamp's buffer is not kept
		macs.Put(m)
	}
	return dst
}

// macs holds HMAC-SHA256s keyed with a signing secret (keyedMAC says
// which), ready to be Reset and used again.
var macs sync.Pool

type keyedMAC struct {
	secret string
	h      hash.Hash
	buf    []byte
}

// sign computes the X-Slack-Signature value for a request.
func sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) bool {
	var form form
	if err := form.parse(string(body)); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return false
	}
	if form.repeated() {
		http.Error(w, "malformed form: a field given twice", http.StatusBadRequest)
		return false
	}
	if !slackID(form.get("team_id")) || !slackID(form.get("user_id")) || form.get("command") == "" ||
		(form.get("channel_id") != "" && !slackID(form.get("channel_id"))) {
		http.Error(w, "malformed slash command: team_id, user_id and command are required, and ids are Slack ids", http.StatusBadRequest)
		return false
	}
	sc := slack.SlashCommand{
		TeamID:      form.get("team_id"),
		ChannelID:   form.get("channel_id"),
		ChannelName: form.get("channel_name"),
		UserID:      form.get("user_id"),
		UserName:    form.get("user_name"),
		Command:     form.get("command"),
		Text:        form.get("text"),
		ResponseURL: form.get("response_url"),
		TriggerID:   form.get("trigger_id"),
	}
	p := b.slashCommand(r.Context(), sc, 0)
	if p == nil {
		w.WriteHeader(http.StatusOK)
		return b.recorded(sc.TeamID)
	}
	writeJSON(w, p)
	return b.recorded(sc.TeamID)
}

// recorded reports whether a request from team that took effect is recorded
// as handled: not one from a workspace slack.allowed_teams leaves out, of
// which nothing is stored (its answer is a polite sentence; a replay gets
// the same one).
func (b *Bot) recorded(team string) bool { return team != "" && b.serves(team) }

func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) bool {
	var form form
	if err := form.parseKeeping(string(body), "payload"); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return false
	}
	if form.count("payload") != 1 {
		http.Error(w, "malformed form: one payload field expected", http.StatusBadRequest)
		return false
	}
	// The payload is decoded into a pooled buffer: the decoders copy what
	// they keep out of it.
	buf := ackBufs.Get().(*[]byte)
	data := form.appendValue((*buf)[:0], "payload")
	defer func() {
		if cap(data) <= maxPooledAck {
			*buf = data[:0]
			ackBufs.Put(buf)
		}
	}()
	c, ok := decodeClick(data)
	var cb *slack.InteractionCallback
	if !ok {
		cb = new(slack.InteractionCallback)
		if err := json.Unmarshal(data, cb); err != nil {
			http.Error(w, "malformed payload", http.StatusBadRequest)
			return false
		}
		c = clickOf(cb)
	}
	team := c.team()
	if c.Type == "" || !slackID(c.User) || (team != "" && !slackID(team)) || (c.Channel != "" && !slackID(c.Channel)) {
		http.Error(w, "malformed payload: a type and a Slack user id are required", http.StatusBadRequest)
		return false
	}
	if c.Type == slack.InteractionTypeViewSubmission {
		// The answer decides whether the modal closes.
		if resp := b.viewSubmission(*cb); resp != nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_ = json.NewEncoder(w).Encode(resp)
			return b.recorded(team)
		}
		w.WriteHeader(http.StatusOK)
		return b.recorded(team)
	}
	w.WriteHeader(http.StatusOK)
	// The click is acknowledged now and run after; Slack has its answer, so
	// a replay of it is one to refuse even while the engine still works.
	return b.async(func(ctx context.Context) { b.interaction(ctx, &c) }) && b.recorded(team)
}

func (b *Bot) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) bool {
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		EventID   string `json:"event_id"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return false
	}
	if outer.Type == slackevents.URLVerification {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": outer.Challenge})
		return true
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type slack-go does not know: not one we subscribe to.
		w.WriteHeader(http.StatusOK)
		return true
	}
	// While shutting down the event is refused, so Slack retries it (to
	// this process after its restart, or to another one).
	if !b.async(func(ctx context.Context) { b.handleEvent(ctx, ev, outer.EventID) }) {
		http.Error(w, "shutting down; retry", http.StatusServiceUnavailable)
		return false
	}
	w.WriteHeader(http.StatusOK)
	return true // events.go records the event id itself
}
