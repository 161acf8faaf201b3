package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway opcodes.
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opResume         = 6
	opReconnect      = 7
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatAck   = 11
)

// intents: Guilds only. Interactions arrive whatever the intents; nothing asks
// for message content or members, which are privileged.
const intents = discordgo.IntentsGuilds

// fatalCloses are gateway close codes after which reconnecting cannot help.
var fatalCloses = map[int]string{
	4004: "authentication failed: the bot token is wrong or was reset (Developer Portal > Bot > Reset Token)",
	4010: "invalid shard",
	4011: "sharding required: the bot is in too many servers for one connection",
	4012: "invalid API version",
	4013: "invalid intents",
	4014: "disallowed intents: the requested intents are not enabled for this application",
}

// resetCloses end the session: reconnect with a fresh IDENTIFY, not a RESUME.
var resetCloses = map[int]bool{4007: true, 4009: true}

// FatalError is returned by Run when Discord closed the gateway for good.
type FatalError struct {
	Code   int // the websocket close code, or the HTTP status of a rejected token
	Reason string
}

func (e *FatalError) Error() string {
	if e.Code < 1000 { // an HTTP status
		return fmt.Sprintf("discord: %s", e.Reason)
	}
	return fmt.Sprintf("discord gateway closed with %d: %s", e.Code, e.Reason)
}

// gatewayFrame is one gateway payload.
type gatewayFrame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d,omitempty"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

// session is what a RESUME needs; it survives reconnects.
type session struct {
	id        string
	resumeURL string
	seq       atomic.Int64
}

// errReconnect asks for an immediate reconnect (op 7, or op 9 resumable).
var errReconnect = errors.New("discord gateway asked to reconnect")

// errInvalidSession is a non-resumable op 9: identify again, after the
// random 1 to 5 seconds Discord asks for.
var errInvalidSession = errors.New("discord gateway: session invalidated")

