package discord

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// moderatorPerms: outside /studymod, Manage Guild or Administrator make a
// moderator, and Administrator an admin, read afresh from the member's
// permissions in every interaction.
//
// /studymod itself needs neither. Its default_member_permissions is Manage
// Guild, but a server's admins may grant it to a role, a member or a channel
// (or take it away) in Server Settings > Integrations, and Discord then shows
// and delivers /studymod, and its autocomplete, only to the members its gate
// lets through. Those overrides are not in the interaction, so the bot cannot
// re-check them; it trusts the gate instead: a /studymod invocation is a
// moderator's (see commandRequest). The command name can be trusted because
// interactions are authenticated: signed with Ed25519 in http mode (verify),
// and sent by Discord itself over the gateway.
const moderatorPerms = discordgo.PermissionManageGuild | discordgo.PermissionAdministrator

// maxCustomID is Discord's limit on a component's custom_id.
const maxCustomID = 100

// maxPartial bounds what autocomplete searches for; Discord caps string options
// at 6000 characters, far more than any topic name.
const maxPartial = 100

// focus is the option being autocompleted.
type focus struct {
	option, partial string
}

// request translates an application command, autocomplete or button interaction
// into a bot.Request. Errors carry a bot error code and a sentence for the member.
func (b *Bot) request(in *discordgo.Interaction) (*bot.Request, *focus, error) {
	req := &bot.Request{
		Space:   bot.Space{Platform: bot.PlatformDiscord, ID: in.GuildID},
		Channel: in.ChannelID,
		DM:      in.GuildID == "",
		Args:    map[string]string{},
	}
	switch {
	case in.Member != nil && in.Member.User != nil:
		req.Member = in.Member.User.ID
		req.Name = displayName(in.Member.Nick, in.Member.User)
		switch {
		case in.Member.Permissions&discordgo.PermissionAdministrator != 0:
			req.Access = bot.AccessAdmin // a server admin may do everything
		case in.Member.Permissions&moderatorPerms != 0:
			req.Access = bot.AccessModerator
		}
	case in.User != nil:
		req.Member = in.User.ID
		req.Name = displayName("", in.User)
	}
	if req.Member == "" {
		return nil, nil, bot.Errorf(bot.Invalid, "I could not tell who you are; please try again.")
	}

	var f *focus
	var err error
	switch data := in.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		f, err = commandRequest(req, data, in.Type == discordgo.InteractionApplicationCommandAutocomplete)
	case discordgo.MessageComponentInteractionData:
		err = buttonRequest(req, in.GuildID, data)
	default:
		err = bot.Errorf(bot.Invalid, "I do not understand that kind of interaction.")
	}
	if err != nil {
		return nil, nil, err
	}
	if req.DM {
		// Only buttons reach here from a DM (the commands are guild-only), and
		// they say which guild they belong to. Moderator powers never come
		// from a DM.
		req.Access = bot.AccessMember
		if c := bot.Lookup(req.Command); c != nil && c.ForModerators() {
			return nil, nil, bot.Errorf(bot.Forbidden, "Moderator commands work in a server channel, not in direct messages.")
		}
	}
	if req.Space.ID != "" && !b.allowed(req.Space.ID) {
		return nil, nil, bot.Errorf(bot.Forbidden, "This bot is not set up for this server; ask its operator to add the server id to discord.guild_ids.")
	}
	return req, f, nil
}

// displayName prefers the server nickname, then the global display name.
func displayName(nick string, u *discordgo.User) string {
	switch {
	case nick != "":
		return nick
	case u.GlobalName != "":
		return u.GlobalName
	}
	return u.Username
}

