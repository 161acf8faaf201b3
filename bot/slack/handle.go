package slack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/studybot/studybot/bot"
)

// maxAckPayload is Slack's limit on a Socket Mode acknowledgement (20 KB); a
// bigger answer goes through the response_url instead.
const maxAckPayload = 20000

// request builds the engine request for a member, with the moderator flag, name
// and zone from users.info (cached).
func (b *Bot) request(ctx context.Context, team, user, name, channel string) *bot.Request {
	return b.requestArgs(ctx, team, user, name, channel, map[string]string{})
}

// requestArgs is request with args as the request's Args, for a caller
// that has them already (no empty map made only to be dropped).
func (b *Bot) requestArgs(ctx context.Context, team, user, name, channel string, args map[string]string) *bot.Request {
	p := b.profile(ctx, team, user)
	if p.name != "" {
		name = p.name
	}
	access := bot.AccessMember
	switch {
	case p.admin:
		access = bot.AccessAdmin
	case b.moderators[user]:
		access = bot.AccessModerator
	}
	return &bot.Request{
		Access:  access,
		Space:   bot.Space{Platform: bot.PlatformSlack, ID: team},
		Member:  user,
		Name:    name,
		Channel: channel,
		DM:      strings.HasPrefix(channel, "D"),
		Zone:    p.zone,
		Args:    args,
	}
}

