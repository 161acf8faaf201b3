// Command studybot is a self-hosted Discord and Slack bot that walks study groups
// through a learning roadmap. main only parses the command line; Main wires the
// store, the engine, the scheduler and the adapters together.
//
//	studybot console        try it in the terminal (no token needed)
//	studybot run            serve the adapters enabled in the config
//	studybot help           every subcommand
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"strings"
	"syscall"

	"github.com/studybot/studybot/cmd/studybot/simulate"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
	"github.com/studybot/studybot/store/postgres"
)

// version is set at build time with -ldflags "-X main.version=..."; see
// buildVersion (version.go) for the fallback and the commit.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "studybot:", err)
		}
		os.Exit(1)
	}
}

const usage = `studybot walks study groups through a learning roadmap on Discord, Slack or a terminal.

Usage: studybot <command> [flags]

  console         chat with the bot in this terminal (no token needed)
  run             serve the Discord and Slack adapters enabled in the config
  roadmap         validate and print a roadmap (--file F, --json)
  backup          copy the database to a file: backup --db F [--compact] OUT
  check-config    validate a config file and the environment (--config F)
  simulate        capacity planning: nudge many members over many days
  migrate-db      copy a database between bbolt and PostgreSQL: --from SRC --to DST
  slack-manifest  print the Slack app manifest
  healthcheck     exit 0 when the running bot's /healthz answers 200 (--ready: /readyz)
  version         print the version and commit

Run "studybot <command> -h" for a command's flags.
`