// commandRequest fills req from /study or /studymod data: the command path from
// the subcommand group and subcommand, the arguments from the options. For
// autocomplete, the options other than the focused one are only context and
// may be half typed: one that does not decode is left out, not refused.
func commandRequest(req *bot.Request, data discordgo.ApplicationCommandInteractionData, autocomplete bool) (*focus, error) {
	if data.Name != "study" && data.Name != "studymod" {
		return nil, bot.Errorf(bot.Invalid, "Unknown command /%s. Use /study help.", clipRunes(data.Name, 32))
	}
	opts := data.Options
	var path []string
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup || opts[0].Type == discordgo.ApplicationCommandOptionSubCommand) {
		path = append(path, opts[0].Name)
		sub := opts[0].Type == discordgo.ApplicationCommandOptionSubCommand
		opts = opts[0].Options
		if sub {
			break
		}
	}
	name := strings.Join(path, " ")
	cmd := bot.Lookup(name)
	if cmd == nil || cmd.Slash() != data.Name {
		if name == "" {
			return nil, bot.Errorf(bot.Invalid, "Pick a subcommand, such as /study next. Use /study help to see them all.")
		}
		return nil, bot.Errorf(bot.Invalid, "Unknown command /%s %s. Discord may still show an old command list; use /study help.", data.Name, clipRunes(name, 40))
	}
	req.Command = cmd.Name
	if cmd.ForModerators() {
		// Discord's gate let this member invoke /studymod (moderatorPerms),
		// whatever their permissions; Administrator stays an admin.
		req.Access = max(req.Access, bot.AccessModerator)
	}
	// /study leaves the level to permissions: its interaction says nothing
	// about whether Discord would let the member run /studymod, and every
	// /study command is a member's, so the level only decides whether help
	// lists the moderator commands.
	var f *focus
	for _, o := range opts {
		var opt *bot.Opt
		for i := range cmd.Options {
			if cmd.Options[i].Name == o.Name {
				opt = &cmd.Options[i]
			}
		}
		if opt == nil {
			return nil, bot.Errorf(bot.Invalid, "/%s %s has no option %q. Usage: %s", data.Name, cmd.Name, clipRunes(o.Name, 32), cmd.Usage())
		}
		// Built only when refused: every option paid for a Sprintf before.
		wrongType := func() error {
			return bot.Errorf(bot.Invalid, "The %s option has the wrong type; Discord may still show an old version of this command. Try again in a minute.", opt.Name)
		}
		if o.Focused {
			// What is typed so far comes as text, whatever the type.
			v, ok := o.Value.(string)
			if !ok || o.Type != optionType(opt.Kind) {
				return nil, wrongType()
			}
			f = &focus{option: o.Name, partial: clipRunes(v, maxPartial)}
			continue
		}
		if opt.Kind == bot.KindFile && o.Type == optionType(opt.Kind) {
			// The value is the attachment's id; the engine gets its name
			// here and its bytes from serve, which downloads it (attachmentFile).
			a := resolved(data, o)
			if a == nil {
				if autocomplete {
					continue
				}
				return nil, bot.Errorf(bot.Invalid, "I could not find the file you attached; please attach it again.")
			}
			req.Args[o.Name] = a.Filename
			continue
		}
		v, ok := optionValue(o, opt.Kind)
		if !ok {
			if autocomplete {
				continue
			}
			return nil, wrongType()
		}
		if n := utf8.RuneCountInString(v); n > bot.MaxTextLen {
			return nil, bot.Errorf(bot.Invalid, "The %s is too long (%d characters; the limit is %d).", opt.Name, n, bot.MaxTextLen)
		}
		req.Args[o.Name] = v
	}
	return f, nil
}

// optionValue is an option's value as the engine reads it: a string or a
// channel's id as it came, an INTEGER (a JSON number, so a float64) in
// decimal, a USER as the member's id (an ATTACHMENT is read by
// commandRequest). ok is false when the option's type is
// not the one registered for k, or the value does not fit that type.
func optionValue(o *discordgo.ApplicationCommandInteractionDataOption, k bot.Kind) (string, bool) {
	if o.Type != optionType(k) {
		return "", false
	}
	switch o.Type {
	case discordgo.ApplicationCommandOptionInteger:
		n, ok := o.Value.(float64)
		if !ok || n != math.Trunc(n) || math.Abs(n) > 1<<53 { // NaN fails the first test
			return "", false
		}
		return strconv.FormatInt(int64(n), 10), true
	case discordgo.ApplicationCommandOptionUser:
		id, ok := o.Value.(string)
		if !ok || !snowflake(id) {
			return "", false
		}
		return id, true
	}
	s, ok := o.Value.(string)
	return s, ok
}

