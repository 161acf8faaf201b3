package store

import (
	"context"
	"path/filepath"
	"testing"
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