// profile returns users.info facts about a member. When Slack cannot answer the
// member is treated as a plain member with no zone: moderator rights are never
// granted by a failure.
func (b *Bot) profile(ctx context.Context, team, user string) profile {
	key := team + "/" + user
	now := b.clock.Now()
	if p, ok := b.users.get(key, now); ok {
		return p
	}
	u, err := b.api.GetUserInfoContext(ctx, user)
	if err != nil {
		b.log.Warn("slack users.info failed", "team", team, "user", user, "err", safeErr(err))
		return profile{}
	}
	p := profile{
		name:  firstNonEmpty(u.Profile.DisplayName, u.RealName, u.Name),
		zone:  u.TZ,
		admin: !u.Deleted && (u.IsAdmin || u.IsOwner || u.IsPrimaryOwner),
		at:    now,
	}
	b.users.put(key, p)
	return p
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// outcome is a command's answer, rendered, plus the image to upload after it.
type outcome struct {
	msg     payload
	image   *bot.File
	public  bool
	team    string
	user    string
	channel string
	none    bool // nothing to post: the answer was a modal
	// answered: the engine gave a reply, neither an error nor nothing
	// (which renders as "Done.").
	answered bool
}

// run handles one engine request and renders the answer; errors become an
// ephemeral message. They are not logged: the engine logged the Internal
// ones, and the rest are the member's to fix. shown is the answer as the member
// sees it, for the App Home tab: never nil.
func (b *Bot) run(ctx context.Context, req *bot.Request) (o outcome, shown *bot.Reply) {
	o = outcome{team: req.Space.ID, user: req.Member, channel: req.Channel}
	r, err := b.h.Handle(ctx, req)
	if err != nil {
		o.msg = errorPayload(bot.ErrorMessage(err))
		return o, warning(err)
	}
	o.msg = renderLazy(r)
	if r == nil {
		return o, &bot.Reply{}
	}
	o.public, o.image, o.answered = r.Public, r.File, true
	return o, r
}

// warning is an error shown as a reply (on the App Home tab).
func warning(err error) *bot.Reply {
	return &bot.Reply{Text: []string{":warning: " + bot.ErrorMessage(err)}}
}

// slashCommand answers a slash command. It returns the message to put in the
// acknowledgement, or nil to acknowledge empty; then the answer follows through
// the response_url. maxInline is the largest acknowledgement the transport
// takes (0: no limit).
//
// The engine runs in its own goroutine. If it answers within ackBudget the
// answer rides in the acknowledgement (one round trip, nothing to lose);
// otherwise we acknowledge empty before Slack's 3 s limit and the same
// goroutine posts the answer when it comes, so shutdown waits for it too.
//
// Which of the two happens is settled once, by whichever side gets there
// first (handoff.state): the goroutine with the answer hands it over, or
// this one gives up waiting. Neither waits for the other afterwards. (It was
// settled here and sent back over a channel, which made the engine's
// goroutine wait for this one, and wake again, on every command: in the
// adapter's profile that hand-off back was a visible share of a command.)
func (b *Bot) slashCommand(ctx context.Context, sc slack.SlashCommand, maxInline int) *payload {
	h := &handoff{done: make(chan struct{})}
	if b.ackBudget <= 0 {
		h.state.Store(gaveUp)
	}
	ok := b.async(func(actx context.Context) {
		o := b.commandOutcome(actx, sc)
		// A modal (none) or an answer too large for the acknowledgement
		// goes out empty, the answer (if any) through the response_url.
		inline := !o.none && (maxInline <= 0 || len(o.msg.json()) < maxInline)
		if !h.state.CompareAndSwap(waiting, handedOver) {
			b.deliver(actx, sc.ResponseURL, o) // acknowledged empty already
			return
		}
		h.a = answer{o, inline}
		close(h.done)
		switch {
		case !inline:
			b.deliver(actx, sc.ResponseURL, o)
		case o.image != nil:
			b.sendImage(actx, o)
		}
	})
	if !ok {
		p := errorPayload("I am restarting; please try again in a minute.")
		return &p
	}
	if b.ackBudget <= 0 {
		return nil
	}
	t := ackTimers.Get().(*time.Timer)
	t.Reset(b.ackBudget)
	defer func() {
		t.Stop() // no stale tick can be received after it (Go 1.23 timers)
		ackTimers.Put(t)
	}()
	select {
	case <-h.done:
	case <-t.C:
		if h.giveUp() {
			return nil
		}
	case <-ctx.Done():
		if h.giveUp() {
			return nil
		}
	}
	if !h.a.inline {
		return nil
	}
	return &h.a.o.msg
}

// giveUp settles that the acknowledgement goes out empty, unless the answer
// was handed over meanwhile: then it waits for it (done is closed just
// after the state is set) and reports false.
func (h *handoff) giveUp() bool {
	if h.state.CompareAndSwap(waiting, gaveUp) {
		return true
	}
	<-h.done
	return false
}

// handoff is what a slash command's two goroutines share: the answer, and
// which of them settled whether it rides in the acknowledgement. (One
// allocation with its answer, and a channel without a buffer: the answer
// was sent on a buffered channel, which with the answer that escaped made
// four.)
type handoff struct {
	state atomic.Int32  // waiting, then handedOver or gaveUp
	a     answer        // set once handedOver, before done is closed
	done  chan struct{} // closed once a is set
}

// States of a handoff.
const (
	waiting    int32 = iota // the engine is at work; the acknowledgement waits
	handedOver              // the answer was sent on res
	gaveUp                  // the acknowledgement goes out empty; the answer follows through the response_url
)

// answer is a slash command's outcome, and whether it is the
// acknowledgement's (else the acknowledgement is empty).
type answer struct {
	o      outcome
	inline bool
}

// ackTimers are the timers of slashCommand's wait for an answer, kept
// between commands rather than made (three allocations) for each.
var ackTimers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

// commandOutcome parses and runs a slash command. A command that takes a
// file opens its modal instead (openFileModal).
func (b *Bot) commandOutcome(ctx context.Context, sc slack.SlashCommand) outcome {
	fail := func(err error) outcome {
		return outcome{msg: errorPayload(bot.ErrorMessage(err)), team: sc.TeamID, user: sc.UserID, channel: sc.ChannelID}
	}
	if sc.TeamID == "" || sc.UserID == "" {
		return fail(bot.Errorf(bot.Invalid, "I could not tell who or where you are; please try again."))
	}
	if !b.serves(sc.TeamID) {
		return fail(bot.Errorf(bot.Forbidden, notServed))
	}
	slash := strings.ToLower(strings.TrimSpace(sc.Command))
	if slash != slashStudy && slash != slashStudyMod {
		return fail(bot.Errorf(bot.Invalid, "I only answer %s and %s.", slashStudy, slashStudyMod))
	}
	if c := fileCommand(slash, sc.Text); c != nil {
		return b.openFileModal(ctx, sc, c)
	}
	cmd, args, err := parse(slash, sc.Text)
	if err != nil {
		return fail(err)
	}
	req := b.requestArgs(ctx, sc.TeamID, sc.UserID, sc.UserName, sc.ChannelID, args)
	req.Command = cmd.Name
	o, _ := b.run(ctx, req)
	return o
}

// deliver posts a command's answer through the response_url (or, lacking one,
// as an ephemeral message), then its image.
func (b *Bot) deliver(ctx context.Context, responseURL string, o outcome) {
	if o.none {
		return
	}
	var err error
	switch {
	case responseURL != "":
		err = b.respond(ctx, responseURL, o.msg)
	case o.public && o.channel != "":
		err = b.send(ctx, o.channel, o.msg)
	case o.channel != "" && o.user != "":
		_, err = b.api.PostEphemeralContext(ctx, o.channel, o.user, o.msg.msgOptions()...)
	}
	if err != nil {
		b.log.Warn("slack answer not delivered", "team", o.team, "user", o.user, "err", safeErr(err))
	}
	if o.image != nil {
		b.sendImage(ctx, o)
	}
}

// sendImage uploads a reply's image: to the channel when the reply is public,
// else to the member's DM, since an ephemeral message cannot carry a file.
func (b *Bot) sendImage(ctx context.Context, o outcome) {
	channel := o.channel
	if !o.public || channel == "" {
		dm, err := b.dm(ctx, bot.Space{Platform: bot.PlatformSlack, ID: o.team}, o.user)
		if err != nil {
			b.log.Warn("slack image not delivered", "team", o.team, "user", o.user, "err", safeErr(err))
			return
		}
		channel = dm
	}
	if err := b.upload(ctx, channel, o.image); err != nil {
		b.log.Warn("slack image not delivered", "team", o.team, "user", o.user, "err", safeErr(err))
	}
}

// respond posts a message to a response_url.
func (b *Bot) respond(ctx context.Context, responseURL string, p payload) error {
	body := &postBody{buf: ackBufs.Get().(*[]byte)}
	data := p.appendJSON((*body.buf)[:0])
	*body.buf = data
	body.r.Reset(data)
	body.refs.Store(2) // this call's, and the transport's until it closes the body
	defer body.release()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, body)
	if err != nil {
		body.release() // no transport to close it
		return fmt.Errorf("response_url: %w", err)
	}
	// What NewRequest sets for a *bytes.Reader: the length (so the post is
	// not chunked) and a way to send it again (a 307 or 308 redirect).
	req.ContentLength, req.GetBody = int64(len(data)), body.copy
	req.Header["Content-Type"] = jsonUTF8
	res, err := b.httpc.Do(req)
	if err != nil {
		return fmt.Errorf("response_url: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("response_url: status %d", res.StatusCode)
	}
	return nil
}

// postBody is a response_url post's body, encoded into a pooled buffer
// (ackBufs) rather than a new 4 KB one each time. The transport may still
// read a request's body after Client.Do returns (when the answer came before
// the body was all sent), and says it is done with it by closing it; so the
// buffer goes back only once respond has returned and the body was closed
// (refs). A postBody is not reused, so a second Close is only ignored.
type postBody struct {
	buf    *[]byte
	r      bytes.Reader
	refs   atomic.Int32
	closed atomic.Bool
}

func (p *postBody) Read(b []byte) (int, error) { return p.r.Read(b) }

// Close gives the transport's hold on the buffer up, once.
func (p *postBody) Close() error {
	if p.closed.CompareAndSwap(false, true) {
		p.release()
	}
	return nil
}

// copy is the body again for a redirect, in a buffer of its own: the
// client may send it after respond returned and the buffer went back.
// Client.Do calls it before it returns, while the buffer is still held.
func (p *postBody) copy() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(bytes.Clone(*p.buf))), nil
}

