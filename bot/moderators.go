package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on the moderators added with "moderators add".
const (
	// MaxModerators caps SpaceRecord.Moderators: the list is read on every
	// moderator command of a member, and a group needs a handful, not
	// hundreds.
	MaxModerators = 100
	// MaxMemberIDLen bounds a member id; platform ids are far shorter
	// (Slack U0123ABCD, Discord snowflakes of 20 digits).
	MaxMemberIDLen = 64
)

// discordModeratorSteps is the answer to every moderators command on Discord,
// where Discord's own command permissions decide who may use /studymod.
var discordModeratorSteps = []string{
	"On Discord, Discord itself decides who may use /studymod: by default members with Manage Server.",
	"To let a role or a member moderate: Server Settings → Integrations → studybot → /studymod → add the role or member.",
}

// Mention is how a reply names a member so that the platform shows them:
// <@id> on Slack and Discord, which both render it as the member's name;
// the id itself in the console and anywhere else.
func Mention(p Platform, id string) string {
	switch p {
	case PlatformSlack, PlatformDiscord:
		return "<@" + id + ">"
	}
	return id
}

// ChannelMention is how a reply names a channel: <#id> on Slack and
// Discord, which render it as the channel's name; the name as typed
// elsewhere (the console's "#study").
func ChannelMention(p Platform, channel string) string {
	switch {
	case channel == "" || strings.HasPrefix(channel, "#") || strings.ContainsAny(channel, "<> "):
		return channel
	case p == PlatformSlack, p == PlatformDiscord:
		return "<#" + channel + ">"
	}
	return channel
}

// mentions names several members with Mention, or says none.
func mentions(p Platform, ids []string, none string) string {
	if len(ids) == 0 {
		return none
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = Mention(p, id)
	}
	return strings.Join(out, ", ")
}

// configured returns the moderators the bot's config names for sp's platform.
func (e *Engine) configured(sp Space) []string {
	return e.ConfiguredModerators[sp.Platform]
}

// isModerator reports whether member moderates sp by the config or by
// "moderators add". Discord's moderators are decided by Discord alone, so
// there it is always false. It reads the space only when the config does not
// already say yes.
func (e *Engine) isModerator(ctx context.Context, sp Space, member string) (bool, error) {
	if sp.Platform == PlatformDiscord {
		return false, nil
	}
	if slices.Contains(e.configured(sp), member) {
		return true, nil
	}
	rec, err := e.Store.Space(ctx, sp)
	if err != nil {
		return false, Wrap(err, "read space moderators")
	}
	return slices.Contains(rec.Moderators, member), nil
}

// memberID checks the member option of moderators add and remove and
// challenge remove: a platform
// user id, as the adapters pass it (Slack turns <@U123|ann> into U123).
func memberID(req *Request) (string, error) {
	id := strings.TrimSpace(req.Args["member"])
	switch {
	case id == "":
		return "", Errorf(Invalid, "Missing member. Usage: /studymod %s <member>", req.Command)
	case utf8.RuneCountInString(id) > MaxMemberIDLen:
		return "", Errorf(Invalid, "%q is too long for a member id (the limit is %d characters).", Clip(id, 30), MaxMemberIDLen)
	case strings.ContainsFunc(id, unicode.IsSpace) || strings.ContainsAny(id, "<>|@#"):
		// Mention characters would also break the <@id> we show it in.
		return "", Errorf(Invalid, "%q is not a member id: %s.", Clip(id, 30), nameOne(req.Space.Platform))
	}
	return id, nil
}

// nameOne says how to name a member on a platform.
func nameOne(p Platform) string {
	if p == PlatformSlack {
		return "mention one member, such as @ann"
	}
	return "give one member's id"
}

