package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
	"github.com/studybot/studybot/store/postgres"
)

// testSchemaURL returns STUDYBOT_TEST_DATABASE_URL with a new schema of its
// own, migrated and empty, as search_path (dropped when the test ends); it
// skips without a server.
func testSchemaURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("STUDYBOT_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI needs STUDYBOT_TEST_DATABASE_URL")
		}
		t.Skip("set STUDYBOT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	schema := fmt.Sprintf("studybot_cmd_%d", time.Now().UnixNano())
	ctx := context.Background()
	db, err := postgres.Open(ctx, u, postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.DropSchema(ctx, schema)
		db.Close()
	})
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "search_path=" + schema
}

func dumpMembers(t *testing.T, s copyStore) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	sps, _ := s.SpaceKeys(ctx)
	for _, sp := range sps {
		rec, _ := s.Space(ctx, sp)
		buf, _ := json.Marshal(rec)
		fmt.Fprintf(&b, "space %s\n", buf)
		s.Members(ctx, sp, func(m *bot.Member) error {
			full, err := s.Member(ctx, sp, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			buf, _ := json.Marshal(full)
			fmt.Fprintf(&b, "%s next=%s answered=%d\n", buf, full.Nudge.Next.UTC().Format(time.RFC3339), full.Answered)
			return nil
		})
		cs, _ := s.Challenges(ctx, sp, 0)
		for _, c := range cs {
			buf, _ := json.Marshal(c)
			fmt.Fprintf(&b, "%s\n", buf)
		}
		fs, _ := s.RoadmapFiles(ctx, sp)
		for _, f := range fs {
			fmt.Fprintf(&b, "roadmap %s %q\n", f.ID, f.TOML)
		}
	}
	return b.String()
}

func TestMigrateDB_RoundTrip(t *testing.T) {
	ctx := context.Background()
	pgURL := testSchemaURL(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	db, err := store.Open(src, store.Options{Clock: bot.ClockFunc(func() time.Time { return t0 })})
	if err != nil {
		t.Fatal(err)
	}
	sp := bot.Space{Platform: bot.PlatformDiscord, ID: "g1"}
	sl := bot.Space{Platform: bot.PlatformSlack, ID: "T1"}
	for i, id := range []string{"ana", "bo", "cy"} {
		if _, err := db.UpdateMember(ctx, sp, id, func(m *bot.Member) error {
			m.Name = strings.ToUpper(id)
			m.WriteTrack(bot.BuiltinRoadmap).Topics.Set("internet/dns", bot.Mark{Status: roadmap.Done, At: t0})
			if i < 2 {
				m.Nudge = bot.Nudge{On: true, Hour: 10, Zone: "UTC", Next: t0.Add(time.Hour)}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	db.UpdateMember(ctx, sl, "U1", func(m *bot.Member) error { m.Streak.Days = 2; return nil })
	db.UpdateSpace(ctx, sp, func(r *bot.SpaceRecord) error { r.Moderators = []string{"ana"}; r.Challenge.Channel = "C1"; return nil })
	db.PutRoadmapFile(ctx, sp, &bot.RoadmapFile{ID: "go", Title: "Go", TOML: "id = 'go'", AddedAt: t0}, 20)
	db.SetPendingRoadmap(ctx, sp, "ana", &bot.RoadmapFile{ID: "go", TOML: "new", Base: "x"})
	for i := range 3 {
		c, err := db.OpenChallenge(ctx, sp, &bot.Challenge{Text: fmt.Sprint("c", i), PostedAt: t0.Add(time.Duration(i) * time.Hour)}, bot.CloseCurrent)
		if err != nil {
			t.Fatal(err)
		}
		db.UpdateChallenge(ctx, sp, c.Opened.ID, func(c *bot.Challenge) error {
			c.Submissions = map[string]*bot.Submission{"bo": {Member: "bo", Text: "x", At: t0}}
			return nil
		})
	}
	db.Close()

	var out bytes.Buffer
	if err := run(ctx, []string{"migrate-db", "--from", src, "--to", pgURL}, nil, &out, &out); err != nil {
		t.Fatalf("to PostgreSQL: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "2 spaces, 4 members (2 with nudges on), 3 challenges, 3 submissions, 1 roadmaps, 1 pending uploads; counts verified") {
		t.Errorf("output: %s", out.String())
	}
	// A non-empty target is refused, either kind.
	if err := run(ctx, []string{"migrate-db", "--from", src, "--to", pgURL}, nil, &out, &out); err == nil || !strings.Contains(err.Error(), "already holds studybot data") {
		t.Errorf("into a used database: %v", err)
	}
	if err := run(ctx, []string{"migrate-db", "--from", pgURL, "--to", src}, nil, &out, &out); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("over an existing file: %v", err)
	}
	back := filepath.Join(dir, "back.db")
	out.Reset()
	if err := run(ctx, []string{"migrate-db", "--from", pgURL, "--to", back}, nil, &out, &out); err != nil {
		t.Fatalf("back to bbolt: %v\n%s", err, out.String())
	}
	a, err := store.Open(src, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(back, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if da, db := dumpMembers(t, a), dumpMembers(t, b); da != db {
		t.Errorf("round trip changed the data:\n%s\nback:\n%s", da, db)
	}
	if f, err := b.PendingRoadmap(ctx, sp, "ana"); err != nil || f.Base != "x" {
		t.Errorf("pending upload after the round trip: %+v, %v", f, err)
	}
}

// TestTwoConsolesOnePostgres: two consoles on one PostgreSQL URL run at once
// and see each other's progress, and neither ticks.
func TestTwoConsolesOnePostgres(t *testing.T) {
	u := testSchemaURL(t)
	ctx := context.Background()
	open := func(member string, in io.Reader, out io.Writer) *Main {
		cfg := DefaultConfig()
		cfg.Database.URL = Secret(u)
		m := NewMain(cfg)
		m.Clock = bot.ClockFunc(func() time.Time { return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) })
		m.Stdin, m.Stdout, m.Stderr = in, out, io.Discard
		m.ConsoleMember, m.ConsoleSpace = member, "local"
		if err := m.Open(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := m.dueIndex().(noDue); !ok {
			t.Errorf("a console on a shared database ticks on %T", m.dueIndex())
		}
		return m
	}
	// ann's console stays open while bob's runs.
	annIn, annW := io.Pipe()
	var annOut bottest.LogBuffer
	ann := open("ann", annIn, &annOut)
	annDone := make(chan error, 1)
	go func() { annDone <- ann.Run(ctx) }()
	fmt.Fprintln(annW, "done")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(annOut.String(), "Done:"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("ann's done never answered:\n%s", annOut.String())
		}
	}
	var bobOut bottest.LogBuffer
	bob := open("bob", strings.NewReader("leaderboard\n"), &bobOut)
	if err := bob.Run(ctx); err != nil {
		t.Fatal(err)
	}
	bob.Close()
	if !strings.Contains(bobOut.String(), "ann: 1 done") {
		t.Errorf("bob does not see ann's progress:\n%s", bobOut.String())
	}
	annW.Close()
	if err := <-annDone; err != nil {
		t.Fatal(err)
	}
	ann.Close()
}
