package discord

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

var commandName = regexp.MustCompile(`^[-_a-z0-9]{1,32}$`)

// TestApplicationCommands checks registration against Discord's limits and
// the golden payload.
func TestApplicationCommands(t *testing.T) {
	cmds := ApplicationCommands()
	bottest.Golden(t, "commands"+".golden", indentJSON(t, cmds))

	if len(cmds) != 2 || cmds[0].Name != "study" || cmds[1].Name != "studymod" {
		t.Fatalf("commands = %v, %v", cmds[0].Name, cmds[1].Name)
	}
	if p := cmds[1].DefaultMemberPermissions; p == nil || *p != discordgo.PermissionManageGuild {
		t.Errorf("studymod default_member_permissions = %v, want Manage Guild", p)
	}
	if cmds[0].DefaultMemberPermissions != nil {
		t.Error("study must be open to everyone")
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		for _, p := range commandLimits(c) {
			t.Errorf("/%s: %s", c.Name, p)
		}
		t.Logf("/%s: %d of %d characters", c.Name, commandChars(c), maxCommandChars)
		for _, o := range c.Options {
			if o.Type == discordgo.ApplicationCommandOptionSubCommand {
				seen[o.Name] = true
			}
			for _, s := range o.Options {
				if s.Type == discordgo.ApplicationCommandOptionSubCommand {
					seen[o.Name+" "+s.Name] = true
				}
			}
		}
	}
	for _, c := range bot.Commands() {
		if !seen[c.Name] {
			t.Errorf("command %q is not registered", c.Name)
		}
	}
}

// TestCommandLimitsCatchOversize: the limit check computes the character
// total and refuses commands past Discord's caps, so TestApplicationCommands
// would fail for a table that outgrew them.
func TestCommandLimitsCatchOversize(t *testing.T) {
	small := &discordgo.ApplicationCommand{Name: "ab", Description: "cdé", Options: []*discordgo.ApplicationCommandOption{{
		Type: discordgo.ApplicationCommandOptionString, Name: "x", Description: "yy",
		Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "n", Value: "vw"}},
	}}}
	if got := commandChars(small); got != 2+3+1+2+1+2 {
		t.Errorf("commandChars = %d, want 11", got)
	}
	if p := commandLimits(small); len(p) != 0 {
		t.Errorf("a small command is refused: %v", p)
	}

	// 25 subcommands of 2 options each, every text at its own limit:
	// within every per-field cap, far over the total.
	big := &discordgo.ApplicationCommand{Name: "big", Description: "big"}
	for i := range maxOptions {
		sub := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand,
			Name: fmt.Sprintf("sub%d", i), Description: strings.Repeat("d", maxDescription)}
		for j := range 2 {
			sub.Options = append(sub.Options, &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString,
				Name: fmt.Sprintf("opt%d", j), Description: strings.Repeat("e", maxDescription), MaxLength: 10})
		}
		big.Options = append(big.Options, sub)
	}
	if p := commandLimits(big); len(p) != 1 || !strings.Contains(p[0], "characters") {
		t.Errorf("a command of %d characters: problems %v, want the total refused", commandChars(big), p)
	}

	tests := []struct {
		name string
		edit func(c *discordgo.ApplicationCommand)
		says string
	}{
		{"TooManyOptions", func(c *discordgo.ApplicationCommand) {
			for i := range maxOptions {
				c.Options = append(c.Options, &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: fmt.Sprintf("o%d", i), Description: "d"})
			}
		}, "options"},
		{"TooManyChoices", func(c *discordgo.ApplicationCommand) {
			for i := range maxChoices {
				c.Options[0].Choices = append(c.Options[0].Choices, &discordgo.ApplicationCommandOptionChoice{Name: fmt.Sprint(i), Value: fmt.Sprint(i)})
			}
		}, "choices"},
		{"LongDescription", func(c *discordgo.ApplicationCommand) { c.Options[0].Description = strings.Repeat("é", 101) }, "description"},
		{"LongChoiceName", func(c *discordgo.ApplicationCommand) { c.Options[0].Choices[0].Name = strings.Repeat("n", 101) }, "choice"},
		{"BadName", func(c *discordgo.ApplicationCommand) { c.Options[0].Name = "Has Space" }, "name"},
		{"RequiredAfterOptional", func(c *discordgo.ApplicationCommand) {
			c.Options = append(c.Options, &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "r", Description: "d", Required: true})
		}, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &discordgo.ApplicationCommand{Name: "ab", Description: "cd", Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: "x", Description: "yy",
				Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "n", Value: "v"}},
			}}}
			tt.edit(c)
			p := commandLimits(c)
			if len(p) == 0 || !strings.Contains(strings.Join(p, "; "), tt.says) {
				t.Errorf("problems %v, want one about %s", p, tt.says)
			}
		})
	}
}

