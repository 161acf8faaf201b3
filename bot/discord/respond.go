package discord

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// result is what the engine answered.
type result struct {
	reply *bot.Reply
	err   error
}

// serve answers one interaction, in either mode. first sends the initial
// response (the HTTP response body, or the REST callback in gateway mode); it is
// called exactly once, before serve returns. Discord allows 3 s for it, so when
// the engine has not answered within deferAfter (2 s) the interaction is deferred
// and the answer is edited in over REST when it comes, in the background.
// filesOK tells whether first can carry uploads: the REST callback can, an HTTP
// response cannot, so a reply with an image is deferred there and its file goes
// with the edit.
func (b *Bot) serve(in *discordgo.Interaction, filesOK bool, first func(*response)) {
	var known *bot.Request // the request, once it is valid: its command is logged too
	defer func() {
		if p := recover(); p != nil {
			b.interactionLog(in, known).Error("discord interaction panicked", "panic", fmt.Sprint(p))
		}
	}()
	switch in.Type {
	case discordgo.InteractionPing:
		first(&response{Type: discordgo.InteractionResponsePong})
		return
	case discordgo.InteractionApplicationCommandAutocomplete:
		first(b.autocomplete(in))
		return
	case discordgo.InteractionApplicationCommand, discordgo.InteractionMessageComponent:
	default:
		first(&response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: textMessage("I do not understand that kind of interaction.")})
		return
	}
	req, _, err := b.request(in)
	if err != nil {
		b.interactionLog(in, nil).Debug("discord interaction refused", "err", err)
		first(&response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: errorMessage(err)})
		return
	}
	known = req
	upd := updatesMessage(in, req)
	att := attached(in)
	// One background goroutine runs the engine and, if serve deferred,
	// finishes the interaction; serve tells it how over deferred. When the
	// engine answers in time, and its answer needs no deferral (withFile),
	// the worker does not wait to hear that: it leaves its result in done
	// and returns to the pool at once, unless serve has deferred already
	// (state settles which came first). Waiting in every case cost each
	// interaction one more wake-up of the worker after the answer, and the
	// next interaction often found no worker back in the pool, and started
	// a goroutine.
	const (
		waiting   = iota // serve waits for the engine
		left             // the worker left its result in done and returned
		deferring        // serve deferred: the worker waits for the plan
	)
	var state atomic.Int32
	done := make(chan result, 1)
	deferred := make(chan plan, 1)
	ok := b.spawn(func() {
		defer func() {
			if p := recover(); p != nil {
				b.interactionLog(in, req).Error("discord deferred answer panicked", "panic", fmt.Sprint(p))
			}
		}()
		res := b.run(req, att)
		done <- res
		if (filesOK || !withFile(res)) && state.CompareAndSwap(waiting, left) {
			return // serve answers with res
		}
		if p, ok := <-deferred; ok {
			if err := b.finish(in, req, p, res); err != nil {
				b.interactionLog(in, req).Error("discord deferred answer failed", "err", err)
			}
		}
	})
	if !ok {
		first(&response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: textMessage("I am restarting; please try again in a minute.")})
		return
	}
	planned := false
	defer func() {
		if !planned {
			close(deferred)
		}
	}()
	t := deferTimer(b.deferAfter)
	defer func() {
		t.Stop() // no stale tick after this (Go 1.23 timers): safe to reuse
		deferTimers.Put(t)
	}()
	var res result
	select {
	case res = <-done:
	case <-t.C:
		if state.CompareAndSwap(waiting, deferring) {
			// The reply's privacy is not known yet: defer privately; a
			// public reply then goes as a follow-up (see finish).
			first(deferral(upd, true))
			planned = true
			deferred <- plan{upd: upd, ephemeral: true}
			return
		}
		res = <-done // the worker left its result as the timer fired
	}
	if filesOK || !withFile(res) {
		first(b.answer(in, res, req, upd))
		return
	}
	public := res.reply != nil && res.reply.Public
	first(deferral(upd && !public, !public))
	planned = true
	deferred <- plan{upd: upd && !public, ephemeral: !public}
}

