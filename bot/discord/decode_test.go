package discord

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestDecodeInteractionAgreesWithDiscordgo decodes every interaction fixture
// both ways: the fields the adapter reads must come out the same as from
// discordgo's own decoder, and a body discordgo refuses is refused too.
func TestDecodeInteractionAgreesWithDiscordgo(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "interactions", "*.json"))
	if len(files) < 20 {
		t.Fatalf("only %d fixtures", len(files))
	}
	bodies := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(f)] = data
	}
	// Refusals: a command without data, and wrongly typed fields.
	bodies["no data"] = []byte(`{"id":"1","type":2,"token":"t"}`)
	bodies["numeric id"] = []byte(`{"id":1,"type":2,"token":"t","data":{}}`)
	bodies["type overflow"] = []byte(`{"id":"1","type":300,"token":"t"}`)
	bodies["permissions number"] = []byte(`{"id":"1","type":2,"token":"t","member":{"permissions":8},"data":{}}`)
	bodies["option value object"] = []byte(`{"id":"1","type":2,"token":"t","data":{"options":[{"name":"x","type":"3"}]}}`)
	bodies["component type string"] = []byte(`{"id":"1","type":3,"token":"t","data":{"component_type":"2"}}`)
	for name, body := range bodies {
		var want, got discordgo.Interaction
		werr := json.Unmarshal(body, &want)
		gerr := decodeInteraction(body, &got)
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%s: discordgo error %v, ours %v", name, werr, gerr)
			continue
		}
		if werr != nil {
			continue
		}
		if got.ID != want.ID || got.AppID != want.AppID || got.Type != want.Type || got.GuildID != want.GuildID ||
			got.ChannelID != want.ChannelID || got.Token != want.Token {
			t.Errorf("%s: header fields %+v, want %+v", name, got, want)
		}
		if (got.Message == nil) != (want.Message == nil) || got.Message != nil && got.Message.Flags != want.Message.Flags {
			t.Errorf("%s: message %+v, want %+v", name, got.Message, want.Message)
		}
		if (got.Member == nil) != (want.Member == nil) ||
			got.Member != nil && (got.Member.Nick != want.Member.Nick || got.Member.Permissions != want.Member.Permissions || !sameUser(got.Member.User, want.Member.User)) {
			t.Errorf("%s: member %+v, want %+v", name, got.Member, want.Member)
		}
		if !sameUser(got.User, want.User) {
			t.Errorf("%s: user %+v, want %+v", name, got.User, want.User)
		}
		if d, ok := want.Data.(discordgo.ApplicationCommandInteractionData); ok && d.Resolved != nil {
			// Only the attachments are kept of the resolved data.
			d.Resolved = &discordgo.ApplicationCommandInteractionDataResolved{Attachments: d.Resolved.Attachments}
			want.Data = d
		}
		if d, ok := want.Data.(discordgo.MessageComponentInteractionData); ok {
			d.Resolved = discordgo.MessageComponentInteractionDataResolved{}
			want.Data = d
		}
		if !reflect.DeepEqual(got.Data, want.Data) && !(strings.HasPrefix(name, "ping") && got.Data == nil) {
			t.Errorf("%s: data %#v, want %#v", name, got.Data, want.Data)
		}
	}
}

func sameUser(a, b *discordgo.User) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ID == b.ID && a.Username == b.Username && a.GlobalName == b.GlobalName
}
