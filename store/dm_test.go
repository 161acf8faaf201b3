package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
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

func TestDMChannelSpacesIsolated(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if err := db.SetDMChannel(ctx, spaceA, "42", "900"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.DMChannel(ctx, spaceB, "42"); got != "" {
		t.Fatalf("space B sees space A's channel %q", got)
	}
	// A DM channel alone does not make a space with settings.
	n := 0
	db.Spaces(ctx, func(*bot.SpaceRecord) error { n++; return nil })
	if n != 0 {
		t.Fatalf("Spaces lists %d spaces; want 0", n)
	}
}

func TestDeleteMemberForgetsDMChannel(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.UpdateMember(ctx, spaceA, "42", mark("done")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"42", "43"} {
		if err := db.SetDMChannel(ctx, spaceA, id, "ch"+id); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteMember(ctx, spaceA, "42"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.DMChannel(ctx, spaceA, "42"); got != "" {
		t.Fatalf("deleted member's channel is still %q", got)
	}
	if got, _ := db.DMChannel(ctx, spaceA, "43"); got != "ch43" {
		t.Fatalf("another member's channel is %q; want ch43", got)
	}
	// A member with only a channel stored (never a record) is forgotten too.
	if err := db.DeleteMember(ctx, spaceA, "43"); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.DMChannel(ctx, spaceA, "43"); got != "" {
		t.Fatalf("channel of a member without a record survived delete: %q", got)
	}
}

func TestDMChannelInvalid(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	for name, err := range map[string]error{
		"zero space":   db.SetDMChannel(ctx, bot.Space{}, "42", "1"),
		"empty member": db.SetDMChannel(ctx, spaceA, "", "1"),
		"long channel": db.SetDMChannel(ctx, spaceA, "42", strings.Repeat("1", maxChannelLen+1)),
	} {
		if bot.ErrorCode(err) != bot.Invalid {
			t.Errorf("%s: %v; want Invalid", name, err)
		}
	}
	if _, err := db.DMChannel(ctx, spaceA, ""); bot.ErrorCode(err) != bot.Invalid {
		t.Errorf("read with empty member: %v; want Invalid", err)
	}
}
