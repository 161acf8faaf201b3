package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// How long handled deliveries are remembered, and how often a mark also
// prunes older ones. An hour is well past every window a repeat can come
// in: Slack's last event retry comes about 5 minutes after the first try,
// and a signed request (a Slack command or click, a Discord interaction)
// older than 5 minutes is refused by its signature check anyway. Pruning
// every 10 minutes keeps about an hour of keys in the store at most.
const (
	DeliveryKeep       = time.Hour
	DeliveryPruneEvery = 10 * time.Minute
)

// DeliveryLog is how an adapter uses a Deliveries: it asks whether a key was
// handled, marks it after the effect, and now and then prunes keys older
// than DeliveryKeep, so no adapter repeats the pruning schedule. A nil
// *DeliveryLog (no store) knows nothing and records nothing: the adapter's
// memory is then all there is. It is safe for concurrent use.
type DeliveryLog struct {
	store Deliveries

	mu        sync.Mutex
	lastPrune time.Time
}

// NewDeliveryLog wraps d; nil for a nil d.
func NewDeliveryLog(d Deliveries) *DeliveryLog {
	if d == nil {
		return nil
	}
	return &DeliveryLog{store: d}
}

// Delivered reports whether key was marked, by this process or another
// sharing the database. On an error the caller should handle the delivery
// anyway: an effect repeated once beats one never had.
func (l *DeliveryLog) Delivered(ctx context.Context, key string) (bool, error) {
	if l == nil {
		return false, nil
	}
	return l.store.Delivered(ctx, key)
}

// Mark records key as handled at now, then prunes when the last prune is
// DeliveryPruneEvery old. It runs to the end even when ctx is done: the
// effect happened, so the record must follow. It returns how many keys the
// prune forgot, and the errors of both, each saying which step failed.
func (l *DeliveryLog) Mark(ctx context.Context, key string, now time.Time) (pruned int, err error) {
	if l == nil {
		return 0, nil
	}
	ctx = context.WithoutCancel(ctx)
	if merr := l.store.MarkDelivered(ctx, key, now); merr != nil {
		err = fmt.Errorf("record delivery %q: %w", key, merr)
	}
	l.mu.Lock()
	due := now.Sub(l.lastPrune) >= DeliveryPruneEvery
	if due {
		l.lastPrune = now
	}
	l.mu.Unlock()
	if due {
		n, perr := l.store.PruneDeliveries(ctx, now.Add(-DeliveryKeep))
		if perr != nil {
			err = errors.Join(err, fmt.Errorf("prune deliveries: %w", perr))
		}
		pruned = n
	}
	return pruned, err
}
