package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// rest is a small client for the few Discord REST routes the adapter uses. Paths
// can hold interaction tokens (secrets for 15 minutes), so errors name the route,
// never the URL.
type rest struct {
	base   string // e.g. https://discord.com/api/v10, no trailing slash
	auth   string // "Bot <token>"
	client *http.Client
}

func newREST(base, token string) *rest {
	// A fan-out keeps many requests in flight to one host; the default
	// transport keeps only 2 idle connections per host, so every other
	// request would open (and leave in TIME_WAIT) a new one.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxConnsIdle
	return &rest{
		base:   strings.TrimRight(base, "/"),
		auth:   "Bot " + token,
		client: &http.Client{Timeout: 20 * time.Second, Transport: t},
	}
}

// maxConnsIdle is how many idle connections to Discord are kept for reuse:
// about the scheduler's concurrent sends.
const maxConnsIdle = 128

// apiError is a non-2xx answer from Discord.
type apiError struct {
	Route      string
	Status     int
	Code       int    // Discord's JSON error code, 0 when absent
	Message    string // Discord's message
	RetryAfter time.Duration
	Global     bool
}

// RateLimited marks a 429 that was not waited out (bot.RateLimited).
func (e *apiError) RateLimited() bool { return e.Status == http.StatusTooManyRequests }

func (e *apiError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("discord %s: HTTP %d: %s (code %d)", e.Route, e.Status, e.Message, e.Code)
	}
	return fmt.Sprintf("discord %s: HTTP %d: %s", e.Route, e.Status, e.Message)
}

// maxRetryAfter caps how long a 429 is waited out before giving up; longer
// waits mean the bot is hammering Discord and should fail loudly instead.
const maxRetryAfter = time.Minute

// do sends one request. body is marshalled as JSON, or as multipart with
// payload_json when files are given. out, if not nil, receives the JSON answer.
// It does not retry; see send.
func (r *rest) do(ctx context.Context, route, method, path string, body any, files []*discordgo.File, out any) error {
	_, err := r.call(ctx, route, method, path, body, files, out)
	return err
}

// call is do, also returning the answer's headers (rate-limit state); nil
// when no answer came.
func (r *rest) call(ctx context.Context, route, method, path string, body any, files []*discordgo.File, out any) (http.Header, error) {
	var rd io.Reader
	ctype := ""
	if body != nil {
		if len(files) > 0 {
			ct, b, err := discordgo.MultipartBodyWithJSON(body, files)
			if err != nil {
				return nil, fmt.Errorf("discord %s: encode: %w", route, err)
			}
			rd, ctype = bytes.NewReader(b), ct
		} else {
			b, err := encodeJSON(body)
			if err != nil {
				return nil, fmt.Errorf("discord %s: encode: %w", route, err)
			}
			rd, ctype = bytes.NewReader(b), "application/json"
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("discord %s: %w", route, redact(err))
	}
	req.Header.Set("Authorization", r.auth)
	req.Header.Set("User-Agent", "DiscordBot (https://github.com/studybot/studybot, 1.0)")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discord %s: %w", route, redact(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.Header, fmt.Errorf("discord %s: read: %w", route, redact(err))
	}
	if resp.StatusCode/100 == 2 {
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return resp.Header, fmt.Errorf("discord %s: decode: %w", route, err)
			}
		}
		return resp.Header, nil
	}
	return resp.Header, parseAPIError(route, resp, data)
}

// encodeJSON is json.Marshal, except that a body encoding itself (a rendered
// message) is taken as it writes itself: json.Marshal would scan and compact
// what our own encoder wrote, a cost every nudge of a fan-out pays.
func encodeJSON(body any) ([]byte, error) {
	if m, ok := body.(json.Marshaler); ok {
		return m.MarshalJSON()
	}
	return json.Marshal(body)
}

