package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
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
	mux.Handle("POST /slack/commands", b.signed(b.serveCommand))
	mux.Handle("POST /slack/interactivity", b.signed(b.serveInteraction))
	mux.Handle("POST /slack/events", b.signedRetried(b.serveEvent))
	return mux
}

// signed reads the body (at most maxBody), checks the signature and the
// timestamp, and answers a retry or a replay with 200 and no side effect.
func (b *Bot) signed(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return b.signedRetries(next, false)
}

// signedRetried is signed for the Events API, whose retries reach next:
// serveEvent handles each event id once (events.go), so a retry of an event
// that was never handled is not lost.
func (b *Bot) signedRetried(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return b.signedRetries(next, true)
}

func (b *Bot) signedRetries(next func(w http.ResponseWriter, r *http.Request, body []byte), retries bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		ts, sig := r.Header.Get("X-Slack-Request-Timestamp"), r.Header.Get("X-Slack-Signature")
		if err := verify(b.cfg.SigningSecret, ts, sig, body, b.clock.Now()); err != nil {
			b.log.Info("slack request refused", "path", r.URL.Path, "reason", err.Error())
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		// Slack retries a command or a click it thinks we missed; we did not
		// miss it. (Events are retried for real; events.go decides on them.)
		// An identical signature inside the window is a replay of a request
		// we already handled.
		if (!retries && r.Header.Get("X-Slack-Retry-Num") != "") || !b.seen.first("sig:"+sig) {
			w.WriteHeader(http.StatusOK)
			return
		}
		next(w, r, body)
	})
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
	if !hmac.Equal([]byte(signature), []byte(sign(secret, timestamp, body))) {
		return errBadSignature
	}
	return nil
}

// sign computes the X-Slack-Signature value for a request.
func sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	sc := slack.SlashCommand{
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		ChannelName: form.Get("channel_name"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		Command:     form.Get("command"),
		Text:        form.Get("text"),
		ResponseURL: form.Get("response_url"),
		TriggerID:   form.Get("trigger_id"),
	}
	p := b.slashCommand(r.Context(), sc, 0)
	if p == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(p.json())
}

func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	if cb.Type == slack.InteractionTypeViewSubmission {
		// The answer decides whether the modal closes.
		if resp := b.viewSubmission(cb); resp != nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_ = json.NewEncoder(w).Encode(resp)
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusOK)
	b.async(func(ctx context.Context) { b.interaction(ctx, cb) })
}

func (b *Bot) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		EventID   string `json:"event_id"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if outer.Type == slackevents.URLVerification {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": outer.Challenge})
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// An event type slack-go does not know: not one we subscribe to.
		w.WriteHeader(http.StatusOK)
		return
	}
	// While shutting down the event is refused, so Slack retries it (to
	// this process after its restart, or to another one).
	if !b.async(func(ctx context.Context) { b.handleEvent(ctx, ev, outer.EventID) }) {
		http.Error(w, "shutting down; retry", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}
