package discord

import (
	"encoding/json"
	"errors"

	"github.com/bwmarrin/discordgo"
)

// wireInteraction is the part of an interaction the adapter reads, as it
// comes over HTTP. discordgo.Interaction's own decoder reads the body twice
// (once around a raw data field, then the data) into heavy types: a full
// Member with its join time and roles, a full Message with its embeds and
// components for every button click. Profiled on the signed-HTTP path, that
// was over a fifth of the adapter's own CPU per command. Decoding these few
// fields once, then filling a discordgo.Interaction (the type the shared
// serve path and the gateway loop use), keeps discordgo's field types, and so
// its refusals of wrongly typed values, at a fraction of the cost.
type wireInteraction struct {
	ID        string                    `json:"id"`
	AppID     string                    `json:"application_id"`
	Type      discordgo.InteractionType `json:"type"`
	Data      *wireData                 `json:"data"`
	GuildID   string                    `json:"guild_id"`
	ChannelID string                    `json:"channel_id"`
	Message   *wireMessage              `json:"message"`
	Member    *wireMember               `json:"member"`
	User      *wireUser                 `json:"user"`
	Token     string                    `json:"token"`
}

type wireMember struct {
	User        *wireUser `json:"user"`
	Nick        string    `json:"nick"`
	Permissions int64     `json:"permissions,string"`
}

type wireUser struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name"`
}

// wireMessage is the clicked message: only its flags matter (updatesMessage).
type wireMessage struct {
	Flags discordgo.MessageFlags `json:"flags"`
}

// wireData is the data of a command (or autocomplete) and of a component
// interaction in one struct, so the body is decoded in a single pass: the
// two share no key. Of the resolved data, only attachments are kept; the
// adapter never reads the resolved users, members, roles, channels and
// messages.
type wireData struct {
	ID          string                                               `json:"id"`
	Name        string                                               `json:"name"`
	CommandType discordgo.ApplicationCommandType                     `json:"type"`
	Options     []*discordgo.ApplicationCommandInteractionDataOption `json:"options"`
	Resolved    *struct {
		Attachments map[string]*discordgo.MessageAttachment `json:"attachments"`
	} `json:"resolved"`
	TargetID string `json:"target_id"`

	CustomID      string                  `json:"custom_id"`
	ComponentType discordgo.ComponentType `json:"component_type"`
	Values        []string                `json:"values"`
}

var errNoData = errors.New("interaction without data")

// decodeInteraction decodes an HTTP interaction body into in. Like
// discordgo's decoder, it refuses a command or component interaction whose
// data is missing or does not decode; other types keep no data. Unlike it,
// it refuses ids that are not snowflakes.
func decodeInteraction(body []byte, in *discordgo.Interaction) error {
	w, ok := fastDecode(body, new(wireArena))
	if !ok { // fastdecode.go: the usual body, in one pass
		// A pointer of its own for encoding/json, which moves what it
		// decodes into to the heap: w stays on the stack.
		u := new(wireInteraction)
		if err := json.Unmarshal(body, u); err != nil {
			return err
		}
		w = *u
	}
	// Discord's ids are decimal snowflakes; a zero-width or right-to-left
	// character in one is not a Discord request, and must not become a
	// space or member key in the store.
	for _, id := range []string{w.ID, w.AppID, w.GuildID, w.ChannelID, w.Member.userID(), w.User.id()} {
		if id != "" && !snowflake(id) {
			return errNotSnowflake
		}
	}
	*in = discordgo.Interaction{
		ID:        w.ID,
		AppID:     w.AppID,
		Type:      w.Type,
		GuildID:   w.GuildID,
		ChannelID: w.ChannelID,
		Token:     w.Token,
	}
	if w.Message != nil {
		in.Message = &discordgo.Message{Flags: w.Message.Flags}
	}
	if w.Member != nil {
		if u := w.Member.User; u != nil {
			// The member and its user in one allocation.
			mu := &struct {
				m discordgo.Member
				u discordgo.User
			}{u: discordgo.User{ID: u.ID, Username: u.Username, GlobalName: u.GlobalName}}
			mu.m = discordgo.Member{Nick: w.Member.Nick, Permissions: w.Member.Permissions, User: &mu.u}
			in.Member = &mu.m
		} else {
			in.Member = &discordgo.Member{Nick: w.Member.Nick, Permissions: w.Member.Permissions}
		}
	}
	in.User = w.User.user()
	switch w.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		d := w.Data
		if d == nil {
			return errNoData
		}
		data := discordgo.ApplicationCommandInteractionData{ID: d.ID, Name: d.Name, CommandType: d.CommandType, Options: d.Options, TargetID: d.TargetID}
		if d.Resolved != nil {
			data.Resolved = &discordgo.ApplicationCommandInteractionDataResolved{Attachments: d.Resolved.Attachments}
		}
		in.Data = data
	case discordgo.InteractionMessageComponent:
		d := w.Data
		if d == nil {
			return errNoData
		}
		in.Data = discordgo.MessageComponentInteractionData{CustomID: d.CustomID, ComponentType: d.ComponentType, Values: d.Values}
	}
	return nil
}

var errNotSnowflake = errors.New("an id is not a Discord snowflake")

func (m *wireMember) userID() string {
	if m == nil {
		return ""
	}
	return m.User.id()
}

func (u *wireUser) id() string {
	if u == nil {
		return ""
	}
	return u.ID
}

func (u *wireUser) user() *discordgo.User {
	if u == nil {
		return nil
	}
	return &discordgo.User{ID: u.ID, Username: u.Username, GlobalName: u.GlobalName}
}
