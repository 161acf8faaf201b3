package store

import (
	"context"
	"path/filepath"
	"testing"
)

func TestDMChannelRoundTripSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "studybot.db")
	db := mustOpenAt(t, path)
	if got, err := db.DMChannel(ctx, spaceA, "42"); err != nil || got != "" {
		t.Fatalf("before any set: %q, %v; want empty", got, err)
	}
	if err := db.SetDMChannel(ctx, spaceA, "42", "900"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetDMChannel(ctx, spaceA, "42", "901"); err != nil { // replaced
		t.Fatal(err)
	}
	db.Close()
	db = mustOpenAt(t, path)
	if got, err := db.DMChannel(ctx, spaceA, "42"); err != nil || got != "901" {
		t.Fatalf("after reopen: %q, %v; want 901", got, err)
	}
	if err := db.SetDMChannel(ctx, spaceA, "42", ""); err != nil {
		t.Fatal(err)
	}
	if got, err := db.DMChannel(ctx, spaceA, "42"); err != nil || got != "" {
		t.Fatalf("after forgetting: %q, %v; want empty", got, err)
	}
	// Forgetting what was never stored, in a space that has no bucket, is fine.
	if err := db.SetDMChannel(ctx, spaceB, "U1", ""); err != nil {
		t.Fatal(err)
	}
}
