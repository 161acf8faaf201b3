package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/fetch"
)

// A slash command carries no file, so a command with a KindFile option
// (roadmap add) opens a modal with a file_input instead of running; its
// view_submission brings the file's id, name, size and private URL, which
// the adapter downloads with the bot token (scope files:read) and hands to
// the engine as bytes.
const (
	fileModalID  = "studybot_file" // the modal's callback_id
	fileBlockID  = "file"          // its input block: the key of modal errors
	fileActionID = "file"          // the file_input's action_id
	// fileType is the one kind of file a KindFile option takes.
	fileType = "toml"
	// maxModalTitle is Slack's limit on a modal's title.
	maxModalTitle = 24
	// fetchTimeout bounds one download.
	fetchTimeout = 10 * time.Second
	// maxRedirects bounds the redirects one download follows, all on the
	// file host.
	maxRedirects = 3
)

// modalMeta is the modal's private_metadata: where and by whom the command
// was typed, so the answer goes back there.
type modalMeta struct {
	Command string `json:"command"`
	Team    string `json:"team"`
	User    string `json:"user"`
	Channel string `json:"channel,omitempty"`
}

// fileOption is the command's KindFile option, or nil.
func fileOption(c *bot.Command) *bot.Opt {
	for i := range c.Options {
		if c.Options[i].Kind == bot.KindFile {
			return &c.Options[i]
		}
	}
	return nil
}

// fileCommand is the command with a KindFile option that text starts with
// under slash ("roadmap add", whatever follows), or nil. What follows does
// not matter: the file comes from the modal.
func fileCommand(slash, text string) *bot.Command {
	lower := strings.ToLower(unescape(text))
	// Such a command's first word is in the text: without one, which is
	// every other command, the text need not be split into words.
	if !slices.ContainsFunc(fileWords(), func(w string) bool { return strings.Contains(lower, w) }) {
		return nil
	}
	f := strings.Fields(lower)
	if len(f) > 0 && (f[0] == slashStudy || f[0] == slashStudyMod) {
		f = f[1:]
	}
	if len(f) < 2 {
		return nil
	}
	c := bot.Lookup(f[0] + " " + f[1])
	if c == nil || "/"+c.Slash() != slash || fileOption(c) == nil {
		return nil
	}
	return c
}

// fileWords are the first words of the commands with a KindFile option
// ("roadmap" of "roadmap add").
var fileWords = sync.OnceValue(func() []string {
	var words []string
	for _, c := range bot.Commands() {
		if fileOption(c) != nil {
			w, _, _ := strings.Cut(c.Name, " ")
			words = append(words, w)
		}
	}
	return words
})

// fileModal asks for the file of cmd's KindFile option: one file_input of
// .toml files, at most one.
func fileModal(cmd *bot.Command, meta modalMeta) slack.ModalViewRequest {
	opt := fileOption(cmd)
	md, _ := json.Marshal(meta)
	input := slack.NewInputBlock(fileBlockID, plain(clip(upperFirst(opt.Help), maxHeaderLen)),
		plain(fmt.Sprintf("A .%s file of at most %d KB.", fileType, bot.MaxRoadmapFile/1024)),
		slack.NewFileInputBlockElement(fileActionID).WithFileTypes(fileType).WithMaxFiles(1))
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      fileModalID,
		Title:           plain(clip("/"+cmd.Slash()+" "+cmd.Name, maxModalTitle)),
		Submit:          plain("Upload"),
		Close:           plain("Cancel"),
		PrivateMetadata: string(md),
		Blocks:          slack.Blocks{BlockSet: []slack.Block{section(esc(cmd.Help)), input}},
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// openFileModal answers a slash command for cmd by opening its modal on the
// command's trigger_id (valid for 3 s, so nothing runs before it). Whether
// the member may run cmd is decided when the file comes, by the engine, as
// for any command: the modal itself changes nothing.
func (b *Bot) openFileModal(ctx context.Context, sc slack.SlashCommand, cmd *bot.Command) outcome {
	o := outcome{team: sc.TeamID, user: sc.UserID, channel: sc.ChannelID}
	// Ask first: a member who may not run the command learns it now,
	// not after choosing a file.
	req := b.request(ctx, sc.TeamID, sc.UserID, sc.UserName, sc.ChannelID)
	req.Command = cmd.Name
	if err := b.h.Permit(ctx, req); err != nil {
		o.msg = errorPayload(bot.ErrorMessage(err))
		return o
	}
	meta := modalMeta{Command: cmd.Name, Team: sc.TeamID, User: sc.UserID, Channel: sc.ChannelID}
	if _, err := b.api.OpenViewContext(ctx, sc.TriggerID, fileModal(cmd, meta)); err != nil {
		b.log.Warn("slack views.open failed", "team", sc.TeamID, "user", sc.UserID, "err", safeErr(err))
		o.msg = errorPayload("I could not open the upload form; please try again.")
		return o
	}
	o.none = true // the modal is the answer
	return o
}

// viewSubmission handles a modal's submission, in both transports, and
// returns what the acknowledgement carries: nil closes the modal, errors
// keep it open with a sentence under the file input. A file is checked here
// (there is one, a .toml, small enough, on Slack's file host); the download
// and the engine run after the acknowledgement, and the answer reaches the
// member privately (tell).
func (b *Bot) viewSubmission(cb slack.InteractionCallback) *slack.ViewSubmissionResponse {
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.CallbackID != fileModalID {
		return nil
	}
	var meta modalMeta
	err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta)
	team := firstNonEmpty(cb.Team.ID, cb.User.TeamID, cb.View.TeamID, meta.Team)
	if err != nil || cb.User.ID == "" || team == "" {
		b.log.Warn("slack file modal without its metadata, team or user; ignored")
		return nil
	}
	cmd := bot.Lookup(meta.Command)
	if cmd == nil || fileOption(cmd) == nil || (meta.User != "" && meta.User != cb.User.ID) {
		b.log.Warn("slack file modal for another command or member; ignored", "command", meta.Command)
		return nil
	}
	f, u, problem := b.submittedFile(cb.View.State)
	if problem != "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fileBlockID: problem})
	}
	user := cb.User
	ok := b.async(func(ctx context.Context) {
		b.tell(ctx, b.fileOutcome(ctx, team, user, meta.Channel, cmd, f, u))
	})
	if !ok {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fileBlockID: "I am restarting; please try again in a minute."})
	}
	return nil
}

