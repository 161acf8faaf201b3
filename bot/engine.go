package bot

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"unicode/utf8"

	"github.com/studybot/studybot/bot/nudge"
	"github.com/studybot/studybot/roadmap"
)

// ChallengeScheduler validates challenge schedules and keeps the running
// scheduler in step with the store. bot/schedule implements it; the engine only
// sees this contract so that bot does not import cron.
type ChallengeScheduler interface {
	// ParseSchedule validates what a moderator typed ("MON 09:00", or a cron
	// spec) in zone (an IANA name, "" for UTC) and returns the cron spec to
	// store, with CRON_TZ=. Invalid, with the reason, when it cannot be used.
	ParseSchedule(when, zone string) (string, error)
	// SetSchedule (re)installs a space's challenge schedule; spec "" removes it.
	SetSchedule(sp Space, spec string) error
	// Upcoming returns up to n firings of a spec ParseSchedule returned,
	// from now on, in the spec's zone.
	Upcoming(spec string, n int) []time.Time
}

// Engine runs commands. Its fields are set once before use; it is safe for
// concurrent use by all adapters.
type Engine struct {
	Store   Store
	Roadmap *roadmap.Roadmap
	Clock   Clock
	Log     *slog.Logger
	// DefaultZone is the IANA zone used for nudges and streaks when a member has
	// none and their platform gives none ("" means UTC).
	DefaultZone string
	// Messenger posts challenges to channels; nil disables posting.
	Messenger Messenger
	// Scheduler validates and installs challenge schedules; nil means schedules
	// are stored and installed at the next start.
	Scheduler ChallengeScheduler
	// ChallengeMemory is how many of a space's last challenges the automatic
	// challenge topic stays clear of; 0 means DefaultChallengeMemory.
	ChallengeMemory int
	// Card draws the progress card image (bot/card.Render); nil sends no image.
	Card     func(title, subtitle string, bars []Bar) ([]byte, error)
	roadmaps roadmapCache // parsed added roadmaps; see roadmapIn
	// Observe, when set, is told about every handled command (metrics).
	Observe func(command string, code Code, d time.Duration)
	// ConfiguredModerators are, per platform, the member ids the operator's
	// config makes moderators (slack.moderators). They are a floor: they
	// moderate (the adapter grants it too), moderators list shows them, and
	// moderators remove cannot take them away.
	ConfiguredModerators map[Platform][]string
	// FastDone is how many topics a member may mark done within one minute
	// before the rest count for their own progress but not for ranking on
	// the leaderboard; 0 means DefaultFastDone.
	FastDone int
}

func (e *Engine) now() time.Time { return e.Clock.Now() }

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.Default()
	}
	return e.Log
}

// Handle runs one request and returns the reply, or an *Error whose Message is
// for the member. Nothing is stored when it returns an error.
func (e *Engine) Handle(ctx context.Context, req *Request) (r *Reply, err error) {
	if e.Observe != nil {
		start := e.now()
		defer func() { e.Observe(req.Command, ErrorCode(err), e.now().Sub(start)) }()
	}
	if req.Space.Platform == "" || req.Space.ID == "" || req.Member == "" {
		return nil, Errorf(Invalid, "I could not tell who or where you are; please try again from a server channel.")
	}
	cmd := Lookup(req.Command)
	if cmd == nil {
		return nil, Errorf(Invalid, "Unknown command %q. Type help to see what I can do.", Clip(req.Command, 40))
	}
	// req stays the caller's until permitted: Observe (deferred above)
	// names the command of a refused request too.
	raised, err := e.permit(ctx, req, cmd)
	if err != nil {
		return nil, err
	}
	req = raised
	if err := e.checkArgs(cmd, req.Args); err != nil {
		return nil, err
	}
	r, err = cmd.run(e, ctx, req)
	if err != nil {
		if ErrorCode(err) == Internal {
			// The one place internal errors are logged; adapters only
			// show the member ErrorMessage.
			e.log().Error("command failed", "command", cmd.Name, "space", req.Space.Key(), "err", err)
		}
		return nil, err
	}
	if cmd.Touch == TouchAfter {
		if _, err := e.member(ctx, req); err != nil {
			e.log().Warn("touch member", "command", cmd.Name, "space", req.Space.Key(), "err", err)
		}
	}
	if req.newcomer && cmd.Touch != TouchNone && !cmd.ForModerators() {
		r = e.welcome(ctx, req, r)
	}
	return withoutModeratorButtons(r), nil
}

// Permit reports whether req's member may run req.Command where they are,
// as Handle would decide before running it (an Invalid, Forbidden or
// Internal error when not), without running it or storing anything: an
// adapter asks before it opens a form for the command (Slack's upload
// modal), so a member who may not run it is told at once rather than
// after filling it in.
func (e *Engine) Permit(ctx context.Context, req *Request) error {
	if req.Space.Platform == "" || req.Space.ID == "" || req.Member == "" {
		return Errorf(Invalid, "I could not tell who or where you are; please try again from a server channel.")
	}
	cmd := Lookup(req.Command)
	if cmd == nil {
		return Errorf(Invalid, "Unknown command %q. Type help to see what I can do.", Clip(req.Command, 40))
	}
	_, err := e.permit(ctx, req, cmd)
	return err
}

// permit is Handle's access check: req, raised to the access the space
// gives its member when that is more, or the refusal.
func (e *Engine) permit(ctx context.Context, req *Request, cmd *Command) (*Request, error) {
	if req.Access < cmd.Access {
		var err error
		if req, err = e.raise(ctx, req, cmd); err != nil {
			return nil, err
		}
	}
	if req.Access < cmd.Access {
		if cmd.Access == AccessAdmin {
			return nil, Errorf(Forbidden, "Only admins and owners can use %s.", "/"+cmd.Slash()+" "+cmd.Name)
		}
		return nil, Errorf(Forbidden, "Only moderators can use %s.", "/"+cmd.Slash()+" "+cmd.Name)
	}
	if cmd.ForModerators() && req.DM {
		return nil, Errorf(Forbidden, "Moderator commands work in a server channel, not in direct messages.")
	}
	return req, nil
}

