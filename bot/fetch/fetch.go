// Package fetch downloads a member's file from one platform file host and
// nowhere else: the URL comes inside a platform payload, and the bot must
// not fetch whatever a payload names (nor send its token anywhere else).
// Downloads are bounded in size and time, follow redirects only on the
// host, and their errors never hold the URL (its query may be a signature).
// It uses the standard library only; bot/discord and bot/slack share it.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxRedirects bounds the redirects one download follows, all on the host.
const MaxRedirects = 3

// Reasons a download is refused.
var (
	ErrForeignHost = errors.New("not on the file host")
	ErrTooLarge    = errors.New("file too large")
	ErrNotFile     = errors.New("a web page, not the file")
)

// ValidBase reports whether raw can be a file host: an https URL, or http on
// a loopback address (a test's fake), with no query or credentials.
func ValidBase(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		ip := net.ParseIP(u.Hostname())
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// Host downloads from one file host.
type Host struct {
	base   *url.URL
	header http.Header
	client *http.Client
}

// New returns a Host for base (checked with ValidBase), sending header
// (credentials, a user agent) with every request, each bounded by timeout.
func New(base string, header http.Header, timeout time.Duration) *Host {
	u, _ := url.Parse(base)
	h := &Host{base: u, header: header}
	h.client = &http.Client{
		Timeout: timeout,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if !h.Allowed(r.URL) {
				return ErrForeignHost
			}
			if len(via) >= MaxRedirects {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	return h
}

// Allowed reports whether u is on the host: same scheme and host (port
// included) and under its path, with no credentials in it.
func (h *Host) Allowed(u *url.URL) bool {
	if u == nil || u.User != nil || u.Scheme != h.base.Scheme || !strings.EqualFold(u.Host, h.base.Host) {
		return false
	}
	return h.base.Path == "" || strings.HasPrefix(u.Path, h.base.Path+"/")
}

// Get downloads u, reading at most max bytes: a longer body is
// ErrTooLarge, an HTML page (a login page instead of the file) ErrNotFile.
func (h *Host) Get(ctx context.Context, u *url.URL, max int64) ([]byte, error) {
	if !h.Allowed(u) {
		return nil, ErrForeignHost
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, withoutURL(err)
	}
	for k, vs := range h.header {
		req.Header[k] = vs
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, withoutURL(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
		return nil, ErrNotFile
	}
	if resp.ContentLength > max {
		return nil, ErrTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, withoutURL(err)
	}
	if int64(len(data)) > max {
		return nil, ErrTooLarge
	}
	return data, nil
}

// withoutURL drops the URL net/http puts in its errors.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
