package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runSocket holds the Socket Mode connection until ctx is done. slack-go opens it
// with apps.connections.open on the configured API URL and reconnects when Slack
// asks; every envelope is acknowledged here, and handled in its own goroutine so
// one slow command never delays another's acknowledgement.
func (b *Bot) runSocket(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sm := socketmode.New(b.api)
	done := make(chan error, 1)
	go func() { done <- sm.RunContext(ctx) }()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("socket mode: %w", safeErr(err))
		case ev := <-sm.Events:
			b.socketEvent(ctx, sm, ev)
		}
	}
}

func (b *Bot) socketEvent(ctx context.Context, sm *socketmode.Client, ev socketmode.Event) {
	switch ev.Type {
	case socketmode.EventTypeConnected:
		b.linkUp()
		b.log.Info("slack socket mode connected")
		return
	case socketmode.EventTypeConnecting:
		b.linkDown(errors.New("connecting"))
		return
	case socketmode.EventTypeConnectionError:
		b.linkDown(errors.New("connection failed"))
		if e, ok := ev.Data.(*slack.ConnectionErrorEvent); ok {
			b.log.Warn("slack socket mode connection failed; retrying", "err", safeErr(e.ErrorObj), "backoff", e.Backoff)
		}
		return
	case socketmode.EventTypeInvalidAuth:
		b.linkDown(errors.New("the app token was refused"))
		b.log.Error("slack socket mode: the app token was refused")
		return
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
	default:
		return
	}
	req := ev.Request
	if req == nil {
		return
	}
	// Events API events, retries included, are handled once by event id
	// (events.go): a retry whose first delivery never got handled is handled
	// now. While shutting down an event is not acknowledged, so Slack
	// delivers it again, to this process after its restart or to another.
	if api, ok := ev.Data.(slackevents.EventsAPIEvent); ok {
		id := ""
		if cb, ok := api.Data.(*slackevents.EventsAPICallbackEvent); ok {
			id = cb.EventID
		}
		if b.async(func(actx context.Context) { b.handleEvent(actx, api, id) }) {
			b.ack(ctx, sm, req, nil)
		}
		return
	}
	// A redelivered command or click (Slack retries when our acknowledgement
	// was late) is acknowledged again but not handled again: the first
	// delivery is still being handled or was handled.
	fresh := req.RetryAttempt == 0 && b.seen.first("envelope:"+req.EnvelopeID)
	if !fresh {
		b.ack(ctx, sm, req, nil)
		return
	}
	switch data := ev.Data.(type) {
	case slack.SlashCommand:
		if !req.AcceptsResponsePayload {
			b.ack(ctx, sm, req, nil)
			b.async(func(actx context.Context) { b.deliver(actx, data.ResponseURL, b.commandOutcome(actx, data)) })
			return
		}
		// The acknowledgement waits up to ackBudget for the answer, so it is
		// sent off the event loop.
		b.async(func(context.Context) { b.ack(ctx, sm, req, b.slashCommand(ctx, data, maxAckPayload)) })
	case slack.InteractionCallback:
		if data.Type == slack.InteractionTypeViewSubmission {
			// The acknowledgement decides whether the modal closes.
			var body any
			if resp := b.viewSubmission(data); resp != nil {
				body = resp
			}
			if err := sm.AckCtx(ctx, req.EnvelopeID, body); err != nil {
				b.log.Warn("slack socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
			}
			return
		}
		b.ack(ctx, sm, req, nil)
		c := clickOf(&data)
		b.async(func(actx context.Context) { b.interaction(actx, &c) })
	default:
		b.ack(ctx, sm, req, nil)
	}
}

// ack acknowledges an envelope, with p as the answer when not nil. It gives up
// when ctx ends: while the connection is down nobody drains the send queue.
func (b *Bot) ack(ctx context.Context, sm *socketmode.Client, req *socketmode.Request, p *payload) {
	var body any
	if p != nil {
		p.structs() // slack-go encodes it with encoding/json
		body = p
	}
	if err := sm.AckCtx(ctx, req.EnvelopeID, body); err != nil {
		b.log.Warn("slack socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}
