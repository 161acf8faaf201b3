package slack

import (
	"strings"

	"github.com/studybot/studybot/bot"
)

// Slash commands, as named in manifest.yaml.
const (
	slashStudy    = "/study"
	slashStudyMod = "/studymod"
)

var entities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// unescape turns Slack's escaped command text back into what the member typed:
// <@U123|name> -> U123, <#C123|name> -> C123, <https://x|x> -> https://x,
// <!here> -> @here, and &lt; &gt; &amp; -> < > &. The manifest sets should_escape
// so mentions always arrive in the <…> form with ids.
func unescape(text string) string {
	// Most command text has neither: it comes back as it is, without the
	// builder's copy and the replacer's buffer (twice per command: file
	// commands are looked for first).
	if strings.IndexByte(text, '<') < 0 && strings.IndexByte(text, '&') < 0 {
		return text
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(entities.Replace(text[:i]))
		b.WriteString(entities.Replace(mention(text[i+1 : i+j])))
		text = text[i+j+1:]
	}
	b.WriteString(entities.Replace(text))
	return b.String()
}

// mention translates the inside of one <…> sequence.
func mention(s string) string {
	target, label, _ := strings.Cut(s, "|")
	switch {
	case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
		return target[1:]
	case strings.HasPrefix(target, "!"):
		if label != "" {
			return label
		}
		cmd, _, _ := strings.Cut(target[1:], "^")
		return "@" + cmd
	}
	return target // a link: keep the URL, drop Slack's label
}

// parse turns a slash command's text into a command and its args. slash is the
// slash command used; a command of the other one gets a message naming the right
// one, and an unknown or incomplete command gets the usage of this one's commands.
// Errors are Invalid with a message for the member.
func parse(slash, text string) (*bot.Command, map[string]string, error) {
	mod := slash == slashStudyMod
	line := unescape(text)
	cmd, args, err := bot.ParseLine(line)
	if err != nil {
		if u := groupUsage(line, mod); u != "" {
			return nil, nil, bot.Errorf(bot.Invalid, "%s", u)
		}
		return nil, nil, err
	}
	if cmd.Name == "help" {
		return cmd, args, nil // help answers under both commands
	}
	if cmd.ForModerators() != mod {
		// A group's name alone means its default under this slash command:
		// /studymod challenge is challenge list, /study challenge the board.
		if f := strings.Fields(strings.ToLower(line)); len(f) == 1 || (len(f) == 2 && strings.HasPrefix(f[0], "/")) {
			if d := bot.GroupDefault(cmd.Group(), mod); d != nil && cmd.Group() == f[len(f)-1] {
				return d, map[string]string{}, nil
			}
		}
		if cmd.ForModerators() {
			return nil, nil, bot.Errorf(bot.Invalid, "%s is a moderator command. Usage: %s", cmd.Name, cmd.Usage())
		}
		return nil, nil, bot.Errorf(bot.Invalid, "%s is a member command. Usage: %s", cmd.Name, cmd.Usage())
	}
	return cmd, args, nil
}

// groupUsage explains a first word that is not a command of this slash command:
// the subcommands of a group ("challenge") that belong here, or every usage of
// this slash command when the word is unknown. "" when ParseLine's own error is
// better (a bad quote, a line too long, too many words).
func groupUsage(line string, mod bool) string {
	if len(line) > bot.MaxInputLen {
		return ""
	}
	shown := strings.Fields(line)
	if len(shown) > 0 && (strings.EqualFold(shown[0], slashStudyMod) || strings.EqualFold(shown[0], slashStudy)) {
		shown = shown[1:]
	}
	f := strings.Fields(strings.ToLower(strings.Join(shown, " ")))
	if len(f) == 0 || bot.Lookup(f[0]) != nil || (len(f) > 1 && bot.Lookup(f[0]+" "+f[1]) != nil) {
		return ""
	}
	var mine, other []string
	for _, c := range bot.Commands() {
		if c.Group() != f[0] {
			continue
		}
		if c.ForModerators() == mod {
			mine = append(mine, c.Usage())
		} else {
			other = append(other, c.Usage())
		}
	}
	switch {
	case len(mine) > 0:
		return "Usage: " + strings.Join(mine, " | ")
	case len(other) > 0:
		return "Those are " + map[bool]string{true: "member", false: "moderator"}[mod] + " commands. Usage: " + strings.Join(other, " | ")
	}
	var all []string
	for _, c := range bot.Commands() {
		if c.ForModerators() == mod {
			all = append(all, c.Usage())
		}
	}
	word := []rune(shown[0])
	if len(word) > 30 {
		word = append(word[:30], '…')
	}
	return "Unknown command \"" + string(word) + "\". Usage: " + strings.Join(all, " | ")
}
