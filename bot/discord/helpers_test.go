package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

const (
	testToken = "MTEx.test-bot-token.SECRET"
	testApp   = "900"
)

// testLog returns a logger that writes everything, down to debug, into buf.
func testLog(buf *syncBuffer) *slog.Logger {
	return scanLog(buf)
}

type syncBuffer = bottest.LogBuffer

// fixture reads testdata/interactions/<name>.json.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "interactions", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// call is one REST request the fake Discord received.
type call struct {
	Method, Path string
	Auth         string
	Body         []byte            // JSON, or payload_json of a multipart body
	Files        map[string][]byte // multipart file name -> content
}

func (c call) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatalf("%s %s: body %q: %v", c.Method, c.Path, c.Body, err)
	}
	return m
}

// fakeDiscord is a local Discord: REST routes under /api/v10 and a gateway
// websocket at /gateway. Tests override REST answers with rest, and script the
// gateway with the fields below.
type fakeDiscord struct {
	t     testing.TB
	srv   *httptest.Server
	calls chan call

	mu   sync.Mutex
	rest func(c call) (status int, body string, ok bool) // override; ok=false falls through
	// header is added to every REST answer; set it before the bot runs.
	header http.Header
	all    []call

	heartbeatMS int
	// afterIdentify, when set, runs instead of READY and events.
	afterIdentify func(ws *websocket.Conn, identify map[string]any)
	// afterReady, when set, runs after READY instead of serving events; n is the
	// connection number from 1.
	afterReady func(ws *websocket.Conn, n int) bool
	conns      int
	identifies chan map[string]any
	beats      chan struct{}
	events     chan []byte
}

func newFakeDiscord(t testing.TB) *fakeDiscord {
	f := &fakeDiscord{
		t:           t,
		calls:       make(chan call, 1000),
		heartbeatMS: 45000,
		identifies:  make(chan map[string]any, 10),
		beats:       make(chan struct{}, 100),
		events:      make(chan []byte, 100),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/gateway", f.serveGateway)
	mux.HandleFunc("/api/v10/", f.serveREST)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDiscord) apiURL() string { return f.srv.URL + "/api/v10" }
func (f *fakeDiscord) gatewayURL() string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway"
}

func (f *fakeDiscord) setREST(fn func(c call) (int, string, bool)) {
	f.mu.Lock()
	f.rest = fn
	f.mu.Unlock()
}

func (f *fakeDiscord) serveREST(w http.ResponseWriter, r *http.Request) {
	c := call{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/api/v10"), Auth: r.Header.Get("Authorization")}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		c.Files = map[string][]byte{}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(p)
			if p.FormName() == "payload_json" {
				c.Body = data
			} else {
				c.Files[p.FileName()] = data
			}
		}
	} else {
		c.Body, _ = io.ReadAll(r.Body)
	}
	f.mu.Lock()
	f.all = append(f.all, c)
	override := f.rest
	for k, v := range f.header {
		w.Header()[k] = v
	}
	f.mu.Unlock()
	select {
	case f.calls <- c:
	default: // nobody is waiting for calls; callsTo still sees it
	}
	if override != nil {
		if status, body, ok := override(c); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case c.Method == http.MethodGet && c.Path == "/gateway/bot":
		fmt.Fprintf(w, `{"url":%q,"shards":1,"session_start_limit":{"total":1000,"remaining":999,"reset_after":0,"max_concurrency":1}}`, "ws"+strings.TrimPrefix(f.srv.URL, "http")+"/gateway")
	case c.Method == http.MethodPost && c.Path == "/users/@me/channels":
		var in struct {
			RecipientID string `json:"recipient_id"`
		}
		json.Unmarshal(c.Body, &in)
		fmt.Fprintf(w, `{"id":"7%s","type":1}`, in.RecipientID)
	case strings.HasSuffix(c.Path, "/callback"):
		w.WriteHeader(http.StatusNoContent)
	default:
		io.WriteString(w, `{"id":"1"}`)
	}
}