func (p *postBody) release() {
	if p.refs.Add(-1) != 0 {
		return
	}
	if data := *p.buf; cap(data) <= maxPooledAck { // a rare huge answer's is left to the collector
		*p.buf = data[:0]
		ackBufs.Put(p.buf)
	}
}

// interaction runs the buttons of a block_actions payload, after the
// acknowledgement. A click on a message is answered through its response_url:
// on an ephemeral message (the clicker's alone) the answer replaces it, unless
// it is an error or empty (the message stays) or public (an ephemeral message
// cannot become public); on a message others see, it is a new ephemeral
// message. A click on the App Home tab re-publishes the tab with the answer on
// top.
func (b *Bot) interaction(ctx context.Context, c *click) {
	if c.Type != slack.InteractionTypeBlockActions {
		return
	}
	team := c.team()
	if team != "" && !b.serves(team) {
		b.deliver(ctx, c.ResponseURL, outcome{msg: errorPayload(notServed), team: team, user: c.User, channel: c.Channel})
		return
	}
	for _, a := range c.Actions {
		action := firstNonEmpty(a.Value, a.ActionID)
		if team == "" || c.User == "" {
			b.log.Warn("slack interaction without team or user; ignored")
			return
		}
		req := b.request(ctx, team, c.User, c.UserName, c.Channel)
		var o outcome
		var reply *bot.Reply
		if cmd, args, err := bot.ParseAction(action); err != nil {
			o = outcome{msg: errorPayload(bot.ErrorMessage(err)), team: team, user: c.User, channel: c.Channel}
			reply = warning(err)
		} else {
			req.Command, req.Args = cmd.Name, args
			o, reply = b.run(ctx, req)
		}
		if c.View == slack.VTHomeTab || c.Container == "view" {
			b.publishHome(ctx, req, reply)
			if o.image != nil {
				b.sendImage(ctx, o)
			}
			continue
		}
		if o.answered && !o.public && c.Ephemeral && c.ResponseURL != "" {
			o.msg.ReplaceOriginal = true
		}
		b.deliver(ctx, c.ResponseURL, o)
	}
}

