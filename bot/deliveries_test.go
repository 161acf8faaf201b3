package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// pruneCounter is a Deliveries that records marks and prunes.
type pruneCounter struct {
	marks   []string
	prunes  []time.Time
	failing bool
}

func (p *pruneCounter) Delivered(context.Context, string) (bool, error) { return false, nil }
func (p *pruneCounter) MarkDelivered(_ context.Context, key string, _ time.Time) error {
	p.marks = append(p.marks, key)
	if p.failing {
		return errors.New("disk full")
	}
	return nil
}
func (p *pruneCounter) PruneDeliveries(_ context.Context, before time.Time) (int, error) {
	p.prunes = append(p.prunes, before)
	if p.failing {
		return 0, errors.New("disk full")
	}
	return 1, nil
}

// TestDeliveryLogPrunesNowAndThen: the first mark prunes, marks within
// DeliveryPruneEvery of it do not, the next one after it does, and each
// prune forgets what is older than DeliveryKeep.
func TestDeliveryLogPrunesNowAndThen(t *testing.T) {
	st := &pruneCounter{}
	l := NewDeliveryLog(st)
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a mark follows an effect that happened: a done context does not stop it
	for i, at := range []time.Time{t0, t0.Add(time.Minute), t0.Add(DeliveryPruneEvery - time.Second), t0.Add(DeliveryPruneEvery)} {
		n, err := l.Mark(ctx, "k", at)
		if err != nil {
			t.Fatalf("mark %d: %v", i, err)
		}
		if want := map[int]int{0: 1, 3: 1}[i]; n != want {
			t.Errorf("mark %d pruned %d, want %d", i, n, want)
		}
	}
	if len(st.marks) != 4 || len(st.prunes) != 2 {
		t.Fatalf("%d marks, %d prunes; want 4 and 2", len(st.marks), len(st.prunes))
	}
	if want := t0.Add(DeliveryPruneEvery - DeliveryKeep); !st.prunes[1].Equal(want) {
		t.Errorf("pruned before %v, want %v", st.prunes[1], want)
	}
}

// TestDeliveryLogErrorsSayWhichStep and a nil log knows nothing.
func TestDeliveryLogErrorsSayWhichStep(t *testing.T) {
	l := NewDeliveryLog(&pruneCounter{failing: true})
	_, err := l.Mark(context.Background(), "slack:event:Ev1", time.Unix(0, 0))
	if err == nil || !strings.Contains(err.Error(), "record delivery") || !strings.Contains(err.Error(), "prune deliveries") {
		t.Errorf("err = %v, want both steps named", err)
	}
	var none *DeliveryLog
	if NewDeliveryLog(nil) != nil {
		t.Error("NewDeliveryLog(nil) is not nil")
	}
	if ok, err := none.Delivered(context.Background(), "k"); ok || err != nil {
		t.Errorf("nil log: Delivered = %v, %v", ok, err)
	}
	if n, err := none.Mark(context.Background(), "k", time.Unix(0, 0)); n != 0 || err != nil {
		t.Errorf("nil log: Mark = %d, %v", n, err)
	}
}