func parseAPIError(route string, resp *http.Response, data []byte) *apiError {
	e := &apiError{Route: route, Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
	var body struct {
		Code       int      `json:"code"`
		Message    string   `json:"message"`
		RetryAfter *float64 `json:"retry_after"`
		Global     bool     `json:"global"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.Code = body.Code
		if body.Message != "" {
			e.Message = body.Message
		}
		e.Global = body.Global
		if body.RetryAfter != nil {
			e.RetryAfter = seconds(*body.RetryAfter)
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if e.RetryAfter == 0 {
			if f, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil {
				e.RetryAfter = seconds(f)
			} else {
				e.RetryAfter = time.Second
			}
		}
		if resp.Header.Get("X-RateLimit-Global") == "true" || resp.Header.Get("X-RateLimit-Scope") == "global" {
			e.Global = true
		}
	}
	return e
}

func seconds(f float64) time.Duration {
	if f <= 0 {
		return 0
	}
	if f > maxRetryAfter.Seconds()*10 {
		return maxRetryAfter * 10
	}
	return time.Duration(f * float64(time.Second))
}

// redact strips the URL (which may hold an interaction token) from transport
// errors.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// maxAttempts bounds retries of one request after 429s and 5xx answers.
const maxAttempts = 4

// send is do with rate limits and bounded retries. Every attempt first waits
// for its route's bucket (see pacer), and, when paced is set, takes a token
// of the global bucket. A 429 is waited out (retry_after from the JSON body or
// the Retry-After header): a global one holds back every paced send, any
// other only this route's bucket. A 502/503/504 is retried after a short
// pause. Each answer is reported to Config.APIObserver.
func (b *Bot) send(ctx context.Context, paced bool, route, method, path string, body any, files []*discordgo.File, out any) error {
	major := majorParam(path)
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		waited, werr := b.pace.waitRoute(ctx, route, major)
		b.observeWait(route, waited)
		if werr != nil {
			return werr
		}
		if paced {
			if err := b.pace.wait(ctx); err != nil {
				return err
			}
		}
		for _, f := range files {
			if s, ok := f.Reader.(io.Seeker); ok {
				s.Seek(0, io.SeekStart) // a retry re-sends the file from its start
			}
		}
		var h http.Header
		h, err = b.rest.call(ctx, route, method, path, body, files, out)
		var ae *apiError
		isAPI := errors.As(err, &ae)
		b.observeCall(route, h, ae, err)
		var retryAfter time.Duration
		if isAPI && ae.Status == http.StatusTooManyRequests && !ae.Global {
			retryAfter = ae.RetryAfter
		}
		if h != nil {
			b.pace.update(route, major, h, retryAfter)
		}
		if !isAPI {
			return err
		}
		var wait time.Duration
		switch {
		case ae.Status == http.StatusTooManyRequests:
			if ae.RetryAfter > maxRetryAfter {
				return err
			}
			if ae.Global {
				b.pace.hold(ae.RetryAfter)
				wait = ae.RetryAfter // unpaced requests wait here; paced ones in wait
			}
			// A route's 429 is waited out in waitRoute, by this request and
			// every other on the route.
			b.log.Warn("discord rate limited; waiting", "route", route, "retry_after", ae.RetryAfter, "global", ae.Global)
		case ae.Status == http.StatusBadGateway || ae.Status == http.StatusServiceUnavailable || ae.Status == http.StatusGatewayTimeout:
			wait = time.Duration(attempt) * 250 * time.Millisecond
		default:
			return err
		}
		if attempt == maxAttempts {
			break
		}
		if ae.Status == http.StatusTooManyRequests && ae.Global {
			b.observeWait(route, wait)
		}
		if err := bot.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	return err
}

// observeCall reports one answer (or none) to Config.APIObserver.
func (b *Bot) observeCall(route string, h http.Header, ae *apiError, err error) {
	o := b.cfg.APIObserver
	if o == nil {
		return
	}
	status := "2xx" // including a 2xx whose body did not decode
	switch {
	case ae != nil:
		status = strconv.Itoa(ae.Status)
	case h == nil && err != nil:
		status = "error"
	}
	o.APICall(bot.PlatformDiscord, route, status)
}

func (b *Bot) observeWait(route string, d time.Duration) {
	if o := b.cfg.APIObserver; o != nil && d > 0 {
		o.RateLimitWait(bot.PlatformDiscord, route, d)
	}
}