// withFile reports whether the answer for res carries a file (answer's
// files), which an HTTP response cannot: an image reply (render).
func withFile(res result) bool {
	return res.err == nil && res.reply != nil && res.reply.File != nil && len(res.reply.File.Data) > 0
}

// deferTimers are serve's timers, stopped, kept between interactions: a new
// one was two allocations per interaction.
var deferTimers sync.Pool

// deferTimer is a timer from deferTimers (or a new one) set to fire after d.
func deferTimer(d time.Duration) *time.Timer {
	if t, ok := deferTimers.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

// interactionLog is the logger of what serve logs about in (and req, once
// known). It is built only when something is logged: slog's With copies
// its attributes, and on the signed-HTTP path every interaction paid for
// two of them.
func (b *Bot) interactionLog(in *discordgo.Interaction, req *bot.Request) *slog.Logger {
	log := b.log.With("interaction", in.ID, "kind", interactionKind(in.Type), "guild", in.GuildID)
	if req != nil {
		log = log.With("command", req.Command)
	}
	return log
}

// plan is how an interaction was deferred: as an update of the clicked
// message, or as a new message that is ephemeral or not.
type plan struct {
	upd, ephemeral bool
}

// spawn runs f in a goroutine that Run waits for at shutdown. It returns false,
// running nothing, once shutdown has begun.
func (b *Bot) spawn(f func()) bool {
	b.bgMu.Lock()
	defer b.bgMu.Unlock()
	if b.closing {
		return false
	}
	b.wg.Add(1)
	b.workers.Go(func() {
		defer b.wg.Done()
		f()
	})
	return true
}

// run calls the engine with a bounded context; a panic becomes an Internal
// error instead of taking the process down. The engine logs its own Internal
// errors, so only the panic, which it never saw, is logged here. With att,
// the attachment is downloaded first, as part of the work serve times: a
// slow download defers the interaction, and a refused one is the answer,
// without the engine.
func (b *Bot) run(req *bot.Request, att *discordgo.MessageAttachment) (res result) {
	ctx, cancel := context.WithTimeout(b.ctx, b.workTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("discord command panicked", "command", req.Command, "space", req.Space.Key(), "panic", fmt.Sprint(p))
			res = result{err: bot.Wrap(fmt.Errorf("panic: %v", p), "handle "+req.Command)}
		}
	}()
	if att != nil {
		f, err := b.attachmentFile(ctx, att)
		if err != nil {
			return result{err: err}
		}
		req.File = f
	}
	r, err := b.h.Handle(ctx, req)
	return result{r, err}
}

// answer is the immediate response for an engine result. Errors and empty
// replies are new private messages, even for a button click, so the message the
// button is on stays as it was; a public reply (a challenge closed, a card
// shared) is a new public message, since an update cannot make the clicked
// message public. Errors are not logged: the engine logged the Internal ones,
// and the rest are the member's to fix.
func (b *Bot) answer(in *discordgo.Interaction, res result, req *bot.Request, upd bool) *response {
	if res.err != nil {
		return &response{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: errorMessage(res.err)}
	}
	upd = upd && res.reply != nil && !res.reply.Public
	typ := discordgo.InteractionResponseChannelMessageWithSource
	if upd {
		typ = discordgo.InteractionResponseUpdateMessage
	}
	if res.reply != nil && res.reply.File == nil {
		// Encoded straight from the reply (reply_encode.go), as render
		// would have it.
		rd := &struct { // one allocation for the two
			resp response
			data replyData
		}{data: replyData{r: res.reply, guild: req.Space.ID, owner: viewer(in, req, upd), upd: upd}}
		rd.resp = response{Type: typ, Data: &rd.data}
		return &rd.resp
	}
	m := render(res.reply, req.Space.ID, viewer(in, req, upd))
	if upd {
		m.Flags = 0 // an update keeps the message's own visibility
	}
	return &response{Type: typ, Data: m}
}

