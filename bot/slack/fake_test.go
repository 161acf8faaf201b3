package slack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// Test identities. The tokens are fake and must never show up in logs.
const (
	testBotToken = "xoxb-test-1234"
	testAppToken = "xapp-test-5678"
	testSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
	testTeam     = "T1"
)

// recorder wraps the real engine: it records every request the adapter makes
// and can replace a successful reply with a canned one, so adapter tests assert
// the adapter's behaviour and not the engine's wording.
type recorder struct {
	env    *bottest.Env
	eng    *bot.Engine
	mu     sync.Mutex
	reqs   []bot.Request
	canned map[string]*bot.Reply
	// stand answers these commands itself, without the engine: commands the
	// engine has not built yet, whose requests the adapter tests check.
	stand map[string]*bot.Reply
	gate  chan struct{} // when set, Handle waits for it (or its context)
}

// newRecorder wraps an engine on a temporary bbolt file with a fake clock.
func newRecorder(tb testing.TB) *recorder {
	env := bottest.New(tb)
	return &recorder{env: env, eng: env.Engine, canned: map[string]*bot.Reply{}, stand: map[string]*bot.Reply{}}
}

func (r *recorder) Handle(ctx context.Context, req *bot.Request) (*bot.Reply, error) {
	cp := *req
	cp.Args = maps.Clone(req.Args)
	r.mu.Lock()
	r.reqs = append(r.reqs, cp)
	canned := r.canned[req.Command]
	stand, standing := r.stand[req.Command]
	gate := r.gate
	r.mu.Unlock()
	if standing {
		return stand, nil
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, bot.Wrap(ctx.Err(), "handle "+req.Command)
		}
	}
	reply, err := r.eng.Handle(ctx, req)
	if err == nil && canned != nil {
		return canned, nil
	}
	return reply, err
}

func (r *recorder) Complete(ctx context.Context, req *bot.Request, option, partial string) []bot.Suggestion {
	return r.eng.Complete(ctx, req, option, partial)
}

func (r *recorder) Permit(ctx context.Context, req *bot.Request) error { return r.eng.Permit(ctx, req) }

func (r *recorder) requests(command string) []bot.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.Request
	for _, q := range r.reqs {
		if command == "" || q.Command == command {
			out = append(out, q)
		}
	}
	return out
}

// apiCall is one request the fake Slack received.
type apiCall struct {
	Method string     // "chat.postMessage", "response", "upload"
	Form   url.Values // form-encoded calls
	Body   []byte     // JSON calls
}

// fakeSlack is a local Slack: the Web API methods the adapter calls, a Socket
// Mode websocket, response_urls and the file upload URL, all on one loopback
// httptest server. It records every call.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	calls   []apiCall
	changed chan struct{}
	// post decides chat.postMessage's answer for its n-th call (from 1); nil or
	// a false ok means a normal success.
	post func(n int, w http.ResponseWriter) bool
	// publish does the same for views.publish.
	publish func(n int, w http.ResponseWriter) bool

	conns chan *websocket.Conn

	// files is Slack's file host, on its own server as in production:
	// uploaded files by path. filesServe, when set, answers instead.
	files      *httptest.Server
	fileData   map[string][]byte
	filesServe func(w http.ResponseWriter, r *http.Request)
	fileGets   []*http.Request
}

// users known to users.info.
var fakeUsers = map[string]string{
	"U1":     `{"id":"U1","team_id":"T1","name":"ann","real_name":"Ann Example","tz":"Europe/Berlin","profile":{"display_name":"ann"}}`,
	"UADMIN": `{"id":"UADMIN","team_id":"T1","name":"boss","real_name":"Boss","tz":"America/New_York","is_admin":true,"profile":{"display_name":""}}`,
	"UMOD":   `{"id":"UMOD","team_id":"T1","name":"mod","real_name":"Mo","tz":"Asia/Tokyo","profile":{"display_name":"mo"}}`,
	"UOWNER": `{"id":"UOWNER","team_id":"T1","name":"own","tz":"UTC","is_owner":true,"profile":{}}`,
	"U2":     `{"id":"U2","team_id":"T1","name":"bob","real_name":"Bob","tz":"UTC","profile":{"display_name":"bob"}}`,
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, changed: make(chan struct{}), conns: make(chan *websocket.Conn, 4)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.fileData = map[string][]byte{}
	f.files = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.fileGets = append(f.fileGets, r)
		data, ok := f.fileData[r.URL.Path]
		serve := f.filesServe
		f.mu.Unlock()
		switch {
		case serve != nil:
			serve(w, r)
		case !ok:
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(data)
		}
	}))
	t.Cleanup(f.files.Close)
	return f
}

// downloads returns the requests the file host got.
func (f *fakeSlack) downloads() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.fileGets)
}

func (f *fakeSlack) apiURL() string { return f.srv.URL + "/api/" }

func (f *fakeSlack) responseURL(n int) string { return fmt.Sprintf("%s/response/%d", f.srv.URL, n) }

func (f *fakeSlack) record(c apiCall) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	close(f.changed)
	f.changed = make(chan struct{})
	n := 0
	for _, x := range f.calls {
		if x.Method == c.Method {
			n++
		}
	}
	return n
}