// event handles an Events API event (Socket Mode or HTTP): app_home_opened on
// the Home tab publishes the member's progress.
//
// It reports whether the event was handled: false only when its effect
// failed (views.publish), so that a retry of it is handled again.
func (b *Bot) event(ctx context.Context, ev slackevents.EventsAPIEvent) bool {
	if ev.Type != slackevents.CallbackEvent {
		return true
	}
	home, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
	if !ok || home.Tab != "home" || home.User == "" || ev.TeamID == "" || !b.serves(ev.TeamID) {
		return true
	}
	req := b.request(ctx, ev.TeamID, home.User, "", "")
	return b.publishHome(ctx, req, nil) == nil
}

// publishHome builds the Home tab from the progress and next commands and
// publishes it, with last (the answer to a click on the tab) on top.
func (b *Bot) publishHome(ctx context.Context, base *bot.Request, last *bot.Reply) error {
	get := func(command string) *bot.Reply {
		req := *base
		req.Command, req.Args, req.DM = command, map[string]string{}, false
		r, err := b.h.Handle(ctx, &req)
		if err != nil {
			return warning(err) // the engine logged it if it was ours
		}
		return r
	}
	view := homeView(last, get("progress"), get("next"))
	_, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: base.Member, View: view})
	if err != nil {
		b.log.Warn("slack views.publish failed", "team", base.Space.ID, "user", base.Member, "err", safeErr(err))
	}
	return err
}