// viewer is the owner of the moderator buttons on the message an answer
// becomes (render): the member, when the message is theirs alone (a new
// reply, private unless Public, which render checks, or an update of a
// private message) and answers a moderator command, which Discord's gate,
// or a button it bound to them, let them run (never in a DM: request refuses
// those there). Otherwise "": a message others see, or an answer to /study,
// where a member's standing comes from permissions that Discord's overrides
// for /studymod may contradict.
func viewer(in *discordgo.Interaction, req *bot.Request, upd bool) string {
	if upd && (in.Message == nil || in.Message.Flags&discordgo.MessageFlagsEphemeral == 0) {
		return ""
	}
	if c := bot.Lookup(req.Command); c == nil || !c.ForModerators() {
		return ""
	}
	return req.Member
}

// deferral acknowledges an interaction whose answer comes later: a deferred
// update for a click that will replace its message, else a deferred message
// ("thinking…"), private when ephemeral.
func deferral(upd, ephemeral bool) *response {
	if upd {
		return &response{Type: discordgo.InteractionResponseDeferredMessageUpdate}
	}
	d := flagsData{}
	if ephemeral {
		d.Flags = discordgo.MessageFlagsEphemeral
	}
	return &response{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: d}
}

// finish delivers a deferred answer: it edits the original response (or, for a
// deferred update, the message the button is on). Errors and empty replies to a
// click go as a private follow-up instead, leaving the message intact; a public
// reply to a deferred update, or to a privately deferred command, goes as a
// public follow-up.
func (b *Bot) finish(in *discordgo.Interaction, req *bot.Request, p plan, res result) error {
	upd, ephemeral := p.upd, p.ephemeral
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	public := res.err == nil && res.reply != nil && res.reply.Public
	var m *message
	if res.err != nil {
		m = errorMessage(res.err)
	} else {
		m = render(res.reply, req.Space.ID, viewer(in, req, upd && !public))
	}
	switch {
	case upd && (res.err != nil || res.reply == nil || public):
		return b.followup(ctx, in, m)
	case !upd && ephemeral && res.err == nil && res.reply != nil && res.reply.Public:
		m.Flags = 0
		if err := b.followup(ctx, in, m); err != nil {
			return err
		}
		return b.editOriginal(ctx, in, textMessage("Posted in the channel."))
	}
	return b.editOriginal(ctx, in, m)
}

// appID is the application an interaction belongs to.
func (b *Bot) appID(in *discordgo.Interaction) string {
	if in.AppID != "" {
		return in.AppID
	}
	return b.cfg.AppID
}

// callback sends the initial response over REST (gateway mode).
func (b *Bot) callback(ctx context.Context, in *discordgo.Interaction, r *response) error {
	return b.send(ctx, false, "interaction callback", http.MethodPost,
		"/interactions/"+in.ID+"/"+in.Token+"/callback", r, r.files(), nil)
}

// editOriginal replaces the original response (after a deferral).
func (b *Bot) editOriginal(ctx context.Context, in *discordgo.Interaction, m *message) error {
	m.Flags = 0 // an edit cannot change visibility
	return b.send(ctx, false, "edit original response", http.MethodPatch,
		"/webhooks/"+b.appID(in)+"/"+in.Token+"/messages/@original", m, m.files, nil)
}

// followup sends another message for the interaction.
func (b *Bot) followup(ctx context.Context, in *discordgo.Interaction, m *message) error {
	return b.send(ctx, false, "follow-up message", http.MethodPost,
		"/webhooks/"+b.appID(in)+"/"+in.Token, m, m.files, nil)
}

// autocomplete answers with up to 25 suggestions from the engine. Anything it
// cannot understand gets an empty list: autocomplete has no way to show errors.
func (b *Bot) autocomplete(in *discordgo.Interaction) *response {
	d := choicesData{Choices: []choice{}}
	req, f, err := b.request(in)
	if err == nil && f != nil {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		defer cancel()
		for _, s := range b.h.Complete(ctx, req, f.option, f.partial) {
			if len(d.Choices) == bot.MaxSuggestions {
				break
			}
			if s.Value == "" || len(s.Value) > 100 {
				continue
			}
			d.Choices = append(d.Choices, choice{Name: clip(s.Name, 100), Value: s.Value})
		}
	}
	return &response{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: d}
}
