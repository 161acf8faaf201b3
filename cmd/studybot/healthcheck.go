package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// runHealthcheck GETs /healthz (or /readyz with --ready) of the bot running
// on this machine and fails unless it answers 200. The scratch image has no
// shell and no curl, so its HEALTHCHECK runs this.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", stderr, "healthcheck [--config F] [--ready] [--url URL]")
	cfgPath := fs.String("config", configPath(), "config file (TOML); http.listen says where the bot listens")
	ready := fs.Bool("ready", false, "check /readyz (every adapter connected) instead of /healthz")
	target := fs.String("url", "", "URL to check (default: http://127.0.0.1<http.listen>/healthz)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u := *target
	if u == "" {
		// Only http.listen matters here: a config the running bot accepted
		// is read the same way, and one it refused left nothing to check.
		cfg, err := LoadConfig(*cfgPath, os.LookupEnv)
		if cfg.HTTP.Listen == "" {
			if err != nil {
				return err
			}
			return errors.New("http.listen is not set, so the bot serves no /healthz to check (set STUDYBOT_HTTP_LISTEN=:8080)")
		}
		addr, err := localAddr(cfg.HTTP.Listen)
		if err != nil {
			return err
		}
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		u = "http://" + addr + path
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", u, resp.StatusCode, msg)
	}
	fmt.Fprintln(stdout, msg)
	return nil
}

// localAddr turns a listen address into one to dial on this machine: a
// wildcard or missing host (":8080", "0.0.0.0:8080", "[::]:8080") becomes
// 127.0.0.1; a named host is kept.
func localAddr(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("http.listen %q: %w", listen, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// allowlist shows a guild_ids or allowed_teams list for check-config.
func allowlist(ids []string) string {
	if len(ids) == 0 {
		return "(all)"
	}
	return strings.Join(ids, ",")
}