// callsTo returns the calls of one method, in order.
func (f *fakeSlack) callsTo(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// wait blocks until method has been called n times and returns those calls.
// The deadline only stops a broken test from hanging.
func (f *fakeSlack) wait(method string, n int) []apiCall {
	f.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		ch := f.changed
		f.mu.Unlock()
		if cs := f.callsTo(method); len(cs) >= n {
			return cs
		}
		select {
		case <-ch:
		case <-deadline:
			f.t.Fatalf("waited for %d calls to %s; got %d", n, method, len(f.callsTo(method)))
		}
	}
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/ws":
		up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			f.t.Errorf("websocket upgrade: %v", err)
			return
		}
		f.conns <- c
		return
	case strings.HasPrefix(r.URL.Path, "/response/"):
		body, _ := io.ReadAll(r.Body)
		f.record(apiCall{Method: "response", Body: body, Form: url.Values{"path": {r.URL.Path}}})
		return
	case strings.HasPrefix(r.URL.Path, "/upload/"):
		body, _ := io.ReadAll(r.Body)
		f.record(apiCall{Method: "upload", Body: body})
		fmt.Fprint(w, "OK")
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	var c apiCall
	c.Method = method
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		c.Body, _ = io.ReadAll(r.Body)
	} else {
		_ = r.ParseForm()
		c.Form = r.PostForm
	}
	n := f.record(c)
	if tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); tok == "" && c.Form.Get("token") == "" && method != "apps.connections.open" {
		f.t.Errorf("%s called without a token", method)
	}
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "auth.test":
		fmt.Fprint(w, `{"ok":true,"team_id":"T1","user_id":"UBOT","bot_id":"B1"}`)
	case "apps.connections.open":
		if r.Header.Get("Authorization") != "Bearer "+testAppToken {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"url":"ws%s/ws"}`, strings.TrimPrefix(f.srv.URL, "http"))
	case "users.info":
		u, ok := fakeUsers[c.Form.Get("user")]
		if !ok {
			fmt.Fprint(w, `{"ok":false,"error":"user_not_found"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"user":%s}`, u)
	case "conversations.open":
		user := c.Form.Get("users")
		switch user {
		case "UBOT":
			fmt.Fprint(w, `{"ok":false,"error":"cannot_dm_bot"}`)
		case "UGONE":
			fmt.Fprint(w, `{"ok":false,"error":"user_not_found"}`)
		default:
			fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, user)
		}
	case "chat.postMessage":
		if f.post != nil && f.post(n, w) {
			return
		}
		switch ch := c.Form.Get("channel"); ch {
		case "CGONE", "UGONE":
			fmt.Fprint(w, `{"ok":false,"error":"channel_not_found"}`)
		case "COUT":
			fmt.Fprint(w, `{"ok":false,"error":"not_in_channel"}`)
		case "UBOT":
			fmt.Fprint(w, `{"ok":false,"error":"cannot_dm_bot"}`)
		case "UOFF":
			fmt.Fprint(w, `{"ok":false,"error":"user_disabled"}`)
		case "UTAB":
			fmt.Fprint(w, `{"ok":false,"error":"messages_tab_disabled"}`)
		default:
			if strings.HasPrefix(ch, "U") {
				// A user id as the channel: Slack posts in the DM and
				// answers with its id.
				fmt.Fprintf(w, `{"ok":true,"channel":"D%s","ts":"1700000000.%06d"}`, ch, n)
				return
			}
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.%06d"}`, c.Form.Get("channel"), n)
		}
	case "chat.postEphemeral":
		fmt.Fprint(w, `{"ok":true,"message_ts":"1700000000.000001"}`)
	case "views.open":
		fmt.Fprint(w, `{"ok":true,"view":{"id":"V1"}}`)
	case "views.publish":
		if f.publish != nil && f.publish(n, w) {
			return
		}
		fmt.Fprint(w, `{"ok":true,"view":{"id":"V1"}}`)
	case "files.getUploadURLExternal":
		fmt.Fprintf(w, `{"ok":true,"upload_url":"%s/upload/F1","file_id":"F1"}`, f.srv.URL)
	case "files.completeUploadExternal":
		fmt.Fprint(w, `{"ok":true,"files":[{"id":"F1","title":"card"}]}`)
	default:
		fmt.Fprintf(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

type logBuffer = bottest.LogBuffer

// fakeSleep records waits instead of sleeping.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *fakeSleep) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

// testBot is a Bot wired to a fake Slack, a recording engine, a fixed clock and
// a log buffer that is checked for secrets when the test ends.
type testBot struct {
	*Bot
	fake  *fakeSlack
	rec   *recorder
	logs  *logBuffer
	naps  *fakeSleep
	clock *bottest.Clock // the engine's clock, and the adapter's
}

func newTestBot(t testing.TB, mode string) *testBot {
	t.Helper()
	f := newFakeSlack(t)
	rec := newRecorder(t)
	logs := &logBuffer{}
	clock := rec.env.Clock
	cfg := Config{Mode: mode, BotToken: testBotToken, AppToken: testAppToken, SigningSecret: testSecret, Moderators: []string{"UMOD"}, APIURL: f.apiURL(), FilesURL: f.files.URL}
	if mode == ModeHTTP {
		cfg.AppToken = ""
	}
	b, err := New(cfg, rec, clock, slog.New(bottest.ScanHandler(logs)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.cancel)
	naps := &fakeSleep{}
	b.sleep = naps.sleep
	b.ackBudget = 30 * time.Second // answers come in the acknowledgement unless a test says otherwise
	t.Cleanup(func() {
		for _, s := range []string{testBotToken, testAppToken, testSecret} {
			if strings.Contains(logs.String(), s) {
				t.Errorf("a secret was logged:\n%s", logs.String())
			}
		}
	})
	return &testBot{Bot: b, fake: f, rec: rec, logs: logs, naps: naps, clock: clock}
}
