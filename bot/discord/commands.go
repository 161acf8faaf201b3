package discord

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// Discord's limits on application commands.
const (
	maxDescription = 100
	maxChoices     = 25
	maxOptions     = 25
	// maxCommandChars is Discord's cap on the names, descriptions and
	// choice names and values of one command and everything under it.
	maxCommandChars = 4000
)

// maxNumber bounds integer options: far above any challenge number, and well
// inside the whole numbers a JSON number (a float64) carries exactly.
const maxNumber = 1_000_000

// ApplicationCommands builds /study (member commands) and /studymod (moderator
// commands, default_member_permissions = Manage Guild, which server admins may
// widen to a role in Server Settings > Integrations; see moderatorPerms) from
// the engine's command table. Two-word commands ("nudge at") become subcommand groups. Both commands
// are guild-only: in a DM there is no study group to act on (buttons in nudge DMs
// carry their guild and still work).
func ApplicationCommands() []*discordgo.ApplicationCommand {
	manage := int64(discordgo.PermissionManageGuild)
	no := false
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	study := &discordgo.ApplicationCommand{
		Type:         discordgo.ChatApplicationCommand,
		Name:         "study",
		Description:  "Walk the study roadmap: what's next, mark topics, progress, nudges.",
		DMPermission: &no,
		Contexts:     &guildOnly,
	}
	mod := &discordgo.ApplicationCommand{
		Type:                     discordgo.ChatApplicationCommand,
		Name:                     "studymod",
		Description:              "Moderator tools for the study group: weekly challenges.",
		DefaultMemberPermissions: &manage,
		DMPermission:             &no,
		Contexts:                 &guildOnly,
	}
	for _, c := range bot.Commands() {
		top := study
		if c.ForModerators() {
			top = mod
		}
		sub := &discordgo.ApplicationCommandOption{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        c.Leaf(),
			Description: describe(c.Help, c.Leaf()),
			Options:     commandOptions(c),
		}
		g := c.Group()
		if g == "" {
			top.Options = append(top.Options, sub)
			continue
		}
		var group *discordgo.ApplicationCommandOption
		for _, o := range top.Options {
			if o.Type == discordgo.ApplicationCommandOptionSubCommandGroup && o.Name == g {
				group = o
			}
		}
		if group == nil {
			group = &discordgo.ApplicationCommandOption{
				Type: discordgo.ApplicationCommandOptionSubCommandGroup,
				Name: g,
			}
			top.Options = append(top.Options, group)
		}
		group.Options = append(group.Options, sub)
	}
	for _, top := range []*discordgo.ApplicationCommand{study, mod} {
		for _, o := range top.Options {
			if o.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
				leaves := make([]string, len(o.Options))
				for i, s := range o.Options {
					leaves[i] = s.Name
				}
				o.Description = describe(o.Name+" commands: "+strings.Join(leaves, ", "), o.Name)
			}
		}
	}
	return []*discordgo.ApplicationCommand{study, mod}
}

// commandOptions maps a command's options to Discord option types. Required
// options come first, as Discord demands.
func commandOptions(c *bot.Command) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	for _, o := range c.Options {
		d := &discordgo.ApplicationCommandOption{
			Type:        optionType(o.Kind),
			Name:        o.Name,
			Description: describe(o.Help, o.Name),
			Required:    o.Required,
		}
		switch o.Kind {
		case bot.KindChannel:
			d.ChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}
		case bot.KindNumber:
			one := 1.0
			d.MinValue = &one
			d.MaxValue = maxNumber
		case bot.KindMember:
			// Discord's member picker; the value is the member's id.
		case bot.KindTopic, bot.KindZone, bot.KindOption, bot.KindSection, bot.KindPick, bot.KindRoadmap:
			// Complete answers these from the roadmap and the zone list.
			d.Autocomplete = true
			d.MaxLength = 100
		case bot.KindChallenge:
			// Topics are suggested; anything else typed is the challenge's
			// own text, so the text limit applies, not a topic's.
			d.Autocomplete = true
			d.MaxLength = bot.MaxTextLen
		case bot.KindDuration:
			d.MaxLength = 20
		case bot.KindFile:
			// Discord's file picker; the bytes are downloaded before the
			// engine runs (attachmentFile).
		case bot.KindChoice:
			for _, ch := range o.Choices[:min(len(o.Choices), maxChoices)] {
				d.Choices = append(d.Choices, &discordgo.ApplicationCommandOptionChoice{Name: ch, Value: ch})
			}
		case bot.KindTime:
			d.MaxLength = 5
		case bot.KindSchedule:
			d.MaxLength = 100
		default:
			d.MaxLength = bot.MaxTextLen
		}
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Required && !out[j].Required })
	return out
}

// optionType is the Discord option type for a kind: Discord's own pickers
// for channels, members and files, a whole number for numbers, and a string the
// engine validates by kind for everything else.
func optionType(k bot.Kind) discordgo.ApplicationCommandOptionType {
	switch k {
	case bot.KindChannel:
		return discordgo.ApplicationCommandOptionChannel
	case bot.KindMember:
		return discordgo.ApplicationCommandOptionUser
	case bot.KindNumber:
		return discordgo.ApplicationCommandOptionInteger
	case bot.KindFile:
		return discordgo.ApplicationCommandOptionAttachment
	}
	return discordgo.ApplicationCommandOptionString
}

// describe clips help to Discord's 100 characters; an empty help falls back to
// the name, since Discord requires a description.
func describe(help, name string) string {
	help = strings.TrimSpace(help)
	if help == "" {
		help = name
	}
	if utf8.RuneCountInString(help) <= maxDescription {
		return help
	}
	r := []rune(help)
	return strings.TrimSpace(string(r[:maxDescription-1])) + "…"
}

// Register bulk-overwrites /study and /studymod: per guild when Config.GuildIDs is
// set (updates show instantly), else globally (Discord may take a while to show
// changes).
func (b *Bot) Register(ctx context.Context) error {
	cmds := ApplicationCommands()
	if len(b.cfg.GuildIDs) == 0 {
		err := b.send(ctx, false, "register commands", http.MethodPut, "/applications/"+b.cfg.AppID+"/commands", cmds, nil, nil)
		if err != nil {
			return fmt.Errorf("register global commands: %w", err)
		}
		b.log.Info("discord commands registered globally", "commands", len(cmds))
		return nil
	}
	for _, g := range b.cfg.GuildIDs {
		err := b.send(ctx, false, "register commands", http.MethodPut, "/applications/"+b.cfg.AppID+"/guilds/"+g+"/commands", cmds, nil, nil)
		if err != nil {
			return fmt.Errorf("register commands in guild %s: %w", g, err)
		}
		b.log.Info("discord commands registered", "guild", g, "commands", len(cmds))
	}
	return nil
}
