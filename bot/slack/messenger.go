package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
)

// Direct sends r to a member privately: chat.postMessage with the member's
// user id as the channel, which Slack delivers in the member's direct
// conversation with the app (its Messages tab) and which needs no
// conversations.open, a Tier 3 method of about 50 calls a minute. Slack
// answers with the DM's channel id, kept for the image upload (a file
// needs a real channel) and for b.dm.
//
// Errors: Unreachable when Slack will not let the bot write to the member
// (see directError); Internal otherwise. Never Gone: no answer of Slack's
// means the member no longer exists (a deactivated account is kept, and may
// come back), so nothing here may make the engine delete their data.
func (b *Bot) Direct(ctx context.Context, sp bot.Space, member string, r *bot.Reply) error {
	if member == "" {
		return bot.Errorf(bot.Invalid, "No member to write to.")
	}
	ch, err := b.sendTo(ctx, member, render(r))
	if err != nil {
		return directError(err)
	}
	if ch != "" && ch != member {
		b.rememberDM(sp, member, ch)
	}
	if r == nil || r.File == nil {
		return nil
	}
	if ch == "" || ch == member {
		if ch, err = b.dm(ctx, sp, member); err != nil {
			return err
		}
	}
	return b.upload(ctx, ch, r.File)
}

// directError translates what chat.postMessage to a user id answers. For a
// user id, channel_not_found means Slack cannot find or show that user to
// the app, which, like a disabled (deactivated) account or a user the app
// may not see, stops the member's nudges (Unreachable: they resume when the
// member uses the bot again) rather than being a missing channel.
// messages_tab_disabled is the operator's to fix (App Home > Messages Tab),
// not the member's: Internal, so nobody is marked.
func directError(err error) error {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return err
	}
	switch se.Err {
	case "channel_not_found", "user_not_found", "user_not_visible", "user_disabled", "cannot_dm_bot", "is_archived":
		return &bot.Error{Code: bot.Unreachable, Message: "Slack does not let me send you direct messages.", Err: err}
	case "messages_tab_disabled":
		return bot.Wrap(fmt.Errorf("turn on App Home > Messages Tab in the Slack app's settings so it can send direct messages: %w", safeErr(err)), "slack chat.postMessage")
	}
	return err
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

// dm returns the member's DM channel id, for what needs a real channel (a
// file upload): remembered from an earlier message, else opened with
// conversations.open.
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
	b.observe("conversations.open", err)
	if err != nil {
		return "", apiError(err, "conversations.open")
	}
	if c == nil || c.ID == "" {
		return "", bot.Wrap(errors.New("no channel id"), "slack conversations.open")
	}
	b.rememberDM(sp, member, c.ID)
	return c.ID, nil
}

func (b *Bot) rememberDM(sp bot.Space, member, ch string) {
	b.dmMu.Lock()
	if len(b.dms) >= 100000 {
		clear(b.dms) // the cache only saves calls; reopening is cheap
	}
	b.dms[sp.Key()+"/"+member] = ch
	b.dmMu.Unlock()
}

// send posts a message with chat.postMessage, paced to Config.SendRate and to
// one message per second per channel. A 429 (the message was refused, so sending again cannot double
// it) is waited out as Retry-After says, a few times. Any other failure is
// returned without a retry: after a connection error the message may have been
// posted, and posting again could show it twice.
func (b *Bot) send(ctx context.Context, channel string, p payload) error {
	_, err := b.sendTo(ctx, channel, p)
	return err
}

// sendTo is send, also returning the channel id Slack answers with: the DM's
// own id when channel is a user id.
func (b *Bot) sendTo(ctx context.Context, channel string, p payload) (string, error) {
	var got string
	err := b.paced(ctx, channel, "chat.postMessage", func() error {
		var err error
		got, _, err = b.api.PostMessageContext(ctx, channel, p.msgOptions()...)
		return err
	})
	return got, err
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
		b.observe(op, err)
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) {
			if err != nil {
				return apiError(err, op)
			}
			return nil
		}
		if wait >= maxRateLimitWaits || rl.RetryAfter > maxRetryAfter {
			return bot.Wrap(rateLimitedError{fmt.Errorf("rate limited %d times: %w", wait+1, err)}, "slack "+op)
		}
		b.log.Info("slack rate limited; waiting", "op", op, "retry_after", rl.RetryAfter)
		if o := b.cfg.APIObserver; o != nil {
			o.RateLimitWait(bot.PlatformSlack, op, rl.RetryAfter)
		}
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

// rateLimitedError marks a call Slack kept refusing with 429s after the
// waits it asked for (bot.RateLimited).
type rateLimitedError struct{ error }

func (e rateLimitedError) Unwrap() error   { return e.error }
func (rateLimitedError) RateLimited() bool { return true }

// observe reports one Web API call to Config.APIObserver: "ok", Slack's
// error code (a fixed vocabulary), "rate_limited", or "error" when no
// answer came.
func (b *Bot) observe(op string, err error) {
	o := b.cfg.APIObserver
	if o == nil {
		return
	}
	status := "ok"
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	switch {
	case err == nil:
	case errors.As(err, &rl):
		status = "rate_limited"
	case errors.As(err, &se) && len(se.Err) <= 64:
		status = se.Err
	default:
		status = "error"
	}
	o.APICall(bot.PlatformSlack, op, status)
}
