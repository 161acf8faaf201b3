// Package bot is studybot's domain and command engine: who is asking (Request), what
// they get back (Reply), the commands declared once as data, members and their
// progress, and the Store and Messenger contracts that the store and the chat
// adapters fulfil. It imports only the roadmap and the standard library; adapters
// (bot/discord, bot/slack, bot/console) translate platform events into Requests and
// render Replies, and cmd/studybot wires concrete types together.
package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Platform names the chat platform a Space lives on.
type Platform string

// Platforms a Space can live on.
const (
	PlatformDiscord Platform = "discord"
	PlatformSlack   Platform = "slack"
	PlatformConsole Platform = "console"
)

// Space is one isolated community: a Discord guild, a Slack workspace (team) or a
// console space. Nothing stored in one Space is visible from another.
type Space struct {
	Platform Platform `json:"platform"`
	ID       string   `json:"id"`
}

// Key is the space's stable storage key, "platform:id".
func (s Space) Key() string { return string(s.Platform) + ":" + s.ID }

func (s Space) String() string { return s.Key() }

// ParseSpace is the inverse of Key.
func ParseSpace(key string) (Space, bool) {
	p, id, ok := strings.Cut(key, ":")
	if !ok || p == "" || id == "" {
		return Space{}, false
	}
	return Space{Platform: Platform(p), ID: id}, true
}

// Request is one command from a member, already translated from the platform.
type Request struct {
	Space  Space
	Member string // the platform's user id
	Name   string // display name, for boards and summaries
	// Access is decided by the adapter from the platform's facts (Discord:
	// who its permission gate lets through; Slack: admins, owners, configured
	// ids); the engine enforces each command's declared level. Who was made
	// a moderator with "moderators add" is a fact of the space, not the
	// platform: when a member (AccessMember) asks for a moderator command on
	// any platform but Discord, the engine reads the space and treats them
	// as AccessModerator if they are in SpaceRecord.Moderators (or
	// Engine.ConfiguredModerators). Adding or removing one takes effect on
	// their next command. Discord never uses that list: its own command
	// permissions decide.
	Access  Access
	Channel string // where the command was typed; "" when unknown
	DM      bool   // typed in a direct message rather than a group channel
	Command string // command path: "next", "challenge post"
	// Args holds option values by option name, as the member typed them.
	Args map[string]string
	// Zone is the member's time zone from their platform profile, if it has one.
	Zone string
	// newcomer is set by the engine when the requester had no record yet:
	// their first use of the bot, which gets a welcome.
	newcomer bool
	// File is the file the member attached for a KindFile option (roadmap
	// add), read by the adapter: Discord's attachment, Slack's uploaded
	// file, the console's local path. Nil when none.
	File *File
}

// Access is what a caller may do. Levels are ordered: a higher one may do
// everything a lower one may.
type Access int

// Access levels.
const (
	AccessMember    Access = iota // any member of the space
	AccessModerator               // runs the group: challenges, moderation
	AccessAdmin                   // the space's owners and admins: who moderates
)

func (a Access) String() string {
	switch a {
	case AccessModerator:
		return "moderator"
	case AccessAdmin:
		return "admin"
	}
	return "member"
}

// Handler is the engine as every adapter sees it: run a command, suggest
// option values. *Engine implements it; adapters hold this, not the Engine,
// so the engine stays the only validator of commands and arguments.
type Handler interface {
	// Handle runs one request. Errors carry a Code and a sentence for the
	// member (ErrorMessage); the engine has already logged Internal ones.
	Handle(ctx context.Context, req *Request) (*Reply, error)
	// Complete suggests values for one option of req.Command as typed so far.
	Complete(ctx context.Context, req *Request, option, partial string) []Suggestion
	// Permit is Handle's access check alone: nil when req's member may
	// run req.Command there, else Handle's refusal. It runs and stores
	// nothing.
	Permit(ctx context.Context, req *Request) error
}

var _ Handler = (*Engine)(nil)

// Reply is structured content; each adapter renders it (Discord embeds, Slack Block
// Kit, plain text in the console). A Reply is private to the member unless Public.
type Reply struct {
	Title   string
	Text    []string // short paragraphs, plain text; URLs may appear inline
	Fields  []Field
	Bars    []Bar
	Links   []Link
	Buttons []Button
	File    *File // an attachment: the progress card, a data export
	Footer  string
	Public  bool // post for the whole channel (challenges, shared boards)
}

// Field is a labelled value.
type Field struct {
	Name   string
	Value  string
	Inline bool
}

// Bar is a progress bar: Done of Total.
type Bar struct {
	Label string
	Done  int
	Total int
}

// Percent is Done/Total rounded down and clamped to 0..100; 0 when Total is 0.
func (b Bar) Percent() int {
	if b.Total <= 0 {
		return 0
	}
	return min(100, max(0, b.Done*100/b.Total))
}

// Text is the bar in words, "Internet: 4 of 6, 66%": what adapters put
// before the drawn bar, so a screen reader says the meaning before (or
// instead of) reading the bar's glyphs one by one.
func (b Bar) Text() string {
	label := strings.TrimSpace(b.Label)
	if label == "" {
		return fmt.Sprintf("%d of %d, %d%%", b.Done, b.Total, b.Percent())
	}
	return fmt.Sprintf("%s: %d of %d, %d%%", label, b.Done, b.Total, b.Percent())
}

// Link is a titled URL (a topic's resources).
type Link struct {
	Title string
	URL   string
	Kind  string // official, article, book, video, course
}

// ButtonStyle hints how prominent a button is.
type ButtonStyle int

// Button styles, mapped by adapters to their platform's nearest style.
const (
	ButtonSecondary ButtonStyle = iota
	ButtonPrimary
	ButtonSuccess
	ButtonDanger
)

// Button is a clickable action. Action is a command path, optionally followed by
// ":" and a value for the command's first option: "done:internet/http", "next",
// "mydata delete:confirm". Clicks come back as Requests built by ParseAction.
type Button struct {
	Label  string
	Action string
	Style  ButtonStyle
}

// File is an attachment. Adapters show an image/* file inline (the progress
// card) and attach anything else (a data export) for download.
type File struct {
	Name string // file name, e.g. "progress.png"
	Type string // MIME type, e.g. "image/png" or "application/json"
	Data []byte
}

// IsImage reports whether the file is shown as a picture.
func (f *File) IsImage() bool { return strings.HasPrefix(f.Type, "image/") }

// Clock tells the time; tests use a fake one. Domain code never calls time.Now.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the real clock, used only by cmd/studybot.
var SystemClock Clock = ClockFunc(time.Now)

// ManualClock is a Clock that moves only when told: tests and `studybot
// simulate` drive time with it. It is safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (backwards too).
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Add moves the clock by d.
func (c *ManualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep waits d on the real clock, or until ctx is done. Adapters and the
// scheduler use it only for pacing and platform retry-after waits: promises
// about wall-clock time to a platform, which no domain decision reads.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
