package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// Direct sends r to a member's direct message channel with the bot (opened
// with conversations.open once and remembered). Unreachable when Slack will not
// let the bot write to the member.
func (b *Bot) Direct(ctx context.Context, sp bot.Space, member string, r *bot.Reply) error {
	ch, err := b.dm(ctx, sp, member)
	if err != nil {
		return err
	}
	return b.post(ctx, ch, r)
}

// Post sends r to a channel, visible to everyone there. NotFound when the
// channel does not exist or the bot is not in it.
func (b *Bot) Post(ctx context.Context, sp bot.Space, channel string, r *bot.Reply) error {
	if channel == "" {
		return bot.Errorf(bot.NotFound, "No channel to post in.")
	}
	return b.post(ctx, channel, r)
}

func (b *Bot) post(ctx context.Context, channel string, r *bot.Reply) error {
	if err := b.send(ctx, channel, render(r)); err != nil {
		return err
	}
	if r != nil && r.File != nil {
		return b.upload(ctx, channel, r.File)
	}
	return nil
}

// dm returns the member's DM channel id.
func (b *Bot) dm(ctx context.Context, sp bot.Space, member string) (string, error) {
	if member == "" {
		return "", bot.Errorf(bot.Invalid, "No member to write to.")
	}
	key := sp.Key() + "/" + member
	b.dmMu.Lock()
	ch, ok := b.dms[key]
	b.dmMu.Unlock()
	if ok {
		return ch, nil
	}
	c, _, _, err := b.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{member}, ReturnIM: true})
	if err != nil {
		return "", apiError(err, "conversations.open")
	}
	if c == nil || c.ID == "" {
		return "", bot.Wrap(errors.New("no channel id"), "slack conversations.open")
	}
	b.dmMu.Lock()
	if len(b.dms) >= 100000 {
		clear(b.dms) // the cache only saves calls; reopening is cheap
	}
	b.dms[key] = c.ID
	b.dmMu.Unlock()
	return c.ID, nil
}

// send posts a message with chat.postMessage, paced to Config.SendRate and to
// one message per second per channel. A 429 (the message was refused, so sending again cannot double
// it) is waited out as Retry-After says, a few times. Any other failure is
// returned without a retry: after a connection error the message may have been
// posted, and posting again could show it twice.
func (b *Bot) send(ctx context.Context, channel string, p payload) error {
	return b.paced(ctx, channel, "chat.postMessage", func() error {
		_, _, err := b.api.PostMessageContext(ctx, channel, p.msgOptions()...)
		return err
	})
}

// upload shares an image in a channel through the files upload v2 flow
// (files.getUploadURLExternal, the upload, files.completeUploadExternal).
func (b *Bot) upload(ctx context.Context, channel string, img *bot.File) error {
	if img == nil || len(img.Data) == 0 {
		return nil
	}
	name := img.Name
	if name == "" {
		name = "image.png"
	}
	return b.paced(ctx, channel, "files.upload", func() error {
		_, err := b.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Channel:  channel,
			Filename: name,
			Title:    name,
			FileSize: len(img.Data),
			Reader:   bytes.NewReader(img.Data),
		})
		return err
	})
}

// paced runs call in the channel's next free slot, sitting out 429s.
func (b *Bot) paced(ctx context.Context, channel, op string, call func() error) error {
	for wait := 0; ; wait++ {
		delay, cancel := b.pacer.reserve(channel, b.clock.Now())
		if err := b.sleep(ctx, delay); err != nil {
			cancel()
			return bot.Wrap(err, "slack "+op)
		}
		err := call()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			if err != nil {
				return apiError(err, op)
			}
			return nil
		}
		if wait >= maxRateLimitWaits || rl.RetryAfter > maxRetryAfter {
			return bot.Wrap(fmt.Errorf("rate limited %d times: %w", wait+1, err), "slack "+op)
		}
		b.log.Info("slack rate limited; waiting", "op", op, "retry_after", rl.RetryAfter)
		if err := b.sleep(ctx, rl.RetryAfter); err != nil {
			return bot.Wrap(err, "slack "+op)
		}
	}
}

// apiError translates Slack's error codes to the bot's.
func apiError(err error, op string) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "channel_not_found", "is_archived":
			return &bot.Error{Code: bot.NotFound, Message: "I cannot find that channel; check it, or invite me to it with /invite.", Err: err}
		case "not_in_channel":
			return &bot.Error{Code: bot.NotFound, Message: "I am not in that channel; invite me to it with /invite.", Err: err}
		case "user_not_found", "user_not_visible", "user_disabled", "cannot_dm_bot":
			return &bot.Error{Code: bot.Unreachable, Message: "Slack does not let me send you direct messages.", Err: err}
		}
	}
	return bot.Wrap(safeErr(err), "slack "+op)
}
