package discord

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// fetchTimeout bounds one attachment download. It runs where the engine
// runs (serve's goroutine), so a slow download defers the interaction like
// a slow command does, within Discord's 3 s for the first answer.
const fetchTimeout = 10 * time.Second

// maxRedirects bounds the redirects one download follows, all on the file
// host.
const maxRedirects = 3

// errForeignHost refuses a URL, or a redirect, off the file host.
var errForeignHost = errors.New("not on the file host")

// errTooLarge is a body past bot.MaxRoadmapFile.
var errTooLarge = errors.New("file too large")

// downloader fetches a member's attachments from Discord's file host
// (Config.CDNURL) and nowhere else: the URL comes inside the interaction,
// and the bot must not fetch whatever a payload names. It sends no
// credentials; Discord's attachment URLs are signed.
type downloader struct {
	base   *url.URL
	client *http.Client
}

func newDownloader(base string) *downloader {
	u, _ := url.Parse(base) // Validate checked it
	d := &downloader{base: u}
	d.client = &http.Client{
		Timeout: fetchTimeout,
		CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if !d.allowed(r.URL) {
				return errForeignHost
			}
			if len(via) >= maxRedirects {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
	return d
}

// allowed reports whether u is on the file host: same scheme and host (port
// included) and under its path, with no credentials in it.
func (d *downloader) allowed(u *url.URL) bool {
	if u == nil || u.User != nil || u.Scheme != d.base.Scheme || !strings.EqualFold(u.Host, d.base.Host) {
		return false
	}
	return d.base.Path == "" || strings.HasPrefix(u.Path, d.base.Path+"/")
}

// get downloads u, reading at most bot.MaxRoadmapFile bytes; a longer body
// is errTooLarge. Errors never hold the URL (its query is a signature).
func (d *downloader) get(ctx context.Context, u *url.URL) ([]byte, error) {
	if !d.allowed(u) {
		return nil, errForeignHost
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, redact(err)
	}
	req.Header.Set("User-Agent", "DiscordBot (https://github.com/studybot/studybot, 1.0)")
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, redact(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > bot.MaxRoadmapFile {
		return nil, errTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, bot.MaxRoadmapFile+1))
	if err != nil {
		return nil, redact(err)
	}
	if len(data) > bot.MaxRoadmapFile {
		return nil, errTooLarge
	}
	return data, nil
}

// fileHost reports whether raw can be a file host: an https URL, or http on
// a loopback address (a test's fake), with no query or credentials.
func fileHost(raw string) bool {
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

// attached is the attachment given for a command's KindFile option, from
// the interaction's resolved data; nil when there is none.
func attached(in *discordgo.Interaction) *discordgo.MessageAttachment {
	if in.Type != discordgo.InteractionApplicationCommand {
		return nil
	}
	data, ok := in.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok {
		return nil
	}
	opts := data.Options
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup || opts[0].Type == discordgo.ApplicationCommandOptionSubCommand) {
		opts = opts[0].Options
	}
	for _, o := range opts {
		if o.Type == discordgo.ApplicationCommandOptionAttachment {
			return resolved(data, o)
		}
	}
	return nil
}

// resolved looks up an ATTACHMENT option's value (the attachment's id) in
// the interaction's resolved attachments.
func resolved(data discordgo.ApplicationCommandInteractionData, o *discordgo.ApplicationCommandInteractionDataOption) *discordgo.MessageAttachment {
	id, ok := o.Value.(string)
	if !ok || data.Resolved == nil {
		return nil
	}
	a := data.Resolved.Attachments[id]
	if a == nil || a.Filename == "" {
		return nil
	}
	return a
}

// attachmentFile downloads a member's attachment for the engine: a .toml
// file of at most bot.MaxRoadmapFile bytes, from the file host only. Each
// refusal is a one-line Invalid error for the member; the cause, when it is
// not theirs, is logged.
func (b *Bot) attachmentFile(ctx context.Context, a *discordgo.MessageAttachment) (*bot.File, error) {
	name := clipRunes(a.Filename, 60)
	if !strings.EqualFold(path.Ext(a.Filename), ".toml") {
		return nil, bot.Errorf(bot.Invalid, "%s is not a .toml file; attach the roadmap's .toml file.", name)
	}
	if a.Size > bot.MaxRoadmapFile {
		return nil, bot.Errorf(bot.Invalid, "%s is %d KB; a roadmap file may be at most %d KB.", name, (a.Size+1023)/1024, bot.MaxRoadmapFile/1024)
	}
	u, err := url.Parse(a.URL)
	if err != nil || !b.files.allowed(u) {
		b.log.Warn("discord attachment refused: not on the file host", "host", hostOf(a.URL), "cdn_url", b.cfg.CDNURL)
		return nil, bot.Errorf(bot.Invalid, "I only download attachments from Discord's own file host; attach the file again.")
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	data, err := b.files.get(ctx, u)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, bot.Errorf(bot.Invalid, "%s is larger than %d KB, the most a roadmap file may be.", name, bot.MaxRoadmapFile/1024)
	case errors.Is(err, errForeignHost):
		b.log.Warn("discord attachment refused: redirected off the file host")
		return nil, bot.Errorf(bot.Invalid, "I only download attachments from Discord's own file host; attach the file again.")
	case ctx.Err() != nil:
		b.log.Warn("discord attachment download timed out", "after", fetchTimeout)
		return nil, bot.Errorf(bot.Invalid, "Downloading %s took too long; please try again.", name)
	case err != nil:
		b.log.Warn("discord attachment download failed", "err", err)
		return nil, bot.Errorf(bot.Invalid, "I could not download %s from Discord; please attach it again.", name)
	}
	typ := strings.TrimSpace(a.ContentType)
	if typ == "" {
		typ = "application/toml"
	}
	return &bot.File{Name: a.Filename, Type: typ, Data: data}, nil
}

// hostOf is a URL's host, for logs (the rest may be a signature).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Host
}
