package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

func TestDeliveriesMarkedSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "studybot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.Delivered(ctx, "slack:event:Ev1"); err != nil || got {
		t.Fatalf("Delivered on a new file = %v, %v; want false", got, err)
	}
	if err := db.MarkDelivered(ctx, "slack:event:Ev1", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkDelivered(ctx, "slack:event:Ev1", t0); err != nil {
		t.Errorf("marking twice: %v", err)
	}
	db.Close()

	db = mustOpenAt(t, path)
	if got, err := db.Delivered(ctx, "slack:event:Ev1"); err != nil || !got {
		t.Errorf("after reopen Delivered = %v, %v; want true", got, err)
	}
	if got, _ := db.Delivered(ctx, "slack:event:Ev2"); got {
		t.Error("an unmarked key counts as delivered")
	}
}

func TestPruneDeliveriesForgetsOnlyOlderKeys(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if n, err := db.PruneDeliveries(ctx, t0); err != nil || n != 0 {
		t.Fatalf("prune of nothing = %d, %v", n, err)
	}
	for i, key := range []string{"a", "b", "c", "d"} {
		if err := db.MarkDelivered(ctx, key, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	// "a" marked again later is kept as long as its last mark.
	if err := db.MarkDelivered(ctx, "a", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// An older mark does not move it back.
	if err := db.MarkDelivered(ctx, "a", t0); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneDeliveries(ctx, t0.Add(2*time.Minute)) // forgets b (t0+1m); keeps c at exactly the cut
	if err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want 1", n, err)
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got, err := db.Delivered(ctx, key); err != nil || got != want {
			t.Errorf("Delivered(%q) = %v, %v; want %v", key, got, err, want)
		}
	}
	if n, err := db.PruneDeliveries(ctx, t0.Add(time.Hour)); err != nil || n != 3 {
		t.Errorf("prune all = %d, %v; want 3", n, err)
	}
	if got, _ := db.Delivered(ctx, "a"); got {
		t.Error("a survived a prune past its mark")
	}
	// The time index was emptied with the keys: nothing is left to prune.
	if n, _ := db.PruneDeliveries(ctx, t0.Add(48*time.Hour)); n != 0 {
		t.Errorf("second prune forgot %d more", n)
	}
}

func TestDeliveriesInvalidKeys(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	for _, key := range []string{"", strings.Repeat("k", MaxIDLen+1)} {
		if _, err := db.Delivered(ctx, key); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("Delivered(%d bytes) = %v, want Invalid", len(key), err)
		}
		if err := db.MarkDelivered(ctx, key, t0); bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("MarkDelivered(%d bytes) = %v, want Invalid", len(key), err)
		}
	}
}

func TestDeliveriesConcurrentMarks(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	errs := make(chan error, 64)
	for i := range 64 {
		go func() { errs <- db.MarkDelivered(ctx, "k"+string(rune('A'+i%26))+string(rune('a'+i/26)), t0) }()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.PruneDeliveries(ctx, t0.Add(time.Second)); err != nil || n != 64 {
		t.Errorf("pruned %d, %v; want 64", n, err)
	}
}
