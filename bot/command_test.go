package bot

import (
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	cases := []struct {
		line, cmd string
		args      map[string]string
	}{
		{"next", "next", map[string]string{}},
		{"/study next", "next", map[string]string{}},
		{"/next", "next", map[string]string{}},
		{"  DONE  ", "done", map[string]string{}},
		{"done http basics", "done", map[string]string{"topic": "http basics"}},
		{"note dns remember port 53", "note", map[string]string{"topic": "dns", "text": "remember port 53"}},
		{`note "http basics" it's "stateless"`, "note", map[string]string{"topic": "http basics", "text": `it's "stateless"`}},
		{`note “how it works” ok`, "note", map[string]string{"topic": "how it works", "text": "ok"}},
		{"pick language python", "pick", map[string]string{"group": "language", "option": "python"}},
		{"nudge at 08:30 Europe/Berlin", "nudge at", map[string]string{"time": "08:30", "zone": "Europe/Berlin"}},
		{`/studymod challenge schedule #general "MON 09:00" UTC`, "challenge schedule", map[string]string{"channel": "#general", "when": "MON 09:00", "zone": "UTC"}},
		{"mydata delete yes", "mydata delete", map[string]string{"confirm": "yes"}},
		{"", "help", map[string]string{}},
		{"note ünïcødé 日本語のメモ", "note", map[string]string{"topic": "ünïcødé", "text": "日本語のメモ"}},
		{"note dns 'til friday", "note", map[string]string{"topic": "dns", "text": "'til friday"}},
		{"challenge schedule #study MON 09:00 Europe/Berlin 6d", "challenge schedule", map[string]string{"channel": "#study", "when": "MON 09:00", "zone": "Europe/Berlin", "closes": "6d"}},
		{"challenge schedule #study 0 9 * * 1", "challenge schedule", map[string]string{"channel": "#study", "when": "0 9 * * 1"}},
		{"challenge schedule #study CRON_TZ=Asia/Tokyo 0 9 * * 1 1d12h", "challenge schedule", map[string]string{"channel": "#study", "when": "CRON_TZ=Asia/Tokyo 0 9 * * 1", "closes": "1d12h"}},
		{"challenge post dns 6d", "challenge post", map[string]string{"what": "dns", "closes": "6d"}},
		{"challenge post 36h", "challenge post", map[string]string{"closes": "36h"}},
		{`challenge post "Write a haiku" 2d`, "challenge post", map[string]string{"what": `"Write a haiku"`, "closes": "2d"}},
		{`challenge post "Finish it in 6d"`, "challenge post", map[string]string{"what": `"Finish it in 6d"`}},
		{`challenge post what's a socket`, "challenge post", map[string]string{"what": `what's a socket`}},
		{"moderators", "moderators list", map[string]string{}},
		{"roadmap", "roadmap show", map[string]string{}},
		{"roadmap internet", "roadmap show", map[string]string{"section": "internet"}},
		{"roadmap list", "roadmap list", map[string]string{}},
		{"leaderboard", "leaderboard show", map[string]string{}},
		{"leaderboard week", "leaderboard show", map[string]string{"period": "week"}},
		{"/study leaderboard month", "leaderboard show", map[string]string{"period": "month"}},
		{"leaderboard show all", "leaderboard show", map[string]string{"period": "all"}},
		{"leaderboard share week", "leaderboard share", map[string]string{"period": "week"}},
		{"leaderboard hide", "leaderboard hide", map[string]string{}},
		{"leaderboard unhide", "leaderboard unhide", map[string]string{}},
		{"roadmap follow go", "roadmap follow", map[string]string{"roadmap": "go"}},
		{"challenge", "challenge board", map[string]string{}},
		{"nudge", "nudge status", map[string]string{}},
		{`challenge submit "https://x.example/a b"`, "challenge submit", map[string]string{"text": "https://x.example/a b"}},
	}
	for _, c := range cases {
		cmd, args, err := ParseLine(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if cmd.Name != c.cmd || len(args) != len(c.args) {
			t.Errorf("%q: got %s %v, want %s %v", c.line, cmd.Name, args, c.cmd, c.args)
			continue
		}
		for k, v := range c.args {
			if args[k] != v {
				t.Errorf("%q: %s = %q, want %q", c.line, k, args[k], v)
			}
		}
	}
}

func TestParseLineErrors(t *testing.T) {
	cases := []struct{ line, want string }{
		{"teleport", "Unknown command"},
		{"mydata frob", `"frob" is not a mydata command. Usage: /study mydata export | /study mydata delete [confirm]`},
		{strings.Repeat("a", MaxInputLen+1), "too long"},
		{"note \xff", "UTF-8"},
		{`note "open`, "quote"},
		{"undo now", "Too many words"},
		{`""`, "Unknown command"},
		{`pick "language python`, "quote"},
	}
	for _, c := range cases {
		_, _, err := ParseLine(c.line)
		if ErrorCode(err) != Invalid || !strings.Contains(ErrorMessage(err), c.want) {
			t.Errorf("%.30q: got %v, want Invalid containing %q", c.line, err, c.want)
		}
	}
}

func TestParseAction(t *testing.T) {
	cmd, args, err := ParseAction("done:internet/http")
	if err != nil || cmd.Name != "done" || args["topic"] != "internet/http" {
		t.Errorf("got %v %v %v", cmd, args, err)
	}
	cmd, args, err = ParseAction(Action("pick", "language", "python"))
	if err != nil || cmd.Name != "pick" || args["group"] != "language" || args["option"] != "python" {
		t.Errorf("pick action: %v %v %v", cmd, args, err)
	}
	if _, _, err := ParseAction("next:a|b"); ErrorCode(err) != Invalid {
		t.Errorf("too many values: %v", err)
	}
	if _, _, err := ParseAction("rm -rf:/"); ErrorCode(err) != Invalid {
		t.Errorf("forged action: %v", err)
	}
}

func TestCommandTableIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Commands() {
		if seen[c.Name] {
			t.Errorf("duplicate command %s", c.Name)
		}
		seen[c.Name] = true
		if c.run == nil || c.Help == "" {
			t.Errorf("%s lacks a handler or help", c.Name)
		}
		pos := c.Positional()
		for i, o := range pos {
			if o.Rest && i != len(pos)-1 {
				t.Errorf("%s: Rest option %s is not the last positional one", c.Name, o.Name)
			}
		}
		for i, o := range c.Options {
			if o.Tail && (o.Required || o.Rest) {
				t.Errorf("%s: Tail option %s must be optional and not Rest", c.Name, o.Name)
			}
			if i > 0 && c.Options[i-1].Tail && !o.Tail {
				t.Errorf("%s: positional %s after a Tail option", c.Name, o.Name)
			}
			if o.Required && i > 0 && !c.Options[i-1].Required {
				t.Errorf("%s: required %s after an optional option", c.Name, o.Name)
			}
		}
	}
}

func TestChannelMention(t *testing.T) {
	for _, c := range []struct {
		p        Platform
		in, want string
	}{
		{PlatformSlack, "C123", "<#C123>"},
		{PlatformDiscord, "9001", "<#9001>"},
		{PlatformConsole, "study", "study"},
		{PlatformSlack, "#study", "#study"},
		{PlatformDiscord, "", ""},
	} {
		if got := ChannelMention(c.p, c.in); got != c.want {
			t.Errorf("ChannelMention(%s, %q) = %q, want %q", c.p, c.in, got, c.want)
		}
	}
}
