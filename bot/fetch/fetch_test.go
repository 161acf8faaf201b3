package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestValidBase(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://cdn.discordapp.com": true,
		"http://127.0.0.1:8080":      true,
		"http://[::1]:8080":          true,
		"http://cdn.discordapp.com":  false,
		"http://localhost:8080":      false,
		"ftp://cdn.discordapp.com":   false,
		"cdn.discordapp.com":         false,
		"https://u:p@cdn.example":    false,
		"https://cdn.example/?a=b":   false,
	} {
		if got := ValidBase(raw); got != want {
			t.Errorf("ValidBase(%q) = %v, want %v", raw, got, want)
		}
	}
}

// TestGet: the host's files come back with its header; anything off the
// host, too large, a web page or a redirect elsewhere is refused, and no
// error holds the URL.
func TestGet(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/files/ok.toml":
			w.Write([]byte("id = \"go\""))
		case "/files/big.toml":
			w.Write([]byte(strings.Repeat("#", 101)))
		case "/files/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<html>"))
		case "/files/away":
			http.Redirect(w, r, "http://127.0.0.2:1/x?sig=secret", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	h := New(srv.URL+"/files", http.Header{"Authorization": {"Bearer t"}}, time.Second)
	get := func(p string) ([]byte, error) {
		u, _ := url.Parse(srv.URL + p)
		return h.Get(context.Background(), u, 100)
	}
	if data, err := get("/files/ok.toml?sig=secret"); err != nil || string(data) != "id = \"go\"" || gotAuth != "Bearer t" {
		t.Errorf("ok: %q, %v, auth %q", data, err, gotAuth)
	}
	for p, want := range map[string]error{
		"/files/big.toml": ErrTooLarge,
		"/files/page":     ErrNotFile,
		"/other/ok.toml":  ErrForeignHost,
		"/files/away":     ErrForeignHost,
	} {
		_, err := get(p)
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", p, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error holds the URL: %v", p, err)
		}
	}
	if _, err := get("/files/missing?sig=secret"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("missing: %v", err)
	}
}
