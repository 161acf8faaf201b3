package discord

import (
	"context"
	"errors"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// maxDMCache bounds the cache of DM channel ids; past it the cache starts over
// (a DM channel is cheap to look up again).
const maxDMCache = 100_000

// Direct sends r to a member as a direct message. The DM channel is created
// once and its id kept (in memory, and through Config.DMChannels when set, so
// a restart does not cost every member a second request). Every request is
// paced (Config.SendRate, and the channel's own route limit) and 429s are
// waited out. Errors: Unreachable when Discord refuses to deliver (50007: the
// member closed DMs from server members or blocked the bot), Gone when it no
// longer knows the user, Internal otherwise. A stored channel Discord no
// longer knows (10003) is forgotten and a new one opened: the channel is gone,
// not the member.
func (b *Bot) Direct(ctx context.Context, sp bot.Space, member string, r *bot.Reply) error {
	if sp.Platform != bot.PlatformDiscord || !snowflake(member) {
		return bot.Errorf(bot.Invalid, "That is not a Discord member.")
	}
	m := render(r, sp.ID, "") // a DM: never a moderator's button
	m.Flags = 0
	for try := 0; try < 2; try++ {
		ch, err := b.dmChannel(ctx, sp, member)
		if err != nil {
			return err
		}
		err = b.send(ctx, true, "send direct message", http.MethodPost, "/channels/"+ch+"/messages", m, m.files, nil)
		var ae *apiError
		if errors.As(err, &ae) && ae.Code == discordgo.ErrCodeUnknownChannel && try == 0 {
			b.forgetDM(ctx, sp, member) // the cached channel is gone: open a new one
			continue
		}
		return deliveryError(err, "direct message")
	}
	return nil
}

// Post sends r to a channel for everyone there (challenge posts). Errors:
// NotFound when the channel does not exist or the bot may not post there;
// Internal otherwise.
func (b *Bot) Post(ctx context.Context, sp bot.Space, channel string, r *bot.Reply) error {
	if sp.Platform != bot.PlatformDiscord || !snowflake(channel) {
		return bot.Errorf(bot.NotFound, "That is not a Discord channel.")
	}
	m := render(r, sp.ID, "") // seen by the whole channel
	m.Flags = 0
	err := b.send(ctx, true, "post message", http.MethodPost, "/channels/"+channel+"/messages", m, m.files, nil)
	return deliveryError(err, "post")
}

// dmChannel returns the member's DM channel id: from memory, else from
// Config.DMChannels, else created (and then kept in both). A failing store
// only costs the request it would have saved, so it is logged, not returned.
func (b *Bot) dmChannel(ctx context.Context, sp bot.Space, member string) (string, error) {
	b.dmMu.Lock()
	ch, ok := b.dms[member]
	b.dmMu.Unlock()
	if ok {
		return ch, nil
	}
	if store := b.cfg.DMChannels; store != nil {
		ch, err := store.DMChannel(ctx, sp, member)
		if err != nil {
			b.log.Warn("read stored DM channel", "space", sp.Key(), "member", member, "err", err)
		} else if ch != "" {
			b.remember(member, ch)
			return ch, nil
		}
	}
	var out struct {
		ID string `json:"id"`
	}
	err := b.send(ctx, true, "create DM channel", http.MethodPost, "/users/@me/channels",
		map[string]string{"recipient_id": member}, nil, &out)
	if err != nil {
		return "", deliveryError(err, "open direct message")
	}
	if !snowflake(out.ID) {
		return "", bot.Wrap(errors.New("discord create DM channel: no channel id in the answer"), "open direct message")
	}
	b.remember(member, out.ID)
	if store := b.cfg.DMChannels; store != nil {
		if err := store.SetDMChannel(ctx, sp, member, out.ID); err != nil {
			b.log.Warn("store DM channel", "space", sp.Key(), "member", member, "err", err)
		}
	}
	return out.ID, nil
}

// remember keeps a DM channel id in memory. A user's DM channel with the bot
// is the same in every guild, so memory keys it by user alone.
func (b *Bot) remember(member, ch string) {
	b.dmMu.Lock()
	if len(b.dms) >= maxDMCache {
		clear(b.dms)
	}
	b.dms[member] = ch
	b.dmMu.Unlock()
}

func (b *Bot) forgetDM(ctx context.Context, sp bot.Space, member string) {
	b.dmMu.Lock()
	delete(b.dms, member)
	b.dmMu.Unlock()
	if store := b.cfg.DMChannels; store != nil {
		if err := store.SetDMChannel(ctx, sp, member, ""); err != nil {
			b.log.Warn("forget stored DM channel", "space", sp.Key(), "member", member, "err", err)
		}
	}
}

// deliveryError translates a REST error into the Messenger contract's codes.
func deliveryError(err error, op string) error {
	if err == nil {
		return nil
	}
	var ae *apiError
	if errors.As(err, &ae) {
		switch ae.Code {
		case discordgo.ErrCodeUnknownMember, discordgo.ErrCodeUnknownUser:
			return &bot.Error{Code: bot.Gone, Message: "That member is no longer here.", Err: err}
		case discordgo.ErrCodeCannotSendMessagesToThisUser:
			return &bot.Error{Code: bot.Unreachable, Message: "Discord does not let me send you direct messages; allow DMs from server members to get nudges.", Err: err}
		case discordgo.ErrCodeUnknownChannel, discordgo.ErrCodeMissingAccess, discordgo.ErrCodeMissingPermissions:
			return &bot.Error{Code: bot.NotFound, Message: "I cannot post in that channel; check that it exists and that I may view it, send messages, embed links and attach files there.", Err: err}
		}
		if ae.Status == http.StatusNotFound {
			return &bot.Error{Code: bot.NotFound, Message: "That channel or member no longer exists.", Err: err}
		}
	}
	return bot.Wrap(err, op)
}