// buttonRequest fills req from a button's custom_id, "<guild id>|<action>", or
// "<owner id>@<guild id>|<action>" for a moderator's button (see customID).
// The guild is in the id because clicks on a nudge DM carry no guild.
//
// A moderator's button is honoured only from its owner, the member whose
// private reply it was rendered in, in answer to a /studymod command that
// Discord's gate let them run; the click then gets that level again, as
// the slash command would (moderatorPerms). The owner in the id can be
// trusted because interactions are authenticated and Discord checks that a
// clicked custom_id is on the message the bot sent (it has since 2021).
func buttonRequest(req *bot.Request, guild string, data discordgo.MessageComponentInteractionData) error {
	if data.ComponentType != discordgo.ButtonComponent {
		return bot.Errorf(bot.Invalid, "That control is no longer valid.")
	}
	head, action, ok := strings.Cut(data.CustomID, "|")
	owner, g, owned := strings.Cut(head, "@")
	if !owned {
		g = head
	}
	if !ok || (g != "" && !snowflake(g)) || (owned && !snowflake(owner)) {
		return bot.Errorf(bot.Invalid, "That button is no longer valid.")
	}
	switch {
	case guild == "":
		req.Space.ID = g
	case g != "" && g != guild:
		return bot.Errorf(bot.Invalid, "That button belongs to another server.")
	}
	if req.Space.ID == "" {
		return bot.Errorf(bot.Invalid, "That button is no longer valid; use /study in your server.")
	}
	cmd, args, err := bot.ParseAction(action)
	if err != nil {
		return err
	}
	switch {
	case cmd.ForModerators() && !owned:
		return bot.Errorf(bot.Forbidden, "That moderator button is not valid; use /studymod instead.")
	case cmd.ForModerators() && owner != req.Member:
		return bot.Errorf(bot.Forbidden, "This button was for another moderator.")
	case cmd.ForModerators():
		req.Access = max(req.Access, bot.AccessModerator)
	case owned:
		return bot.Errorf(bot.Invalid, "That button is no longer valid.")
	}
	req.Command = cmd.Name
	req.Args = args
	return nil
}

// customID encodes a button's action with its guild, or "" when it does not
// fit Discord's 100 characters. A moderator's button (owner set) carries its
// owner too, as "<owner>@<guild>|<action>"; ordinary buttons keep the
// "<guild>|<action>" form, so messages already sent keep working.
func customID(guild, owner, action string) string {
	head := guild
	if owner != "" {
		head = owner + "@" + guild
	}
	id := head + "|" + action
	if len(id) > maxCustomID {
		return ""
	}
	return id
}

// updatesMessage reports whether a button click may replace the message it
// is on (response type 7): only when that message is private to the clicker,
// in a DM (a nudge is the member's own) or ephemeral (only the clicker sees
// it). A click on a message others see, even one answering the clicker's own
// command, gets a new private reply instead, so one member's answer never
// overwrites what others see. answer and finish still keep a new message for
// errors, empty replies and public replies.
func updatesMessage(in *discordgo.Interaction, req *bot.Request) bool {
	if in.Type != discordgo.InteractionMessageComponent || in.Message == nil {
		return false
	}
	return in.GuildID == "" || in.Message.Flags&discordgo.MessageFlagsEphemeral != 0
}

// clipRunes shortens s to n runes for echoing input back.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// interactionKind names an interaction type for logs.
func interactionKind(t discordgo.InteractionType) string {
	switch t {
	case discordgo.InteractionApplicationCommand:
		return "command"
	case discordgo.InteractionApplicationCommandAutocomplete:
		return "autocomplete"
	case discordgo.InteractionMessageComponent:
		return "button"
	case discordgo.InteractionPing:
		return "ping"
	}
	return fmt.Sprintf("type %d", t)
}