// submittedFile finds the file in the modal's state and checks what can be
// checked before downloading it. problem is the sentence to show in the
// modal, "" when the file may be downloaded from u.
func (b *Bot) submittedFile(state *slack.ViewState) (f slack.File, u *url.URL, problem string) {
	var files []slack.File
	if state != nil {
		files = state.Values[fileBlockID][fileActionID].Files
	}
	if len(files) == 0 {
		return f, nil, fmt.Sprintf("Choose a .%s file to upload.", fileType)
	}
	f = files[0]
	name := clip(f.Name, 60)
	switch {
	case !strings.EqualFold(path.Ext(f.Name), "."+fileType):
		return f, nil, fmt.Sprintf("%s is not a .%s file; choose the roadmap's .%s file.", name, fileType, fileType)
	case f.Size > bot.MaxRoadmapFile:
		return f, nil, fmt.Sprintf("%s is %d KB; a roadmap file may be at most %d KB.", name, (f.Size+1023)/1024, bot.MaxRoadmapFile/1024)
	}
	u, err := url.Parse(firstNonEmpty(f.URLPrivateDownload, f.URLPrivate))
	if err != nil || !b.files.Allowed(u) {
		host := "(none)"
		if u != nil {
			host = u.Host
		}
		b.log.Warn("slack file refused: not on the file host", "host", host, "files_url", b.cfg.FilesURL)
		return f, nil, "I only download files from Slack's own file host; upload the file again."
	}
	return f, u, ""
}

// fileOutcome downloads the file and runs cmd with it, as the member who
// submitted the modal; access is decided as for their slash commands.
func (b *Bot) fileOutcome(ctx context.Context, team string, user slack.User, channel string, cmd *bot.Command, f slack.File, u *url.URL) outcome {
	data, err := b.download(ctx, f.Name, u)
	if err != nil {
		return outcome{msg: errorPayload(bot.ErrorMessage(err)), team: team, user: user.ID, channel: channel}
	}
	typ := f.Mimetype
	if _, _, err := mime.ParseMediaType(typ); err != nil {
		typ = "application/toml"
	}
	req := b.request(ctx, team, user.ID, user.Name, channel)
	req.Command = cmd.Name
	req.Args[fileOption(cmd).Name] = f.Name
	req.File = &bot.File{Name: f.Name, Type: typ, Data: data}
	o, _ := b.run(ctx, req)
	return o
}

// download fetches an uploaded file; errors are one-line Invalid sentences
// for the member, their causes logged.
func (b *Bot) download(ctx context.Context, name string, u *url.URL) ([]byte, error) {
	name = clip(name, 60)
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	data, err := b.files.Get(ctx, u, bot.MaxRoadmapFile)
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, fetch.ErrTooLarge):
		return nil, bot.Errorf(bot.Invalid, "%s is larger than %d KB, the most a roadmap file may be.", name, bot.MaxRoadmapFile/1024)
	case errors.Is(err, fetch.ErrForeignHost), errors.Is(err, fetch.ErrNotFile):
		// Without files:read Slack answers with a sign-in page, or a
		// redirect to one, instead of the file.
		b.log.Warn("slack file download refused; does the app have the files:read scope? (reinstall it after adding the scope)", "err", err)
		return nil, bot.Errorf(bot.Invalid, "Slack did not let me read %s; the app may need reinstalling to grant it files:read.", name)
	case ctx.Err() != nil:
		b.log.Warn("slack file download timed out", "after", fetchTimeout)
		return nil, bot.Errorf(bot.Invalid, "Downloading %s took too long; please try again.", name)
	}
	b.log.Warn("slack file download failed", "err", err)
	return nil, bot.Errorf(bot.Invalid, "I could not download %s from Slack; please upload it again.", name)
}

// tell delivers an answer privately where no response_url exists (a modal
// has none): ephemeral in the channel the command was typed in, else, or if
// Slack refuses that, in the member's DM. A public reply goes to the channel.
func (b *Bot) tell(ctx context.Context, o outcome) {
	var err error
	switch {
	case o.public && o.channel != "":
		err = b.send(ctx, o.channel, o.msg)
	case o.channel != "":
		_, err = b.api.PostEphemeralContext(ctx, o.channel, o.user, o.msg.msgOptions()...)
	default:
		err = errors.New("no channel")
	}
	if err != nil && !o.public {
		var dm string
		if dm, err = b.dm(ctx, bot.Space{Platform: bot.PlatformSlack, ID: o.team}, o.user); err == nil {
			err = b.send(ctx, dm, o.msg)
		}
	}
	if err != nil {
		b.log.Warn("slack answer not delivered", "team", o.team, "user", o.user, "err", safeErr(err))
	}
	if o.image != nil {
		b.sendImage(ctx, o)
	}
}