// run dispatches a subcommand; it is main without the process, for tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "console":
		return runConsole(ctx, args, stdin, stdout, stderr)
	case "run":
		return runServe(ctx, args, stdout, stderr)
	case "roadmap":
		return runRoadmap(args, stdout, stderr)
	case "backup":
		return runBackup(args, stdout, stderr)
	case "check-config":
		return runCheckConfig(args, stdout, stderr)
	case "simulate":
		return simulate.Run(ctx, args, stdout, stderr)
	case "migrate-db":
		return runMigrateDB(ctx, args, stdout, stderr)
	case "slack-manifest":
		return runSlackManifest(stdout)
	case "healthcheck":
		return runHealthcheck(ctx, args, stdout, stderr)
	case "version", "--version", "-version":
		ver, rev := buildVersion()
		fmt.Fprintf(stdout, "studybot %s (commit %s)\n", ver, rev)
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newFlags(name string, stderr io.Writer, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: studybot %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// configPath is the --config default: $STUDYBOT_CONFIG, else ./studybot.toml when
// it exists, else none (defaults and environment only).
func configPath() string {
	if p := os.Getenv("STUDYBOT_CONFIG"); p != "" {
		return p
	}
	if _, err := os.Stat("studybot.toml"); err == nil {
		return "studybot.toml"
	}
	return ""
}

func runConsole(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("console", stderr, "console [--db F] [--member NAME] [--space NAME] [--config F] [--roadmap F]")
	cfgPath := fs.String("config", configPath(), "config file (TOML)")
	db := fs.String("db", "", "database file, or a postgres:// URL (default: database.url or database.path from the config, ./studybot.db)")
	member := fs.String("member", loginName(), "who you are in the console")
	space := fs.String("space", "local", "console space; each space is a separate group")
	rm := fs.String("roadmap", "", "roadmap TOML file (default: the built-in backend roadmap)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("console takes no arguments, got %q", fs.Arg(0))
	}
	if strings.TrimSpace(*member) == "" || strings.TrimSpace(*space) == "" {
		return errors.New("console needs a non-empty --member and --space")
	}
	cfg, err := LoadConfig(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	if postgres.IsURL(*db) {
		cfg.Database.URL = Secret(*db)
	} else if *db != "" {
		cfg.Database.Path, cfg.Database.URL = *db, ""
	}
	if *rm != "" {
		cfg.Roadmap.File = *rm
	}
	// The console is for trying things: adapters stay off even when the config
	// enables them, so a terminal session never competes with a running bot.
	cfg.Discord.Enabled, cfg.Slack.Enabled, cfg.HTTP.Listen = false, false, ""
	m := NewMain(cfg)
	m.Stdin, m.Stdout, m.Stderr = stdin, stdout, stderr
	m.ConsoleMember, m.ConsoleSpace = *member, *space
	m.Interactive = isTerminal(stdin)
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	return m.Run(ctx)
}

// loadRunConfig reads the --config flag of run and check-config, loads the
// file and runs every check that run runs before it opens anything, so the two
// commands cannot disagree.
func loadRunConfig(name string, args []string, stderr io.Writer) (cfg Config, path string, err error) {
	fs := newFlags(name, stderr, name+" [--config F]")
	cfgPath := fs.String("config", configPath(), "config file (TOML)")
	if err := fs.Parse(args); err != nil {
		return Config{}, "", err
	}
	if cfg, err = LoadConfig(*cfgPath, os.LookupEnv); err != nil {
		return Config{}, "", err
	}
	return cfg, *cfgPath, cfg.ValidateRun()
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := loadRunConfig("run", args, stderr)
	if err != nil {
		return err
	}
	m := NewMain(cfg)
	m.Stdout, m.Stderr = stdout, stderr
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	return m.Run(ctx)
}

func runRoadmap(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("roadmap", stderr, "roadmap [--file F] [--json]")
	file := fs.String("file", "", "roadmap TOML file to validate (default: the built-in one)")
	asJSON := fs.Bool("json", false, "print the parsed roadmap as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := loadRoadmap(*file)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(stdout, "%s (%s): %d sections, %d topics, %d pick groups. Valid.\n", r.Title, r.ID, len(r.Sections), len(r.Topics()), len(r.Picks))
	for _, s := range r.Sections {
		fmt.Fprintf(stdout, "\n%s [%s, %s]\n", s.Title, s.ID, s.Stage)
		for _, t := range s.Topics {
			fmt.Fprintf(stdout, "  %-28s %s (%dh)\n", t.ID, t.Title, t.Hours)
		}
	}
	for _, p := range r.Picks {
		fmt.Fprintf(stdout, "\npick %s: %s: %s\n", p.ID, p.Title, strings.Join(p.Options, ", "))
	}
	return nil
}

func loadRoadmap(file string) (*roadmap.Roadmap, error) {
	if file == "" {
		return roadmap.Default(), nil
	}
	return roadmap.Load(file)
}

func runBackup(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr, "backup [--db F] [--compact] OUT")
	db := fs.String("db", "", "database file (default: database.path from the config, ./studybot.db)")
	compact := fs.Bool("compact", false, "write only live data: smaller, and no deleted member's bytes left in free pages (slower)")
	cfgPath := fs.String("config", configPath(), "config file (TOML)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("backup needs exactly one output file")
	}
	path := *db
	if path == "" {
		cfg, err := LoadConfig(*cfgPath, os.LookupEnv)
		if err != nil {
			return err
		}
		path = cfg.Database.Path
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("database %s: %w", path, err)
	}
	d, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("%w (a running bot writes a hot backup to %s.backup when sent SIGUSR1)", err, path)
	}
	defer d.Close()
	write, verb := d.BackupFile, "backed up"
	if *compact {
		write, verb = d.CompactFile, "compacted"
	}
	if err := write(fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s to %s\n", verb, path, fs.Arg(0))
	return nil
}

func runCheckConfig(args []string, stdout, stderr io.Writer) error {
	// The same loading and checks as run, short of opening the database,
	// binding the port and calling the platforms.
	cfg, src, err := loadRunConfig("check-config", args, stderr)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if src == "" {
		src = "(no file: defaults and environment)"
	}
	fmt.Fprintf(stdout, "config %s is valid\n", src)
	fmt.Fprintf(stdout, "database: %s\n", redactedDB(cfg.Database))
	fmt.Fprintf(stdout, "discord: enabled=%t mode=%s token=%s send_rate=%v\n", cfg.Discord.Enabled, cfg.Discord.Mode, cfg.Discord.Token, cfg.Discord.SendRate)
	fmt.Fprintf(stdout, "slack: enabled=%t mode=%s bot_token=%s app_token=%s signing_secret=%s send_rate=%v\n", cfg.Slack.Enabled, cfg.Slack.Mode, cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.SigningSecret, cfg.Slack.SendRate)
	fmt.Fprintf(stdout, "http.listen: %q\n", cfg.HTTP.Listen)
	fmt.Fprintf(stdout, "served: discord.guild_ids=%s slack.allowed_teams=%s\n", allowlist(cfg.Discord.GuildIDs), allowlist(cfg.Slack.AllowedTeams))
	return nil
}

func loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "me"
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
