package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
)

// TestHTTPModeratorsAddedAtRuntime: a workspace admin makes a member a
// moderator with /studymod moderators add; their next command and button
// click have moderator powers, and after moderators remove the next ones do
// not, with no restart and while users.info answers are still cached.
func TestHTTPModeratorsAddedAtRuntime(t *testing.T) {
	tb := newTestBot(t, ModeHTTP)
	tb.rec.eng.ConfiguredModerators = map[bot.Platform][]string{bot.PlatformSlack: tb.Moderators()} // as cmd/studybot wires it
	commands := 0
	command := func(user, text string) (ack string, p payload) {
		t.Helper()
		commands++ // a distinct body each time: an identical one is a replay, dropped
		w := tb.post(t, "/slack/commands", commandBody("/studymod", text, user, tb.fake.responseURL(100+commands)), nil)
		p = decodeAck(t, w)
		return w.Body.String(), p
	}
	clicks := 0
	click := func(user, action string) string {
		t.Helper()
		clicks++
		tb.post(t, "/slack/interactivity", url.Values{"payload": {blockActionsBy(user, action, tb.fake.responseURL(clicks), false)}}.Encode(), nil)
		return string(tb.fake.wait("response", clicks)[clicks-1].Body)
	}
	const refused = "Only moderators can use /studymod challenge list."
	const notAdmin = "Only admins and owners can use /studymod moderators add."

	if _, p := command("U2", "challenge list"); p.Text != refused {
		t.Fatalf("U2 before being added: %q, want %q", p.Text, refused)
	}
	if _, p := command("U1", "moderators add <@U2|bob>"); p.Text != notAdmin {
		t.Errorf("a member adding: %q, want %q", p.Text, notAdmin)
	}
	if _, p := command("UMOD", "moderators add <@U2|bob>"); p.Text != notAdmin {
		t.Errorf("a configured moderator adding: %q, want %q", p.Text, notAdmin)
	}
	if rec, _ := tb.rec.env.DB.Space(context.Background(), slackSpace); len(rec.Moderators) != 0 {
		t.Fatalf("refused adds stored %q", rec.Moderators)
	}

	ack, p := command("UADMIN", "moderators add <@U2|bob>")
	if p.Text != "Moderator added" || !strings.Contains(ack, `\u003c@U2\u003e can now use /studymod here`) {
		t.Fatalf("admin adding: %s", ack)
	}
	if adds := tb.rec.requests("moderators add"); adds[len(adds)-1].Args["member"] != "U2" || adds[len(adds)-1].Access != bot.AccessAdmin {
		t.Errorf("engine saw %+v", adds[len(adds)-1])
	}
	if _, p := command("U2", "challenge list"); p.Text != "Challenges" {
		t.Errorf("U2 once added: %q, want the challenge list", p.Text)
	}
	if got := click("U2", "challenge list"); !strings.Contains(got, `"text":"Challenges"`) {
		t.Errorf("U2's click once added: %s", got)
	}
	if _, p := command("UOWNER", "moderators remove <@UMOD>"); !strings.Contains(p.Text, "because the bot's config (slack.moderators) names them") {
		t.Errorf("removing a configured moderator: %q", p.Text)
	}

	if _, p := command("UADMIN", "moderators remove <@U2>"); p.Text != "Moderator removed" {
		t.Fatalf("admin removing: %q", p.Text)
	}
	if _, p := command("U2", "challenge list"); p.Text != refused {
		t.Errorf("U2 once removed: %q, want %q", p.Text, refused)
	}
	if got := click("U2", "challenge list"); !strings.Contains(got, refused) {
		t.Errorf("U2's click once removed: %s", got)
	}
	// All of it within users.info's cache: one lookup of U2, so the cache
	// was in use and still did not keep the removed moderator's powers.
	n := 0
	for _, c := range tb.fake.callsTo("users.info") {
		if c.Form.Get("user") == "U2" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("users.info asked about U2 %d times, want 1 (cached)", n)
	}
}

// TestRenderModeratorsGolden pins the Slack message for the engine's own
// moderators list: members show as mentions, which Slack renders as names.
func TestRenderModeratorsGolden(t *testing.T) {
	env := bottest.New(t)
	env.Engine.ConfiguredModerators = map[bot.Platform][]string{bot.PlatformSlack: {"UMOD"}}
	run := func(member string, access bot.Access, command string, args map[string]string) *bot.Reply {
		t.Helper()
		r, err := env.Engine.Handle(context.Background(), &bot.Request{Space: slackSpace, Member: member, Access: access, Channel: "C1", Command: command, Args: args})
		if err != nil {
			t.Fatalf("%s: %v", command, err)
		}
		return r
	}
	run("UADMIN", bot.AccessAdmin, "moderators add", map[string]string{"member": "U2"})
	run("UADMIN", bot.AccessAdmin, "moderators add", map[string]string{"member": "U3"})
	p := render(run("U2", bot.AccessMember, "moderators list", map[string]string{}))
	if s := readable(t, p); !strings.Contains(s, "<@U2>, <@U3>") || strings.Contains(s, "&lt;@") {
		t.Errorf("mentions escaped: %s", s)
	}
	bottest.GoldenJSON(t, "reply_moderators.golden", p)
}

// A mention stays a mention only in a private message: in a public one a
// member's own text could make the bot ping anyone. Other markup is always
// escaped.
func TestRenderMentionsOnlyInPrivate(t *testing.T) {
	tests := []struct {
		name   string
		public bool
		text   string
		want   string
	}{
		{"Private", false, "ask <@U2>", "ask <@U2>"},
		{"Public", true, "ask <@U2>", "ask &lt;@U2&gt;"},
		{"PrivateChannelPing", false, "<!channel> and <#C1>", "&lt;!channel&gt; and <#C1>"}, // a channel link pings nobody
		{"PublicChannel", true, "in <#C1>", "in &lt;#C1&gt;"},
		{"PrivateNotAnID", false, "<@u2> <@U2|bob>", "&lt;@u2&gt; &lt;@U2|bob&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := render(&bot.Reply{Title: "t", Text: []string{tt.text}, Fields: []bot.Field{{Name: "f", Value: tt.text}}, Public: tt.public})
			s := readable(t, p)
			if !strings.Contains(s, `"text":"`+tt.want+`"`) || !strings.Contains(s, `"text":"*f*\n`+tt.want+`"`) {
				t.Errorf("rendered %s, want text and field %q", s, tt.want)
			}
		})
	}
	if got := errorPayload("<@U2> is already a moderator.").Text; got != "<@U2> is already a moderator." {
		t.Errorf("error text %q", got)
	}
}

// readable is p as JSON with <, > and & as they are, for matching.
func readable(t *testing.T, p payload) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