func (e *Engine) cmdModeratorsList(ctx context.Context, req *Request) (*Reply, error) {
	sp := req.Space
	if sp.Platform == PlatformDiscord {
		return &Reply{Title: "Moderators", Text: discordModeratorSteps}, nil
	}
	rec, err := e.Store.Space(ctx, sp)
	if err != nil {
		return nil, Wrap(err, "read space")
	}
	if sp.Platform == PlatformConsole {
		return &Reply{
			Title:  "Moderators",
			Text:   []string{"You are the admin here: whoever runs the console runs the group."},
			Fields: []Field{{Name: "Added with moderators add", Value: mentions(sp.Platform, rec.Moderators, "none")}},
		}, nil
	}
	return &Reply{
		Title: "Moderators",
		Text:  []string{"Who may use /studymod here. Only workspace admins and owners may add or remove moderators; changes apply at once."},
		Fields: []Field{
			{Name: "Workspace admins and owners", Value: "always"},
			{Name: "From the bot's config", Value: mentions(sp.Platform, e.configured(sp), "none") + configHint(sp, len(e.configured(sp)) > 0)},
			{Name: "Added with moderators add", Value: mentions(sp.Platform, rec.Moderators, "none yet: /studymod moderators add @member")},
		},
	}, nil
}

// configKey names the config setting that lists a platform's moderators.
func configKey(sp Space) string { return string(sp.Platform) + ".moderators" }

// configHint points at the config setting when it names anyone.
func configHint(sp Space, named bool) string {
	if !named {
		return ""
	}
	return " (" + configKey(sp) + "; change it there)"
}

// moderatorTarget is what moderators add and remove share: on Discord the
// reply that says Discord decides (done), else the member named, as a
// mention (who), refused with inConfig (the mention, the config key) when
// the bot's config names them, since the config is a floor.
func (e *Engine) moderatorTarget(req *Request, inConfig string) (id, who string, done *Reply, err error) {
	if req.Space.Platform == PlatformDiscord {
		return "", "", &Reply{Title: "Moderators are set in Discord", Text: discordModeratorSteps}, nil
	}
	if id, err = memberID(req); err != nil {
		return "", "", nil, err
	}
	who = Mention(req.Space.Platform, id)
	if slices.Contains(e.configured(req.Space), id) {
		return "", "", nil, Errorf(Conflict, inConfig, who, configKey(req.Space))
	}
	return id, who, nil, nil
}

func (e *Engine) cmdModeratorsAdd(ctx context.Context, req *Request) (*Reply, error) {
	id, who, done, err := e.moderatorTarget(req, "%s is already a moderator: the bot's config (%s) names them.")
	if done != nil || err != nil {
		return done, err
	}
	rec, err := e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		switch {
		case slices.Contains(r.Moderators, id):
			return Errorf(Conflict, "%s is already a moderator.", who)
		case len(r.Moderators) >= MaxModerators:
			return Errorf(Conflict, "This group already has %d moderators, the most I keep; remove one first.", MaxModerators)
		}
		r.Moderators = append(slices.Clone(r.Moderators), id)
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "add moderator")
	}
	return &Reply{
		Title:  "Moderator added",
		Text:   []string{fmt.Sprintf("%s can now use /studymod here: challenges and moderation.", who)},
		Fields: []Field{{Name: "Moderators added here", Value: fmt.Sprint(len(rec.Moderators)), Inline: true}},
	}, nil
}

func (e *Engine) cmdModeratorsRemove(ctx context.Context, req *Request) (*Reply, error) {
	id, who, done, err := e.moderatorTarget(req, "%s is a moderator because the bot's config (%s) names them; remove them there.")
	if done != nil || err != nil {
		return done, err
	}
	rec, err := e.Store.UpdateSpace(ctx, req.Space, func(r *SpaceRecord) error {
		if !slices.Contains(r.Moderators, id) {
			return Errorf(NotFound, "%s is not among the moderators added here.", who)
		}
		r.Moderators = slices.DeleteFunc(slices.Clone(r.Moderators), func(m string) bool { return m == id })
		return nil
	})
	if err != nil {
		return nil, Wrap(err, "remove moderator")
	}
	return &Reply{
		Title:  "Moderator removed",
		Text:   []string{fmt.Sprintf("%s can no longer use /studymod here.", who)},
		Fields: []Field{{Name: "Moderators added here", Value: fmt.Sprint(len(rec.Moderators)), Inline: true}},
	}, nil
}
