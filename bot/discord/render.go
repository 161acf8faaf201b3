package discord

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/studybot/studybot/bot"
)

// Discord's embed and component limits.
const (
	maxTitle        = 256
	maxDescription4 = 4096
	maxFields       = 25
	maxFieldName    = 256
	maxFieldValue   = 1024
	maxFooter       = 2048
	maxEmbedTotal   = 6000
	maxLabel        = 80
	maxRowButtons   = 5
	maxRows         = 5
	maxContent      = 2000
)

// embedColor is studybot's accent colour.
const embedColor = 0x2ECC71

// message is the body of a message in every place one is sent: an interaction
// response's data, a webhook edit of the original response, a follow-up, and a
// channel message. discordgo's own structs for these emit fields Discord rejects
// or misreads (empty attachment urls, null components), so the adapter marshals
// this one shape.
type message struct {
	Content    string                       `json:"content"`
	Embeds     []*discordgo.MessageEmbed    `json:"embeds"`
	Components []discordgo.MessageComponent `json:"components"`
	// Attachments lists the files the message keeps after an edit; new
	// uploads are referenced by their index among the files.
	Attachments     []attachment                      `json:"attachments"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Flags           discordgo.MessageFlags            `json:"flags,omitempty"`

	files []*discordgo.File // sent as multipart parts, not in the JSON
}

type attachment struct {
	ID       int    `json:"id"`
	Filename string `json:"filename"`
}

// response is an interaction response.
type response struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data any                               `json:"data,omitempty"`
}

// files returns the uploads a response carries.
func (r *response) files() []*discordgo.File {
	if m, ok := r.Data.(*message); ok {
		return m.files
	}
	return nil
}

type flagsData struct {
	Flags discordgo.MessageFlags `json:"flags,omitempty"`
}

type choicesData struct {
	Choices []choice `json:"choices"`
}

type choice struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// noMentions keeps member-typed text (notes, submissions, names) from pinging
// @everyone, roles or users when it is shown in a channel.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// render turns a reply into a message: one embed (title, paragraphs and progress
// bars in the description, fields, resources, image, footer) and rows of buttons
// whose custom ids carry guild. A nil reply renders "Done.". The message is
// ephemeral unless r.Public.
//
// owner is the member who alone will see the message: the invoker of a
// private reply. Buttons that run a moderator command are bound to the owner
// (customID) and dropped when there is none: in public replies, channel
// posts and DMs (owner "") no one else may be handed them. The engine leaves
// them out of such replies too; this is the second line.
func render(r *bot.Reply, guild, owner string) *message {
	m := &message{
		Embeds:          []*discordgo.MessageEmbed{},
		Components:      []discordgo.MessageComponent{},
		Attachments:     []attachment{},
		AllowedMentions: noMentions(),
	}
	if r == nil {
		m.Content = "Done."
		m.Flags = discordgo.MessageFlagsEphemeral
		return m
	}
	if r.Public {
		owner = ""
	} else {
		m.Flags = discordgo.MessageFlagsEphemeral
	}
	if e := embed(r); e != nil {
		m.Embeds = append(m.Embeds, e)
	} else if r.File == nil {
		m.Content = "Done."
	}
	if r.File != nil && len(r.File.Data) > 0 {
		name := fileName(r.File.Name)
		typ := r.File.Type
		if typ == "" {
			typ = "application/octet-stream"
		}
		m.files = []*discordgo.File{{Name: name, ContentType: typ, Reader: bytes.NewReader(r.File.Data)}}
		m.Attachments = []attachment{{ID: 0, Filename: name}}
		if r.File.IsImage() {
			if len(m.Embeds) == 0 {
				m.Embeds = append(m.Embeds, &discordgo.MessageEmbed{Color: embedColor})
			}
			m.Embeds[0].Image = &discordgo.MessageEmbedImage{URL: "attachment://" + name}
		}
	}
	m.Components = buttons(r.Buttons, guild, owner)
	return m
}

// errorMessage renders an error as a private message with the member-facing
// sentence.
func errorMessage(err error) *message {
	return textMessage(bot.ErrorMessage(err))
}

// textMessage is a private plain-text message.
func textMessage(s string) *message {
	return &message{
		Content:         clip(s, maxContent),
		Embeds:          []*discordgo.MessageEmbed{},
		Components:      []discordgo.MessageComponent{},
		Attachments:     []attachment{},
		AllowedMentions: noMentions(),
		Flags:           discordgo.MessageFlagsEphemeral,
	}
}

// embed renders the reply's content, or nil when it has none.
func embed(r *bot.Reply) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{Color: embedColor, Title: clip(r.Title, maxTitle)}
	var desc []string
	for _, p := range r.Text {
		if p = strings.TrimSpace(p); p != "" {
			desc = append(desc, p)
		}
	}
	if len(r.Bars) > 0 {
		lines := make([]string, len(r.Bars))
		for i, b := range r.Bars {
			lines[i] = barLine(b)
		}
		desc = append(desc, strings.Join(lines, "\n"))
	}
	e.Description = clip(strings.Join(desc, "\n\n"), maxDescription4)
	for _, f := range r.Fields {
		if len(e.Fields) == maxFields {
			break
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
			Name:   orBlank(clip(f.Name, maxFieldName)),
			Value:  orBlank(clip(f.Value, maxFieldValue)),
			Inline: f.Inline,
		})
	}
	if len(r.Links) > 0 && len(e.Fields) < maxFields {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Resources", Value: links(r.Links)})
	}
	if r.Footer != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: clip(r.Footer, maxFooter)}
	}
	if e.Title == "" && e.Description == "" && len(e.Fields) == 0 && e.Footer == nil {
		return nil
	}
	// Discord refuses an embed over 6000 characters in all: drop trailing
	// fields, then shorten the description. A character is at least a
	// byte, so an embed of at most 6000 bytes (nearly all) needs no count.
	if embedBytes(e) <= maxEmbedTotal {
		return e
	}
	for embedSize(e) > maxEmbedTotal && len(e.Fields) > 0 {
		e.Fields = e.Fields[:len(e.Fields)-1]
	}
	if over := embedSize(e) - maxEmbedTotal; over > 0 {
		e.Description = clip(e.Description, utf8.RuneCountInString(e.Description)-over-1)
	}
	return e
}

// embedBytes is embedSize in bytes, an upper bound of it.
func embedBytes(e *discordgo.MessageEmbed) int {
	n := len(e.Title) + len(e.Description)
	for _, f := range e.Fields {
		n += len(f.Name) + len(f.Value)
	}
	if e.Footer != nil {
		n += len(e.Footer.Text)
	}
	return n
}

func embedSize(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	return n
}

// barLine draws a progress bar as its words first, then the glyphs:
// "Internet: 7 of 10, 70% `███████░░░`" (see bot.Bar.Text).
func barLine(b bot.Bar) string {
	full := min(max(b.Percent()*barCells/100, 0), barCells)
	b.Label = clip(b.Label, 100)
	return b.Text() + " `" + drawnBars[full] + "`"
}

const barCells = 10

// drawnBars are the barCells+1 drawn bars, from empty to full, made once
// rather than with two strings.Repeat and a Sprintf per bar.
var drawnBars = func() (out [barCells + 1]string) {
	for full := range out {
		out[full] = strings.Repeat("█", full) + strings.Repeat("░", barCells-full)
	}
	return out
}()

// links lists resources as markdown links, as many as fit in one field.
func links(ls []bot.Link) string {
	var b strings.Builder
	writeLinks(ls, func(s string) { b.WriteString(s) })
	return b.String()
}

// writeLinks writes links' value through write, piece by piece, and
// returns its length in bytes; the direct answer encoder (answer.go)
// writes the pieces JSON-escaped into the answer, render into a string.
// Each line's length is worked out before it is written, so nothing is
// written that does not fit. Every piece a caller's text is in (title,
// url, kind) is written between pieces of ASCII, which appendInner
// relies on.
func writeLinks(ls []bot.Link, write func(string)) int {
	n := 0 // bytes written
	for i, l := range ls {
		title := escapeLinkText(clip(l.Title, 200))
		web := (strings.HasPrefix(l.URL, "https://") || strings.HasPrefix(l.URL, "http://")) && len(l.URL) <= 500
		line := len("• ") + len(title) // "• title", or "• [title](url)" for a web link
		if web {
			line += len("[]()") + len(l.URL)
		}
		if l.Kind != "" {
			line += len(" · ") + len(l.Kind)
		}
		reserve := 0
		if rest := len(ls) - i - 1; rest > 0 {
			reserve = len("\n…and  more") + digits(rest)
		}
		if n+1+line+reserve > maxFieldValue {
			if n > 0 {
				write("\n")
				n++
			}
			more := strconv.Itoa(len(ls) - i)
			write("…and ")
			write(more)
			write(" more")
			return n + len("…and  more") + len(more)
		}
		if n > 0 {
			write("\n")
			n++
		}
		write("• ")
		if web {
			write("[")
			write(title)
			write("](")
			write(l.URL)
			write(")")
		} else {
			write(title)
		}
		if l.Kind != "" {
			write(" · ")
			write(l.Kind)
		}
		n += line
	}
	return n
}

// digits is len(strconv.Itoa(n)) for n >= 0, without building the string.
func digits(n int) int {
	d := 1
	for ; n >= 10; n /= 10 {
		d++
	}
	return d
}

var linkTextEscaper = strings.NewReplacer("[", "(", "]", ")")

func escapeLinkText(s string) string { return linkTextEscaper.Replace(s) }

// buttons lays out up to 25 buttons in rows of five. Buttons whose custom id
// would not fit, and duplicates (Discord refuses them), are left out, and so
// are moderator buttons when there is no owner to bind them to.
func buttons(bs []bot.Button, guild, owner string) []discordgo.MessageComponent {
	rows := []discordgo.MessageComponent{}
	var row discordgo.ActionsRow
	// The ids already shown: at most maxRows*maxRowButtons, so a slice
	// scanned is cheaper than a map.
	seen := make([]string, 0, maxRows*maxRowButtons)
	for _, bt := range bs {
		id := customID(guild, "", bt.Action)
		if forModerators(bt.Action) {
			id = ""
			if owner != "" {
				id = customID(guild, owner, bt.Action)
			}
		}
		if id == "" || slices.Contains(seen, id) || bt.Label == "" {
			continue
		}
		if len(row.Components) == maxRowButtons {
			rows = append(rows, row)
			row = discordgo.ActionsRow{}
		}
		if len(rows) == maxRows {
			break
		}
		seen = append(seen, id)
		row.Components = append(row.Components, discordgo.Button{
			Label:    clip(bt.Label, maxLabel),
			Style:    buttonStyle(bt.Style),
			CustomID: id,
		})
	}
	if len(row.Components) > 0 && len(rows) < maxRows {
		rows = append(rows, row)
	}
	return rows
}

// forModerators reports whether a button's action runs a /studymod command:
// whether bot.ParseAction takes it and its command is a moderator's. It
// checks what ParseAction checks without building the arguments map
// ParseAction returns, which every button of every answer paid for;
// TestForModeratorsAgreesWithParseAction holds the two together.
func forModerators(action string) bool {
	path, val, hasVal := strings.Cut(action, ":")
	cmd := bot.Lookup(path)
	if cmd == nil || len(action) > 200 || !utf8.ValidString(action) {
		return false
	}
	if hasVal && strings.Count(val, "|")+1 > len(cmd.Options) {
		return false
	}
	return cmd.ForModerators()
}

func buttonStyle(s bot.ButtonStyle) discordgo.ButtonStyle {
	switch s {
	case bot.ButtonPrimary:
		return discordgo.PrimaryButton
	case bot.ButtonSuccess:
		return discordgo.SuccessButton
	case bot.ButtonDanger:
		return discordgo.DangerButton
	}
	return discordgo.SecondaryButton
}

// fileName keeps an attachment name to characters Discord's attachment://
// references accept.
func fileName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s == "" || strings.HasPrefix(s, ".") {
		s = "image" + s
	}
	if !strings.HasSuffix(strings.ToLower(s), ".png") {
		s += ".png"
	}
	return clip(s, 100)
}

// clip shortens s to at most n runes, ending with "…" when cut.
func clip(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func orBlank(s string) string {
	if strings.TrimSpace(s) == "" {
		return "\u200b" // Discord refuses empty field names and values
	}
	return s
}