// callsTo returns the calls so far whose path has the prefix.
func (f *fakeDiscord) callsTo(method, prefix string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.all {
		if c.Method == method && strings.HasPrefix(c.Path, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// waitCall waits for the next REST call matching method and path prefix,
// skipping others.
func (f *fakeDiscord) waitCall(method, prefix string) call {
	f.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-f.calls:
			if c.Method == method && strings.HasPrefix(c.Path, prefix) {
				return c
			}
		case <-timeout:
			f.t.Fatalf("no %s %s call", method, prefix)
		}
	}
}

var upgrader = websocket.Upgrader{}

func (f *fakeDiscord) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	f.mu.Lock()
	f.conns++
	n := f.conns
	f.mu.Unlock()
	ws.WriteJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": f.heartbeatMS}})
	var id map[string]any
	if err := ws.ReadJSON(&id); err != nil {
		return
	}
	f.identifies <- id
	if f.afterIdentify != nil {
		f.afterIdentify(ws, id)
		return
	}
	ws.WriteJSON(map[string]any{"op": 0, "t": "READY", "s": 1, "d": map[string]any{
		"v": 10, "session_id": "sess-1", "resume_gateway_url": f.gatewayURL(),
		"user": map[string]any{"id": "900", "username": "studybot"},
	}})
	var wmu sync.Mutex
	write := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		return ws.WriteJSON(v)
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			var fr map[string]any
			if err := ws.ReadJSON(&fr); err != nil {
				return
			}
			if op, _ := fr["op"].(float64); op == 1 {
				select {
				case f.beats <- struct{}{}:
				default:
				}
				write(map[string]any{"op": 11})
			}
		}
	}()
	if f.afterReady != nil && f.afterReady(ws, n) {
		return
	}
	seq := 1
	for {
		select {
		case ev := <-f.events:
			seq++
			if write(map[string]any{"op": 0, "t": "INTERACTION_CREATE", "s": seq, "d": json.RawMessage(ev)}) != nil {
				return
			}
		case <-closed:
			return
		}
	}
}

// signer signs interaction requests like Discord does.
type signer struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newSigner(t testing.TB) *signer {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &signer{pub, priv}
}

func (s *signer) hexKey() string { return hex.EncodeToString(s.pub) }

// request builds a signed POST of body at time ts.
func (s *signer) request(url string, body []byte, ts time.Time) *http.Request {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig := ed25519.Sign(s.priv, append([]byte(stamp), body...))
	r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	r.Header.Set("X-Signature-Timestamp", stamp)
	return r
}

// decodeResponse reads an interaction response.
func decodeResponse(t testing.TB, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("response %q: %v", data, err)
	}
	return resp.StatusCode, m
}

// respType and respFlags read an interaction response's type and data.flags.
func respType(m map[string]any) int { n, _ := m["type"].(float64); return int(n) }

func respData(m map[string]any) map[string]any { d, _ := m["data"].(map[string]any); return d }

func respFlags(m map[string]any) int {
	n, _ := respData(m)["flags"].(float64)
	return int(n)
}

func respContent(m map[string]any) string { s, _ := respData(m)["content"].(string); return s }

// recorder is a bot.Handler that records requests and answers with reply.
type recorder struct {
	mu    sync.Mutex
	reqs  []*bot.Request
	reply *bot.Reply
	err   error
	gate  chan struct{} // when set, handle waits for it
}

func (r *recorder) Handle(ctx context.Context, req *bot.Request) (*bot.Reply, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	gate := r.gate
	r.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return r.reply, r.err
}

func (r *recorder) Complete(context.Context, *bot.Request, string, string) []bot.Suggestion {
	return nil
}

func (r *recorder) Permit(context.Context, *bot.Request) error { return nil }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

var errSentinel = errors.New("sentinel")
