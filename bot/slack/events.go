package slack

import (
	"context"
	"sync"

	"github.com/slack-go/slack/slackevents"

	"github.com/studybot/studybot/bot"
)

// Events API deliveries are handled once, across restarts: Slack retries an
// event it thinks we missed (HTTP: X-Slack-Retry-Num; Socket Mode:
// retry_attempt > 0), up to three times within minutes of the first try. A
// retry whose first delivery was handled is acknowledged with no second
// effect; one whose first delivery never was (the process was restarting, or
// crashed before handling it) is handled now. Slash commands and button
// clicks are never retried by Slack, so only events go through here (the
// signature check's replay guard, http.go, covers those). Handled keys are
// kept for bot.DeliveryKeep, then pruned.

// eventOnce decides whether an event id is handled. The store, when set,
// is the record that survives a restart (and is shared by processes on one
// database); the memory kept here is what the store cannot give: which ids
// are being handled right now (a retry arriving meanwhile must not run
// beside the first), and, without a store, which were handled.
type eventOnce struct {
	mu       sync.Mutex
	inflight map[string]bool
	done     *dedup // recently handled ids; spares a store read
}

func newEventOnce() *eventOnce {
	return &eventOnce{inflight: map[string]bool{}, done: newDedup(4096)}
}

// UseDeliveries makes d the record of handled Events API deliveries, so
// that a retry after a restart, or one that reaches another process sharing
// the database, has no second effect. Call it before Run. Without it, only
// this process remembers.
func (b *Bot) UseDeliveries(d bot.Deliveries) {
	b.deliveries = bot.NewDeliveryLog(d)
}

// UseRequestDeliveries makes d the record of handled slash commands and
// clicks too (by their signature: the same body at the same timestamp is
// the same request), so that a replay that reaches another process sharing
// the database has no second effect. Call it before Run. It costs a read
// before and a write after every request; cmd/studybot sets it only for a
// database several processes share, since one process alone already
// remembers what it handled.
func (b *Bot) UseRequestDeliveries(d bot.Deliveries) {
	b.requests = bot.NewDeliveryLog(d)
}

// handleEvent handles an Events API delivery unless its event id was already
// handled, and records that it was. The mark follows the effect: a crash
// between the two repeats the effect once, where marking first would lose
// the event.
func (b *Bot) handleEvent(ctx context.Context, ev slackevents.EventsAPIEvent, eventID string) {
	if !b.serves(ev.TeamID) {
		return // slack.allowed_teams: nothing of another workspace is stored, not even its event ids
	}
	if eventID == "" {
		b.event(ctx, ev) // nothing to tell deliveries apart by
		return
	}
	key := "slack:event:" + eventID
	if !b.beginEvent(ctx, key) {
		b.log.Debug("slack event already handled; acknowledged only", "event", eventID)
		return
	}
	handled := b.event(ctx, ev)
	b.endEvent(ctx, key, handled)
}

// beginEvent claims key for handling: false when it is being handled or was.
func (b *Bot) beginEvent(ctx context.Context, key string) bool {
	o := b.events
	o.mu.Lock()
	if o.inflight[key] || o.done.has(key) {
		o.mu.Unlock()
		return false
	}
	o.inflight[key] = true
	o.mu.Unlock()
	done, err := b.deliveries.Delivered(ctx, key)
	if err != nil {
		// Handle it anyway: showing a Home tab twice is better than never.
		b.log.Warn("slack: cannot tell whether an event was handled; handling it", "key", key, "err", err)
	}
	if done {
		o.mu.Lock()
		delete(o.inflight, key)
		o.done.first(key)
		o.mu.Unlock()
		return false
	}
	return true
}

// endEvent releases key; when handled, it records it (in the store when
// there is one) and now and then prunes the store. An event that was not
// handled (views.publish failed) stays unrecorded, so Slack's retry gets
// another chance.
func (b *Bot) endEvent(ctx context.Context, key string, handled bool) {
	o := b.events
	if handled {
		b.markDelivered(ctx, b.deliveries, key)
	}
	o.mu.Lock()
	delete(o.inflight, key)
	if handled {
		o.done.first(key)
	}
	o.mu.Unlock()
}

// markDelivered records key as handled in the store, if there is one, and
// logs what failed: a retry or replay may then repeat the effect once.
func (b *Bot) markDelivered(ctx context.Context, l *bot.DeliveryLog, key string) {
	n, err := l.Mark(ctx, key, b.clock.Now())
	if err != nil {
		b.log.Warn("slack: cannot record a handled delivery; a retry may repeat it", "key", key, "err", err)
	}
	if n > 0 {
		b.log.Debug("slack: pruned handled delivery keys", "count", n)
	}
}
