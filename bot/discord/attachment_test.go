package discord

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// roadmapTOML is a small roadmap file, as a moderator would attach it.
var roadmapTOML = []byte("id = \"backend\"\ntitle = \"Backend\"\n")

// fakeCDN is a local Discord file host: it serves files by path and records
// every request it gets.
type fakeCDN struct {
	srv *httptest.Server

	mu    sync.Mutex
	files map[string][]byte
	gets  []*http.Request
	// serve, when set, answers instead of files.
	serve func(w http.ResponseWriter, r *http.Request)
}

func newFakeCDN(t *testing.T) *fakeCDN {
	t.Helper()
	c := &fakeCDN{files: map[string][]byte{}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.gets = append(c.gets, r)
		data, ok := c.files[r.URL.Path]
		serve := c.serve
		c.mu.Unlock()
		if serve != nil {
			serve(w, r)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *fakeCDN) requests() []*http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*http.Request(nil), c.gets...)
}

// attachmentPath is where studymod_roadmap_add's attachment lives.
const attachmentPath = "/ephemeral-attachments/5001/7001/backend.toml"

// roadmapAdd is the studymod_roadmap_add fixture with its attachment's
// fields changed by edit (which sees the JSON object), and the real CDN
// host in its URL replaced by cdn.
func roadmapAdd(t *testing.T, cdn string, edit func(a map[string]any)) []byte {
	t.Helper()
	data := bytes.ReplaceAll(fixture(t, "studymod_roadmap_add"), []byte("https://cdn.discordapp.com"), []byte(cdn))
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	a := m["data"].(map[string]any)["resolved"].(map[string]any)["attachments"].(map[string]any)["7001"].(map[string]any)
	if edit != nil {
		edit(a)
	}
	out, _ := json.Marshal(m)
	return out
}

// TestAttachmentReachesEngine: /studymod roadmap add with an attachment
// downloads it from the file host, without the bot token, and the engine
// gets its name and bytes.
func TestAttachmentReachesEngine(t *testing.T) {
	cdn := newFakeCDN(t)
	cdn.files[attachmentPath] = roadmapTOML
	rec := &recorder{reply: &bot.Reply{Title: "Backend: 1 section added"}}
	e := newHTTPEnv(t, Config{CDNURL: cdn.srv.URL}, rec)
	_, m := e.post(roadmapAdd(t, cdn.srv.URL, nil))
	if respType(m) != 4 || respFlags(m) != 64 {
		t.Fatalf("answer %v, want type 4 ephemeral", m)
	}
	if rec.count() != 1 {
		t.Fatalf("engine ran %d times, want 1", rec.count())
	}
	got := rec.reqs[0]
	if got.Command != "roadmap add" || got.Args["file"] != "backend.toml" || got.Access != bot.AccessModerator {
		t.Errorf("request %+v", got)
	}
	want := &bot.File{Name: "backend.toml", Type: "application/toml; charset=utf-8", Data: roadmapTOML}
	if f := got.File; f == nil || f.Name != want.Name || f.Type != want.Type || !bytes.Equal(f.Data, want.Data) {
		t.Errorf("file %+v, want %+v", f, want)
	}
	gets := cdn.requests()
	if len(gets) != 1 || gets[0].URL.Path != attachmentPath || gets[0].URL.Query().Get("hm") != "0123abcd" {
		t.Fatalf("CDN requests %v, want one GET of the signed URL", gets)
	}
	if a := gets[0].Header.Get("Authorization"); a != "" {
		t.Errorf("the download sent Authorization %q; the CDN gets no token", a)
	}
}

// TestAttachmentWithoutContentType: a file Discord gives no type is
// application/toml.
func TestAttachmentWithoutContentType(t *testing.T) {
	cdn := newFakeCDN(t)
	cdn.files[attachmentPath] = roadmapTOML
	rec := &recorder{}
	e := newHTTPEnv(t, Config{CDNURL: cdn.srv.URL}, rec)
	e.post(roadmapAdd(t, cdn.srv.URL, func(a map[string]any) { delete(a, "content_type") }))
	if rec.count() != 1 || rec.reqs[0].File == nil || rec.reqs[0].File.Type != "application/toml" {
		t.Fatalf("requests %+v, want one with an application/toml file", rec.reqs)
	}
}