// runShard connects one shard, serves and reconnects with backoff until ctx is
// done or the gateway closes with a fatal code. A new session's IDENTIFY
// waits for its slot (identifyGate), so a shard that keeps failing before
// READY identifies at most once per identifyWindow.
func (b *Bot) runShard(ctx context.Context, sh *shard) error {
	defer func() { sh.set(ShardStopped, b.clock.Now()) }()
	failures := 0
	for {
		ready, err := b.connect(ctx, sh)
		if ctx.Err() != nil {
			return nil
		}
		var fatal *FatalError
		if errors.As(err, &fatal) {
			b.logFatal(sh, fatal)
			return err
		}
		if ready {
			failures = 0
		}
		var wait time.Duration
		if !errors.Is(err, errReconnect) || failures > 0 {
			failures++
			wait = b.backoffFor(failures)
		}
		if errors.Is(err, errInvalidSession) {
			wait = max(wait, invalidSessionWait())
		}
		sh.set(ShardConnecting, b.clock.Now())
		b.log.Warn("discord gateway disconnected; reconnecting", append([]any{"err", err, "in", wait, "resume", sh.sess.id != ""}, sh.logArgs()...)...)
		if err := b.gw.sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

// backoffFor is the wait before reconnect attempt n (1-based): doubling from
// b.backoff up to b.maxBackoff, with jitter so many bots do not return at once.
func (b *Bot) backoffFor(n int) time.Duration {
	d := b.backoff
	for i := 1; i < n && d < b.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, b.maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// gatewayURL is where to connect: the session's resume URL, Config.GatewayURL,
// the URL planShards got, or what GET /gateway/bot says.
func (b *Bot) gatewayURL(ctx context.Context, sess *session) (string, error) {
	base := b.cfg.GatewayURL
	b.gw.mu.Lock()
	if base == "" {
		base = b.gw.url
	}
	b.gw.mu.Unlock()
	switch {
	case sess.id != "" && sess.resumeURL != "":
		base = sess.resumeURL
	case base == "":
		info, err := b.fetchGatewayBot(ctx)
		if err != nil {
			return "", err
		}
		if sess.id == "" {
			if err := b.waitStartLimit(ctx, info); err != nil {
				return "", err
			}
		}
		base = info.URL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return "", fmt.Errorf("discord gateway url %q is not a websocket URL", base)
	}
	q := u.Query()
	q.Set("v", "10")
	q.Set("encoding", "json")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// conn is one gateway websocket; writes are serialised.
type conn struct {
	ws *websocket.Conn
	mu sync.Mutex
}

func (c *conn) send(op int, d any) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteJSON(gatewayFrame{Op: op, D: data})
}

func (c *conn) close(code int) {
	c.mu.Lock()
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	c.mu.Unlock()
	c.ws.Close()
}

// connect runs one connection: HELLO, IDENTIFY or RESUME, then events until the
// connection ends. ready tells whether the session got going (READY or RESUMED),
// which resets the backoff.
func (b *Bot) connect(ctx context.Context, sh *shard) (ready bool, err error) {
	sess := &sh.sess
	sh.set(ShardConnecting, b.clock.Now())
	if sess.id == "" {
		// A new session: wait for this shard's identify slot first.
		if wait := b.gw.ids.reserve(sh.id, b.clock.Now()); wait > 0 {
			b.log.Info("discord gateway waiting for an identify slot", append([]any{"in", wait}, sh.logArgs()...)...)
			if err := b.gw.sleep(ctx, wait); err != nil {
				return false, err
			}
		}
	}
	u, err := b.gatewayURL(ctx, sess)
	if err != nil {
		return false, err
	}
	ws, _, err := b.dialer.DialContext(ctx, u, nil)
	if err != nil {
		return false, fmt.Errorf("discord gateway dial: %w", redact(err))
	}
	ws.SetReadLimit(16 << 20)
	c := &conn{ws: ws}
	stop := make(chan struct{})
	var stopOnce sync.Once
	end := func(code int) { stopOnce.Do(func() { close(stop); c.close(code) }) }
	defer end(4000) // not 1000: a normal close would end the session and forbid a resume
	go func() {
		select {
		case <-ctx.Done():
			end(websocket.CloseNormalClosure) // shutting down: end the session
		case <-stop:
		}
	}()

	// HELLO comes first and says how often to heartbeat.
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	var hello struct {
		HeartbeatInterval int64 `json:"heartbeat_interval"`
	}
	f, err := readFrame(ws)
	if err != nil {
		return false, err
	}
	if f.Op != opHello || json.Unmarshal(f.D, &hello) != nil || hello.HeartbeatInterval <= 0 {
		return false, fmt.Errorf("discord gateway: expected HELLO, got op %d", f.Op)
	}
	interval := time.Duration(hello.HeartbeatInterval) * time.Millisecond
	ws.SetReadDeadline(time.Time{})

	if sess.id != "" {
		err = c.send(opResume, map[string]any{"token": b.cfg.Token, "session_id": sess.id, "seq": sess.seq.Load()})
	} else {
		identify := map[string]any{
			"token":   b.cfg.Token,
			"intents": intents,
			"properties": map[string]string{
				"os": "linux", "browser": "studybot", "device": "studybot",
			},
		}
		if sh.count > 0 {
			identify["shard"] = [2]int{sh.id, sh.count}
		}
		err = c.send(opIdentify, identify)
	}
	if err != nil {
		return false, fmt.Errorf("discord gateway identify: %w", err)
	}

	var acked atomic.Bool
	acked.Store(true)
	go b.heartbeat(c, sess, interval, &acked, stop, end)
	logArgs := sh.logArgs()

	for {
		f, err := readFrame(ws)
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				if reason, ok := fatalCloses[ce.Code]; ok {
					return ready, &FatalError{Code: ce.Code, Reason: reason}
				}
				if resetCloses[ce.Code] {
					sess.reset()
				}
			}
			return ready, fmt.Errorf("discord gateway read: %w", err)
		}
		if f.S != nil {
			sess.seq.Store(*f.S)
		}
		switch f.Op {
		case opDispatch:
			switch f.T {
			case "READY":
				var r struct {
					SessionID        string `json:"session_id"`
					ResumeGatewayURL string `json:"resume_gateway_url"`
					User             struct {
						ID       string `json:"id"`
						Username string `json:"username"`
					} `json:"user"`
				}
				if err := json.Unmarshal(f.D, &r); err != nil {
					return ready, fmt.Errorf("discord gateway READY: %w", err)
				}
				sess.id, sess.resumeURL = r.SessionID, r.ResumeGatewayURL
				ready = true
				sh.set(ShardReady, b.clock.Now())
				b.log.Info("discord gateway ready", append([]any{"bot_user", r.User.Username, "bot_id", r.User.ID}, logArgs...)...)
			case "RESUMED":
				ready = true
				sh.set(ShardReady, b.clock.Now())
				b.log.Info("discord gateway resumed", logArgs...)
			case "INTERACTION_CREATE":
				b.dispatch(f.D)
			}
		case opHeartbeat:
			if err := c.send(opHeartbeat, seqOrNull(sess)); err != nil {
				return ready, fmt.Errorf("discord gateway heartbeat: %w", err)
			}
		case opHeartbeatAck:
			acked.Store(true)
		case opReconnect:
			return ready, errReconnect
		case opInvalidSession:
			var resumable bool
			json.Unmarshal(f.D, &resumable)
			if !resumable {
				sess.reset()
				return ready, errInvalidSession
			}
			return ready, errReconnect
		}
	}
}

func (s *session) reset() {
	s.id, s.resumeURL = "", ""
	s.seq.Store(0)
}

func seqOrNull(s *session) any {
	if n := s.seq.Load(); n > 0 {
		return n
	}
	return nil
}

func readFrame(ws *websocket.Conn) (*gatewayFrame, error) {
	_, data, err := ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	var f gatewayFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("discord gateway: malformed frame: %w", err)
	}
	return &f, nil
}

