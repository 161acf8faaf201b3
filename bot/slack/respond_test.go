package slack

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// TestRespondPooledBody holds respond's pooled body to what a
// bytes.Reader body sent: a Content-Length (not chunked), the same body
// after a 307 redirect, and, with many posts at once, every post's own
// bytes (no buffer handed to another post while still being sent).
func TestRespondPooledBody(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/to/moved", http.StatusTemporaryRedirect)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if r.ContentLength != int64(len(body)) || len(r.TransferEncoding) != 0 || r.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			http.Error(w, "length "+strconv.FormatInt(r.ContentLength, 10), http.StatusBadRequest)
			return
		}
		want := payload{ResponseType: ephemeral, Text: r.URL.Path}
		if string(body) != string(want.json()) {
			http.Error(w, "body "+string(body), http.StatusBadRequest)
			return
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	if err := tb.Bot.respond(ctx, srv.URL+"/moved", payload{ResponseType: ephemeral, Text: "/to/moved"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			path := "/" + strconv.Itoa(i)
			if err := tb.Bot.respond(ctx, srv.URL+path, payload{ResponseType: ephemeral, Text: path}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := tb.Bot.respond(ctx, "http://[::1", payload{Text: "x"}); err == nil {
		t.Error("a malformed response_url was posted to")
	}
}
