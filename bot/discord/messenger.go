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

// Direct sends r to a member as a direct message. The DM channel is created once
// and its id kept. Every request is paced (Config.SendRate) and 429s are waited
// out. Errors: Unreachable when Discord refuses to deliver (50007: the member
// closed DMs from server members or blocked the bot), Internal otherwise.
func (b *Bot) Direct(ctx context.Context, sp bot.Space, member string, r *bot.Reply) error {
	if sp.Platform != bot.PlatformDiscord || !snowflake(member) {
		return bot.Errorf(bot.Invalid, "That is not a Discord member.")
	}
	m := render(r, sp.ID, "") // a DM: never a moderator's button
	m.Flags = 0
	for try := 0; try < 2; try++ {
		ch, err := b.dmChannel(ctx, member)
		if err != nil {
			return err
		}
		err = b.send(ctx, true, "send direct message", http.MethodPost, "/channels/"+ch+"/messages", m, m.files, nil)
		var ae *apiError
		if errors.As(err, &ae) && ae.Code == discordgo.ErrCodeUnknownChannel && try == 0 {
			b.forgetDM(member) // the cached channel is gone: open a new one
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

// dmChannel returns the member's DM channel id, creating it on first use.
func (b *Bot) dmChannel(ctx context.Context, member string) (string, error) {
	b.dmMu.Lock()
	ch, ok := b.dms[member]
	b.dmMu.Unlock()
	if ok {
		return ch, nil
	}
	var out struct {
		ID string `json:"id"`
	}
	err := b.send(ctx, true, "create DM channel", http.MethodPost, "/users/@me/channels",
		map[string]string{"recipient_id": member}, nil, &out)
	if err != nil {
		return "", deliveryError(err, "open direct message")
	}
	if out.ID == "" {
		return "", bot.Wrap(errors.New("discord create DM channel: no channel id in the answer"), "open direct message")
	}
	b.dmMu.Lock()
	if len(b.dms) >= maxDMCache {
		clear(b.dms)
	}
	b.dms[member] = out.ID
	b.dmMu.Unlock()
	return out.ID, nil
}

func (b *Bot) forgetDM(member string) {
	b.dmMu.Lock()
	delete(b.dms, member)
	b.dmMu.Unlock()
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