// commandLimits lists how a command breaks Discord's limits: names, lengths,
// counts per level, option order, and the character total.
func commandLimits(c *discordgo.ApplicationCommand) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if !commandName.MatchString(c.Name) {
		bad("bad name %q", c.Name)
	}
	if d := utf8.RuneCountInString(c.Description); d == 0 || d > maxDescription {
		bad("description of %d characters", d)
	}
	var check func(path string, opts []*discordgo.ApplicationCommandOption)
	check = func(path string, opts []*discordgo.ApplicationCommandOption) {
		if len(opts) > maxOptions {
			bad("%s: %d options, over %d", path, len(opts), maxOptions)
		}
		names := map[string]bool{}
		optional := false
		for _, o := range opts {
			p := path + " " + o.Name
			if !commandName.MatchString(o.Name) || names[o.Name] {
				bad("%s: bad or duplicate name", p)
			}
			names[o.Name] = true
			if d := utf8.RuneCountInString(o.Description); d == 0 || d > maxDescription {
				bad("%s: description of %d characters", p, d)
			}
			if len(o.Choices) > maxChoices || (o.Autocomplete && len(o.Choices) > 0) {
				bad("%s: %d choices, autocomplete %v", p, len(o.Choices), o.Autocomplete)
			}
			for _, ch := range o.Choices {
				v, isString := ch.Value.(string)
				if n := utf8.RuneCountInString(ch.Name); n == 0 || n > 100 || (isString && utf8.RuneCountInString(v) > 100) {
					bad("%s: choice %q: name or value past 100 characters", p, clip(ch.Name, 20))
				}
			}
			switch o.Type {
			case discordgo.ApplicationCommandOptionString:
				if o.MaxLength < 0 || o.MaxLength > 6000 || o.MinValue != nil || o.MaxValue != 0 {
					bad("%s: string with max_length %d or a min/max value", p, o.MaxLength)
				}
			case discordgo.ApplicationCommandOptionInteger:
				if o.MaxLength != 0 || o.Autocomplete || (o.MinValue != nil && *o.MinValue > o.MaxValue) || o.MaxValue > 1<<53 {
					bad("%s: integer with max_length, autocomplete or bad bounds", p)
				}
			default:
				if o.MaxLength != 0 || o.Autocomplete || o.MinValue != nil || o.MaxValue != 0 {
					bad("%s: %v option with string or number settings", p, o.Type)
				}
			}
			if o.Type > discordgo.ApplicationCommandOptionSubCommandGroup {
				if o.Required && optional {
					bad("%s: required option after an optional one", p)
				}
				optional = optional || !o.Required
			}
			check(p, o.Options)
		}
	}
	check("/"+c.Name, c.Options)
	if n := commandChars(c); n > maxCommandChars {
		bad("%d characters of names, descriptions and choices, over Discord's %d", n, maxCommandChars)
	}
	return out
}

// commandChars is what Discord counts against maxCommandChars: the names and
// descriptions of the command and every option under it, and the names and
// values of their choices.
func commandChars(c *discordgo.ApplicationCommand) int {
	n := utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(c.Description)
	var walk func(opts []*discordgo.ApplicationCommandOption)
	walk = func(opts []*discordgo.ApplicationCommandOption) {
		for _, o := range opts {
			n += utf8.RuneCountInString(o.Name) + utf8.RuneCountInString(o.Description)
			for _, ch := range o.Choices {
				n += utf8.RuneCountInString(ch.Name) + utf8.RuneCountInString(fmt.Sprint(ch.Value))
			}
			walk(o.Options)
		}
	}
	walk(c.Options)
	return n
}
