// Package console is the terminal adapter: it reads commands from an io.Reader
// (a terminal or a pipe), runs them through the engine and writes plain-text
// replies with ASCII progress bars. It needs no token, so it is the quickest way to
// try studybot, and a scriptable one: one command per line until EOF.
//
// It is the one adapter that touches the local disk: a command that takes a
// file (roadmap add <path>) names a path, which the console reads and hands
// to the engine as bytes.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/studybot/studybot/bot"
)

// Options says who is typing.
type Options struct {
	Space       string // console space name, default "local"
	Member      string // member id, default "me"
	Name        string // display name, default Member
	Interactive bool   // print a banner and a prompt (stdin is a terminal)
	Roadmap     string // the roadmap's title, for the banner
	// Dir is what a relative file path is relative to; "" is the
	// process's working directory.
	Dir string
}

// Console runs commands typed on In and prints replies to Out. It is also a
// bot.Messenger, so nudges and challenge posts show up in the terminal.
type Console struct {
	h    bot.Handler
	opt  Options
	mu   sync.Mutex // serializes writes to out: replies and scheduler messages interleave
	out  io.Writer
	pend bool // a prompt is showing
}

var _ bot.Messenger = (*Console)(nil)

// New returns a console that runs commands on h and writes to out.
func New(h bot.Handler, out io.Writer, opt Options) *Console {
	if opt.Space == "" {
		opt.Space = "local"
	}
	if opt.Member == "" {
		opt.Member = "me"
	}
	if opt.Name == "" {
		opt.Name = opt.Member
	}
	return &Console{h: h, opt: opt, out: out}
}

// Space is the console's space.
func (c *Console) Space() bot.Space { return bot.Space{Platform: bot.PlatformConsole, ID: c.opt.Space} }

// Run reads one command per line until EOF, "quit" or ctx is done. It returns
// nil at EOF; only a read error is an error. Each command's reply or one-line error
// is printed before the next line is read.
func (c *Console) Run(ctx context.Context, in io.Reader) error {
	if c.opt.Interactive {
		banner := "studybot"
		if c.opt.Roadmap != "" {
			banner += ": " + c.opt.Roadmap + " roadmap"
		}
		c.write(fmt.Sprintf("%s. You are %q in space %q. Type help, or quit to leave.\n", banner, c.opt.Name, c.opt.Space))
	}
	lines := make(chan line)
	errc := make(chan error, 1)
	go func() {
		errc <- readLines(in, lines)
		close(lines)
	}()
	for {
		c.prompt()
		select {
		case <-ctx.Done():
			return nil
		case l, ok := <-lines:
			if !ok {
				if err := <-errc; err != nil {
					return fmt.Errorf("read commands: %w", err)
				}
				return nil
			}
			c.mu.Lock()
			c.pend = false
			c.mu.Unlock()
			if l.tooLong {
				c.write(fmt.Sprintf("error: That line is too long (over %d bytes); nothing was done.\n", bot.MaxInputLen))
				continue
			}
			word := strings.ToLower(strings.TrimSpace(l.text))
			if word == "quit" || word == "exit" {
				return nil
			}
			if word == "" || strings.HasPrefix(word, "#") {
				continue
			}
			c.write(c.Do(ctx, l.text))
		}
	}
}

type line struct {
	text    string
	tooLong bool
}