// TestAttachmentRefused: an attachment the bot must not or cannot take gets
// a one-line private answer, and the engine never runs.
func TestAttachmentRefused(t *testing.T) {
	other := newFakeCDN(t) // another host, on the same loopback address
	other.files[attachmentPath] = roadmapTOML
	tests := []struct {
		name  string
		edit  func(a map[string]any)
		serve func(w http.ResponseWriter, r *http.Request) // the CDN's answer, when not the file
		says  string
		gets  int // requests the CDN should see
	}{
		{name: "ErrForeignHost", edit: func(a map[string]any) {
			a["url"] = other.srv.URL + attachmentPath
		}, says: "Discord's own file host"},
		{name: "ErrMediaProxy", edit: func(a map[string]any) {
			a["url"] = "https://media.discordapp.net" + attachmentPath
		}, says: "Discord's own file host"},
		{name: "ErrOtherScheme", edit: func(a map[string]any) {
			a["url"] = strings.Replace(a["url"].(string), "http://", "https://", 1)
		}, says: "Discord's own file host"},
		{name: "ErrRedirectOffHost", serve: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.srv.URL+attachmentPath, http.StatusFound)
		}, says: "Discord's own file host", gets: 1},
		{name: "ErrDeclaredTooLarge", edit: func(a map[string]any) {
			a["size"] = bot.MaxRoadmapFile + 1
		}, says: "backend.toml is 257 KB; a roadmap file may be at most 256 KB."},
		{name: "ErrBodyTooLarge", serve: func(w http.ResponseWriter, r *http.Request) {
			w.Write(bytes.Repeat([]byte("#"), bot.MaxRoadmapFile+1))
		}, says: "larger than 256 KB", gets: 1},
		{name: "ErrBodyTooLargeDeclaredLength", serve: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "999999999")
			w.WriteHeader(http.StatusOK)
		}, says: "larger than 256 KB", gets: 1},
		{name: "ErrNotTOML", edit: func(a map[string]any) {
			a["filename"] = "backend.txt"
			a["url"] = strings.Replace(a["url"].(string), ".toml", ".txt", 1)
		}, says: "backend.txt is not a .toml file"},
		{name: "ErrNotFound", serve: http.NotFound, says: "could not download backend.toml", gets: 1},
		{name: "ErrNotResolved", edit: func(a map[string]any) { a["filename"] = "" }, says: "could not find the file you attached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cdn := newFakeCDN(t)
			cdn.files[attachmentPath] = roadmapTOML
			cdn.serve = tt.serve
			rec := &recorder{reply: &bot.Reply{Title: "added"}}
			e := newHTTPEnv(t, Config{CDNURL: cdn.srv.URL}, rec)
			_, m := e.post(roadmapAdd(t, cdn.srv.URL, tt.edit))
			if respType(m) != 4 || respFlags(m) != 64 || !strings.Contains(respContent(m), tt.says) {
				t.Errorf("answer %v, want a private message saying %q", m, tt.says)
			}
			if strings.Contains(respContent(m), "\n") {
				t.Errorf("answer %q is more than one line", respContent(m))
			}
			if n := rec.count(); n != 0 {
				t.Errorf("engine ran %d times with %+v", n, rec.reqs[0])
			}
			if n := len(cdn.requests()); n != tt.gets {
				t.Errorf("CDN got %d requests, want %d", n, tt.gets)
			}
		})
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the foreign host got %d requests", n)
	}
}

// TestAttachmentSlowDownloadDefers: the download is part of the work that
// Discord's 3 s are counted against, so a slow one defers the interaction
// and the engine's answer is edited in after it.
func TestAttachmentSlowDownloadDefers(t *testing.T) {
	cdn := newFakeCDN(t)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the CDN closes, which waits for its handlers
	cdn.serve = func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write(roadmapTOML)
	}
	rec := &recorder{reply: &bot.Reply{Title: "Backend added"}}
	e := newHTTPEnv(t, Config{CDNURL: cdn.srv.URL}, rec)
	e.b.deferAfter = 20 * time.Millisecond
	_, m := e.post(roadmapAdd(t, cdn.srv.URL, nil))
	if respType(m) != 5 || respFlags(m) != 64 {
		t.Fatalf("answer %v, want a private deferral (type 5)", m)
	}
	if rec.count() != 0 {
		t.Fatal("the engine ran before the download finished")
	}
	free()
	c := e.fd.waitCall(http.MethodPatch, "/webhooks/900/itok-1010-SECRET/messages/@original")
	if !strings.Contains(string(c.Body), "Backend added") {
		t.Errorf("edit = %s", c.Body)
	}
	if rec.count() != 1 || !bytes.Equal(rec.reqs[0].File.Data, roadmapTOML) {
		t.Errorf("engine requests %+v, want one with the file", rec.reqs)
	}
}

// TestFileHost: what discord.cdn_url may be.