// heartbeat beats every interval (the first after a random part of it, as
// Discord asks). A beat that was not acknowledged before the next one means a
// zombie connection: close it, and the read loop reconnects and resumes.
func (b *Bot) heartbeat(c *conn, sess *session, interval time.Duration, acked *atomic.Bool, stop <-chan struct{}, end func(int)) {
	t := b.gw.newTimer(rand.N(interval) + 1)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C():
		}
		if !acked.Swap(false) {
			b.log.Warn("discord gateway heartbeat not acknowledged; reconnecting")
			end(4000)
			return
		}
		if err := c.send(opHeartbeat, seqOrNull(sess)); err != nil {
			end(4000)
			return
		}
		t.Reset(interval)
	}
}

// dispatch serves an INTERACTION_CREATE in its own goroutine; at most
// cap(b.inbox) run at once, then the reader waits (back-pressure).
func (b *Bot) dispatch(raw json.RawMessage) {
	var in discordgo.Interaction
	if err := json.Unmarshal(raw, &in); err != nil {
		b.log.Warn("discord gateway: malformed interaction", "err", err)
		return
	}
	if in.ID == "" || in.Token == "" {
		return
	}
	if _, first := b.seen.claim(in.ID, b.clock.Now()); !first {
		return // redelivered after a resume: already answered
	}
	b.inbox <- struct{}{}
	ok := b.spawn(func() {
		defer func() { <-b.inbox }()
		b.serve(&in, true, func(r *response) {
			ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
			defer cancel()
			if err := b.callback(ctx, &in, r); err != nil {
				b.log.Error("discord interaction callback failed", "interaction", in.ID, "err", err)
			}
		})
	})
	if !ok {
		<-b.inbox
	}
}