// raise returns req with the access the space gives the caller beyond what
// the adapter saw: a member named in the config or added with "moderators
// add" moderates. It reads the space only for a member asking for a
// moderator command, so other commands pay nothing; Discord gates /studymod
// itself and never uses the list. A failed read grants nothing and is an
// Internal error.
func (e *Engine) raise(ctx context.Context, req *Request, cmd *Command) (*Request, error) {
	if req.Access != AccessMember || cmd.Access != AccessModerator {
		return req, nil
	}
	ok, err := e.isModerator(ctx, req.Space, req.Member)
	if err != nil {
		e.log().Error("read moderators", "command", cmd.Name, "space", req.Space.Key(), "err", err)
		return nil, err
	}
	if !ok {
		return req, nil
	}
	raised := *req // the caller's request stays as the adapter built it
	raised.Access = AccessModerator
	return &raised, nil
}

// withoutModeratorButtons drops from a Public reply every button that runs a
// moderator command: everyone in the channel sees a public reply's buttons,
// and a moderator's buttons belong only in replies private to that
// moderator. Other replies, and buttons that do not parse, are left as they
// are; r itself is not changed.
func withoutModeratorButtons(r *Reply) *Reply {
	if r == nil || !r.Public {
		return r
	}
	modOnly := func(b Button) bool {
		cmd, _, err := ParseAction(b.Action)
		return err == nil && cmd.ForModerators()
	}
	if !slices.ContainsFunc(r.Buttons, modOnly) {
		return r
	}
	cp := *r
	cp.Buttons = slices.DeleteFunc(slices.Clone(r.Buttons), modOnly)
	return &cp
}

// welcome greets a member on their first use of the bot.
const welcome = "👋 Welcome! I walk this group through a learning roadmap: next says what to study, done and skip mark topics, pick chooses your track (language, framework...), nudge at sets a daily reminder, and challenge shows this week's challenge. help lists everything."

// welcome puts the greeting above a newcomer's answer (never instead of
// it, and not on a public one) and stores their record, so it comes once.
func (e *Engine) welcome(ctx context.Context, req *Request, r *Reply) *Reply {
	if _, err := e.update(ctx, req, func(*Member) error { return nil }); err != nil {
		e.log().Warn("store newcomer", "space", req.Space.Key(), "err", err)
		return r
	}
	if r == nil || r.Public {
		return r
	}
	w := *r
	w.Text = append([]string{welcome}, r.Text...)
	return &w
}

var timePattern = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

// checkArgs validates option values by kind before any handler runs, so a bad
// value never reaches the store.
func (e *Engine) checkArgs(cmd *Command, args map[string]string) error {
	for name, v := range args {
		if !slices.ContainsFunc(cmd.Options, func(o Opt) bool { return o.Name == name }) {
			return Errorf(Invalid, "%s has no option %q. Usage: %s", cmd.Name, Clip(name, 30), cmd.Usage())
		}
		if !utf8.ValidString(v) {
			return Errorf(Invalid, "The %s is not valid UTF-8 text.", name)
		}
		if utf8.RuneCountInString(v) > MaxTextLen {
			return Errorf(Invalid, "The %s is too long (%d characters; the limit is %d).", name, utf8.RuneCountInString(v), MaxTextLen)
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' }) {
			return Errorf(Invalid, "The %s contains control characters.", name)
		}
	}
	for _, o := range cmd.Options {
		v := strings.TrimSpace(args[o.Name])
		if v == "" {
			if o.Required {
				return Errorf(Invalid, "Missing %s. Usage: %s", o.Name, cmd.Usage())
			}
			continue
		}
		switch o.Kind {
		case KindTime:
			if !timePattern.MatchString(v) {
				return Errorf(Invalid, "%q is not a time; use HH:MM in 24-hour form, such as 08:30.", Clip(v, 20))
			}
		case KindZone:
			if _, err := LoadZone(v); err != nil {
				return err
			}
		case KindChoice:
			if !slices.Contains(o.Choices, strings.ToLower(v)) {
				return Errorf(Invalid, "%s must be one of: %s.", o.Name, strings.Join(o.Choices, ", "))
			}
		case KindDuration:
			if err := validSpan(v); err != nil {
				return err
			}
		case KindNumber:
			if n, err := strconv.ParseUint(v, 10, 32); err != nil || n == 0 {
				return Errorf(Invalid, "The %s must be a whole number such as 3, not %q.", o.Name, Clip(v, 20))
			}
		}
	}
	return nil
}

// LoadZone resolves an IANA zone name (any case), with a member-facing
// error, through the one zone cache (nudge.Location). Local is refused: it
// would mean the server's zone, not the member's.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	loc, ok := resolved.get(name)
	if !ok {
		loc = resolveZone(name)
		resolved.put(name, loc)
	}
	if loc == nil {
		return nil, Errorf(Invalid, "%q is not a time zone; use an IANA name such as Europe/Berlin.", Clip(name, 40))
	}
	return loc, nil
}

// resolveZone is LoadZone's lookup, nil for an unknown name.
func resolveZone(name string) *time.Location {
	if strings.EqualFold(name, "utc") {
		return time.UTC
	}
	if loc, ok := nudge.Location(name); ok {
		return loc
	}
	for _, z := range zoneNames {
		if strings.EqualFold(z, name) {
			if loc, ok := nudge.Location(z); ok {
				return loc
			}
		}
	}
	return nil
}