// readLines sends each line of in; a line longer than bot.MaxInputLen is
// drained and reported as too long rather than ending the session.
func readLines(in io.Reader, out chan<- line) error {
	r := bufio.NewReaderSize(in, 64*1024)
	for {
		var buf []byte
		tooLong := false
		for {
			chunk, err := r.ReadSlice('\n')
			if !tooLong {
				buf = append(buf, chunk...)
				if len(buf) > bot.MaxInputLen+2 {
					tooLong, buf = true, nil
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if len(buf) > 0 || tooLong {
					out <- line{strings.TrimRight(string(buf), "\r\n"), tooLong}
				}
				return nil
			}
			if err != nil {
				return err
			}
			break
		}
		out <- line{strings.TrimRight(string(buf), "\r\n"), tooLong}
	}
}

// Do runs one command line and returns the text to print.
func (c *Console) Do(ctx context.Context, line string) string {
	line, cardPath := cardLine(line)
	cmd, args, err := bot.ParseLine(line)
	if err != nil {
		return "error: " + bot.ErrorMessage(err) + "\n"
	}
	req := &bot.Request{
		Space:   c.Space(),
		Member:  c.opt.Member,
		Name:    c.opt.Name,
		Access:  bot.AccessAdmin, // whoever runs the terminal owns the group
		Channel: "console",
		Command: cmd.Name,
		Args:    args,
	}
	for _, o := range cmd.Options {
		if p := args[o.Name]; o.Kind == bot.KindFile && p != "" {
			f, err := c.readFile(p)
			if err != nil {
				return "error: " + bot.ErrorMessage(err) + "\n"
			}
			req.File, args[o.Name] = f, f.Name
		}
	}
	r, err := c.h.Handle(ctx, req)
	if err != nil {
		return "error: " + bot.ErrorMessage(err) + "\n"
	}
	if cardPath != "" && r != nil && r.File != nil && r.File.IsImage() {
		// The card the engine drew for Discord and Slack, written where the
		// member said: the console is the adapter that touches the disk.
		where, err := c.writeFile(cardPath, r.File.Data)
		if err != nil {
			return "error: " + bot.ErrorMessage(err) + "\n"
		}
		saved := *r
		saved.File = nil
		saved.Text = append(saved.Text, "Saved your card to "+where)
		r = &saved
	}
	return Render(r)
}

// cardLine takes the console's own argument of card: "card FILE" (default
// progress.png) names where the picture is written. It returns the line for
// the engine ("card") and the path, "" for any other command.
func cardLine(line string) (string, string) {
	f := strings.Fields(line)
	if len(f) == 0 || !strings.EqualFold(strings.TrimPrefix(f[0], "/"), "card") {
		return line, ""
	}
	if len(f) == 1 {
		return line, "progress.png"
	}
	return f[0], strings.TrimSpace(strings.TrimSpace(line)[len(f[0]):])
}

// writeFile writes data to p (relative to Options.Dir) and returns the
// absolute path it wrote.
func (c *Console) writeFile(p string, data []byte) (string, error) {
	path := p
	if !filepath.IsAbs(path) && c.opt.Dir != "" {
		path = filepath.Join(c.opt.Dir, path)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return "", bot.Errorf(bot.Invalid, "%s is a directory; give a file name such as progress.png.", p)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", bot.Errorf(bot.Invalid, "I could not write the card: %v", err)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path, nil
}

// readFile reads the file at p (relative to Options.Dir) for a KindFile
// option: a regular .toml file of at most bot.MaxRoadmapFile bytes. Each
// refusal is one Invalid sentence.
func (c *Console) readFile(p string) (*bot.File, error) {
	path := p
	if !filepath.IsAbs(path) && c.opt.Dir != "" {
		path = filepath.Join(c.opt.Dir, path)
	}
	name := filepath.Base(path)
	tooLarge := bot.Errorf(bot.Invalid, "%s is larger than %d KB, the most a roadmap file may be.", p, bot.MaxRoadmapFile/1024)
	// Stat before opening: opening a named pipe would wait for a writer.
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, bot.Errorf(bot.Invalid, "There is no file %s.", p)
	case err != nil:
		return nil, bot.Errorf(bot.Invalid, "I cannot read %s: %s.", p, reason(err))
	case st.IsDir():
		return nil, bot.Errorf(bot.Invalid, "%s is a directory; give the path of the roadmap's .toml file.", p)
	case !st.Mode().IsRegular():
		return nil, bot.Errorf(bot.Invalid, "%s is not a regular file.", p)
	case !strings.EqualFold(filepath.Ext(name), ".toml"):
		return nil, bot.Errorf(bot.Invalid, "%s is not a .toml file.", p)
	case st.Size() > bot.MaxRoadmapFile:
		return nil, tooLarge
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, bot.Errorf(bot.Invalid, "I cannot read %s: %s.", p, reason(err))
	}
	defer f.Close()
	// The file may have grown since Stat: read one byte past the limit.
	data, err := io.ReadAll(io.LimitReader(f, bot.MaxRoadmapFile+1))
	if err != nil {
		return nil, bot.Errorf(bot.Invalid, "I cannot read %s: %s.", p, reason(err))
	}
	if len(data) > bot.MaxRoadmapFile {
		return nil, tooLarge
	}
	return &bot.File{Name: name, Type: "application/toml", Data: data}, nil
}

// reason is an os error's cause without the path it repeats.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Direct implements bot.Messenger: messages for this console's member print here.
func (c *Console) Direct(ctx context.Context, sp bot.Space, member string, r *bot.Reply) error {
	if sp != c.Space() || member != c.opt.Member {
		return bot.Errorf(bot.Unreachable, "%s is not at this terminal.", member)
	}
	c.write("\n[direct message]\n" + Render(r))
	return nil
}

// Post implements bot.Messenger: every channel of the console space is this
// terminal.
func (c *Console) Post(ctx context.Context, sp bot.Space, channel string, r *bot.Reply) error {
	if sp != c.Space() {
		return bot.Errorf(bot.NotFound, "No channel %s here.", channel)
	}
	c.write("\n[#" + strings.TrimPrefix(channel, "#") + "]\n" + Render(r))
	return nil
}

func (c *Console) prompt() {
	if !c.opt.Interactive {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pend {
		io.WriteString(c.out, "> ")
		c.pend = true
	}
}

func (c *Console) write(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.out, s)
	if c.pend && c.opt.Interactive {
		io.WriteString(c.out, "> ")
	}
}

// actionWords turns a button's action id into the command to type:
// "pick:language|python" -> "pick language python".
var actionWords = strings.NewReplacer(":", " ", "|", " ")

// BarWidth is the width of ASCII progress bars.
const BarWidth = 20

// Render formats a reply as plain text.
func Render(r *bot.Reply) string {
	if r == nil {
		return "ok\n"
	}
	var b strings.Builder
	if r.Title != "" {
		b.WriteString("== " + r.Title + " ==\n")
	}
	for _, p := range r.Text {
		b.WriteString(p + "\n")
	}
	for _, f := range r.Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	if len(r.Bars) > 0 {
		w := 0
		for _, bar := range r.Bars {
			w = max(w, utf8.RuneCountInString(bar.Label))
		}
		w = min(w, 48)
		for _, bar := range r.Bars {
			label := bar.Label
			if n := utf8.RuneCountInString(label); n > w {
				label = string([]rune(label)[:w-1]) + "…"
			}
			fmt.Fprintf(&b, "%s%s %s %3d%% %d/%d\n", label, strings.Repeat(" ", w-utf8.RuneCountInString(label)), Bar(bar.Done, bar.Total, BarWidth), bar.Percent(), bar.Done, bar.Total)
		}
	}
	for _, l := range r.Links {
		kind := ""
		if l.Kind != "" {
			kind = " (" + l.Kind + ")"
		}
		fmt.Fprintf(&b, "- %s%s: %s\n", l.Title, kind, l.URL)
	}
	if f := r.File; f != nil {
		if f.IsImage() {
			fmt.Fprintf(&b, "[image %s: shown on Discord and Slack]\n", f.Name)
		} else {
			// A terminal can show a text attachment (the data export) in full.
			fmt.Fprintf(&b, "--- %s ---\n%s\n", f.Name, strings.TrimRight(string(f.Data), "\n"))
		}
	}
	if len(r.Buttons) > 0 {
		var acts []string
		for _, bt := range r.Buttons {
			acts = append(acts, bt.Label+": "+actionWords.Replace(bt.Action))
		}
		b.WriteString("→ " + strings.Join(acts, " | ") + "\n")
	}
	if r.Footer != "" {
		b.WriteString("-- " + r.Footer + "\n")
	}
	return b.String()
}

// Bar draws [#####.....] for done of total.
func Bar(done, total, width int) string {
	n := 0
	if total > 0 {
		n = min(width, max(0, done*width/total))
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}
