package discord

import (
	"context"
	"errors"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/fetch"
)

// fetchTimeout bounds one attachment download. It runs where the engine
// runs (serve's goroutine), so a slow download defers the interaction like
// a slow command does, within Discord's 3 s for the first answer.
const fetchTimeout = 10 * time.Second

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
	if err != nil || !b.files.Allowed(u) {
		b.log.Warn("discord attachment refused: not on the file host", "host", hostOf(a.URL), "cdn_url", b.cfg.CDNURL)
		return nil, bot.Errorf(bot.Invalid, "I only download attachments from Discord's own file host; attach the file again.")
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	data, err := b.files.Get(ctx, u, bot.MaxRoadmapFile)
	switch {
	case errors.Is(err, fetch.ErrTooLarge):
		return nil, bot.Errorf(bot.Invalid, "%s is larger than %d KB, the most a roadmap file may be.", name, bot.MaxRoadmapFile/1024)
	case errors.Is(err, fetch.ErrForeignHost) || errors.Is(err, fetch.ErrNotFile):
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
