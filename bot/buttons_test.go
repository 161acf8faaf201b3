package bot

import (
	"context"
	"slices"
	"testing"
)

func TestWithoutModeratorButtons(t *testing.T) {
	topic := Button{Label: "About this topic", Action: "topic:internet/dns"}
	board := Button{Label: "Board", Action: "challenge board"}
	closeBtn := Button{Label: "Close", Action: "challenge close"}
	remove := Button{Label: "Remove", Action: "challenge remove:U2|3"}
	addMod := Button{Label: "Make moderator", Action: "moderators add:U2"}
	stale := Button{Label: "Old", Action: "frobnicate"}
	tests := []struct {
		name   string
		public bool
		in     []Button
		want   []Button
	}{
		{"PublicDropsModeratorButtons", true, []Button{topic, closeBtn, board, remove, addMod}, []Button{topic, board}},
		{"PublicAllModerator", true, []Button{closeBtn}, []Button{}},
		{"PublicMemberButtonsKept", true, []Button{topic, board}, []Button{topic, board}},
		{"PublicStaleButtonKept", true, []Button{stale, closeBtn}, []Button{stale}},
		{"PrivateKeepsModeratorButtons", false, []Button{topic, closeBtn, addMod}, []Button{topic, closeBtn, addMod}},
		{"NoButtons", true, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Reply{Title: "x", Public: tt.public, Buttons: slices.Clone(tt.in)}
			got := withoutModeratorButtons(in)
			if !slices.Equal(got.Buttons, tt.want) {
				t.Errorf("buttons %+v, want %+v", got.Buttons, tt.want)
			}
			if got.Title != "x" || got.Public != tt.public {
				t.Errorf("reply changed beyond its buttons: %+v", got)
			}
			if !slices.Equal(in.Buttons, tt.in) {
				t.Errorf("the handler's reply was changed: %+v", in.Buttons)
			}
		})
	}
	if withoutModeratorButtons(nil) != nil {
		t.Error("nil reply")
	}
}

// TestHandleFiltersPublicButtons: Engine.Handle applies the filter to what a
// handler returns, so no command can put a moderator button in public.
func TestHandleFiltersPublicButtons(t *testing.T) {
	var reply *Reply
	// A command of this test only; the table is restored before any other
	// test runs (none in this package is parallel).
	saved := commandTable
	commandTable = append(slices.Clip(commandTable), &Command{Name: "test reply", Access: AccessModerator, Touch: TouchNone,
		run: func(*Engine, context.Context, *Request) (*Reply, error) { return reply, nil }})
	t.Cleanup(func() { commandTable = saved })
	for _, public := range []bool{true, false} {
		reply = &Reply{Title: "Posted", Public: public, Buttons: []Button{
			{Label: "About", Action: "topic:internet/dns"},
			{Label: "Close", Action: "challenge close"},
		}}
		r, err := (&Engine{}).Handle(context.Background(), &Request{
			Space: Space{Platform: PlatformSlack, ID: "T1"}, Member: "U1", Access: AccessModerator, Command: "test reply",
		})
		if err != nil {
			t.Fatal(err)
		}
		want := 2
		if public {
			want = 1
		}
		if len(r.Buttons) != want {
			t.Errorf("public %v: buttons %+v, want %d", public, r.Buttons, want)
		}
	}
}
