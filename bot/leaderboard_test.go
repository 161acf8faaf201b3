package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
)

const day = 24 * time.Hour

// counted is the built-in roadmap's topics on everyone's path: required
// ones outside pick groups.
func counted() []*roadmap.Topic {
	rm := roadmap.Default()
	var out []*roadmap.Topic
	for _, t := range rm.Topics() {
		if !t.Optional && rm.PickOf(t.ID) == nil {
			out = append(out, t)
		}
	}
	return out
}

// marks is n topics marked status, the first at at and each next one gap
// later.
type marks struct {
	status roadmap.Status
	n      int
	at     time.Time
	gap    time.Duration
}

// done is n topics done ago before now, two minutes apart (too slow to be
// flagged).
func done(env *bottest.Env, n int, ago time.Duration) marks {
	return marks{roadmap.Done, n, env.Clock.Now().Add(-ago), 2 * time.Minute}
}

func skipped(env *bottest.Env, n int, ago time.Duration) marks {
	return marks{roadmap.Skipped, n, env.Clock.Now().Add(-ago), 2 * time.Minute}
}

// put stores a member seen at seen with the marks, each group on the
// topics after the previous group's.
func put(t testing.TB, env *bottest.Env, id string, seen time.Time, groups ...marks) {
	t.Helper()
	topics := counted()
	if _, err := env.DB.UpdateMember(context.Background(), bottest.Space, id, func(m *bot.Member) error {
		m.Name, m.Seen = id, seen
		tr := m.WriteTrack(bot.BuiltinRoadmap)
		k := 0
		for _, g := range groups {
			for i := range g.n {
				tr.Topics.Set(topics[k].ID, bot.Mark{Status: g.status, At: g.at.Add(time.Duration(i) * g.gap)})
				k++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// asMember runs line as a member without moderator rights (env.Do's
// requests are a moderator's).
func asMember(t *testing.T, env *bottest.Env, member, line string) *bot.Reply {
	t.Helper()
	req, err := env.Request(member, line)
	if err != nil {
		t.Fatal(err)
	}
	req.Access = bot.AccessMember
	r, err := env.Engine.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: %q: %v", member, line, err)
	}
	return r
}

// names is the board's rows as "1. ana" and so on, gaps as "…".
func names(r *bot.Reply) []string {
	var out []string
	for _, f := range r.Fields {
		out = append(out, f.Name)
	}
	return out
}

func row(r *bot.Reply, prefix string) string {
	for _, f := range r.Fields {
		if strings.HasPrefix(f.Name, prefix) {
			return f.Value
		}
	}
	return ""
}

// TestLeaderboardRanking: topics done in the period rank; skipped ones show
// apart and never count; ties go to the earlier finish.
func TestLeaderboardRanking(t *testing.T) {
	env := bottest.New(t)
	now := env.Clock.Now()
	put(t, env, "ana", now, done(env, 3, 1*day), skipped(env, 8, 1*day)) // 11 finished, 3 done
	put(t, env, "ben", now, done(env, 3, 2*day))                         // ana's 3, finished earlier
	put(t, env, "cat", now, done(env, 5, 20*day))
	put(t, env, "dan", now, done(env, 1, 40*day), done(env, 2, 3*day))
	put(t, env, "eve", now, skipped(env, 12, 1*day))
	put(t, env, "fay", now) // nothing marked: not ranked
	tests := []struct {
		line string
		want []string
	}{
		{"leaderboard week", []string{"1. ben", "2. ana (you)", "3. dan", "4. eve"}},
		{"leaderboard month", []string{"1. cat", "2. ben", "3. ana (you)", "4. dan", "5. eve"}},
		// dan's third topic makes 3 done, finished before ben's.
		{"leaderboard all", []string{"1. cat", "2. dan", "3. ben", "4. ana (you)", "5. eve"}},
		{"leaderboard", []string{"1. cat", "2. dan", "3. ben", "4. ana (you)", "5. eve"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			r := env.MustDo(t, "ana", tt.line)
			if got := strings.Join(names(r), ", "); got != strings.Join(tt.want, ", ") {
				t.Errorf("rows %s, want %s", got, strings.Join(tt.want, ", "))
			}
			if got := row(r, tt.want[len(tt.want)-1]); !strings.HasPrefix(got, "0 done · 12 skipped") {
				t.Errorf("eve's row %q, want 0 done · 12 skipped", got)
			}
		})
	}
	r := env.MustDo(t, "ana", "leaderboard week")
	if got := row(r, "2. ana"); !strings.HasPrefix(got, "3 done · 8 skipped") {
		t.Errorf("ana's row %q, want 3 done · 8 skipped", got)
	}
	if !strings.Contains(r.Title, "last 7 days") || !strings.Contains(strings.Join(r.Text, " "), "You are #2 of 4.") {
		t.Errorf("title %q, text %q", r.Title, r.Text)
	}
}

// TestLeaderboardFastMarks: more than FastDone topics done in a minute count
// for the member, not for ranking, and the member and moderators see why.
func TestLeaderboardFastMarks(t *testing.T) {
	env := bottest.New(t)
	now := env.Clock.Now()
	put(t, env, "ivy", now, marks{roadmap.Done, 8, now.Add(-day), 5 * time.Second}) // 8 in 35 s
	put(t, env, "joe", now, done(env, 6, 2*day))
	r := asMember(t, env, "ivy", "leaderboard")
	if got := strings.Join(names(r), ", "); got != "1. joe, 2. ivy (you)" {
		t.Errorf("rows %s, want joe above ivy's 5 that rank", got)
	}
	if got := row(r, "2. ivy"); !strings.HasPrefix(got, "5 done") || !strings.Contains(got, "⚑ 3 too fast to rank") {
		t.Errorf("ivy's own row %q: want 5 done, 3 flagged", got)
	}
	if got := env.MustDo(t, "ivy", "progress").Bars[0].Done; got != 8 {
		t.Errorf("ivy's progress %d done, want all 8", got)
	}
	// A member sees no one else's flags; a moderator does; a shared board shows none.
	if got := row(asMember(t, env, "joe", "leaderboard"), "2. ivy"); strings.Contains(got, "⚑") {
		t.Errorf("a member sees ivy's flag: %q", got)
	}
	if got := row(env.MustDo(t, "mod", "leaderboard"), "2. ivy"); !strings.Contains(got, "⚑ 3") {
		t.Errorf("a moderator's view of ivy %q: want the flag", got)
	}
	if got := row(env.MustDo(t, "ivy", "leaderboard share"), "2. ivy"); strings.Contains(got, "⚑") {
		t.Errorf("the shared board shows ivy's flag: %q", got)
	}
	// Moderators see the flags in group too; members do not.
	if got := replyField(env.MustDo(t, "mod", "group"), "Too fast to rank (moderators only)"); got != "ivy (3)" {
		t.Errorf("a moderator's group shows %q, want ivy (3)", got)
	}
	if got := replyField(asMember(t, env, "joe", "group"), "Too fast to rank (moderators only)"); got != "" {
		t.Errorf("a member's group shows the flags: %q", got)
	}
	// The floor is the engine's to set.
	env.Engine.FastDone = 8
	if got := strings.Join(names(env.MustDo(t, "ivy", "leaderboard")), ", "); got != "1. ivy (you), 2. joe" {
		t.Errorf("with FastDone 8: rows %s, want ivy first", got)
	}
}

// TestLeaderboardOwnRank: the top rows, then the requester's with one row
// above and below, however far down they are.
func TestLeaderboardOwnRank(t *testing.T) {
	env := bottest.New(t)
	now := env.Clock.Now()
	for i := 1; i <= 15; i++ {
		put(t, env, fmt.Sprintf("m%02d", i), now, done(env, 16-i, day))
	}
	top := []string{"1. m01", "2. m02", "3. m03", "4. m04", "5. m05", "6. m06", "7. m07", "8. m08", "9. m09", "10. m10"}
	tests := []struct {
		member string
		want   []string
		text   string
	}{
		// A board that stops before the last row says how many follow.
		{"m03", append(top[:2:2], "3. m03 (you)", "4. m04", "5. m05", "6. m06", "7. m07", "8. m08", "9. m09", "10. m10", "…"), "You are #3 of 15."},
		{"m11", append(top[:10:10], "11. m11 (you)", "12. m12", "…"), "You are #11 of 15."},
		{"m14", append(top[:10:10], "…", "13. m13", "14. m14 (you)", "15. m15"), "You are #14 of 15."},
		{"new", append(top[:10:10], "…"), "You have no topics done yet."},
	}
	for _, tt := range tests {
		t.Run(tt.member, func(t *testing.T) {
			r := env.MustDo(t, tt.member, "leaderboard")
			if got := strings.Join(names(r), ", "); got != strings.Join(tt.want, ", ") {
				t.Errorf("rows %s\nwant %s", got, strings.Join(tt.want, ", "))
			}
			if !strings.Contains(strings.Join(r.Text, " "), tt.text) {
				t.Errorf("text %q, want %q", r.Text, tt.text)
			}
		})
	}
	if got := row(env.MustDo(t, "m14", "leaderboard"), "…"); got != "2 more" {
		t.Errorf("gap %q, want 2 more", got)
	}
}

// TestLeaderboardHiddenInactiveDeleted: hidden members, members not seen
// for 60 days and members who deleted their data never appear.
func TestLeaderboardHiddenInactiveDeleted(t *testing.T) {
	env := bottest.New(t)
	now := env.Clock.Now()
	put(t, env, "ana", now, done(env, 4, day))
	put(t, env, "old", now.Add(-61*day), done(env, 5, 70*day))
	put(t, env, "away", now.Add(-59*day), done(env, 3, 70*day))
	env.MustDo(t, "gus", "done")
	env.MustDo(t, "del", "done")
	env.MustDo(t, "del", "mydata delete yes")
	want := "1. ana, 2. away, 3. gus"
	for _, line := range []string{"leaderboard", "leaderboard share"} {
		if got := strings.Join(names(env.MustDo(t, "mod", line)), ", "); got != want {
			t.Errorf("%s: rows %s, want %s", line, got, want)
		}
	}
	env.MustDo(t, "ana", "leaderboard hide")
	if !member(t, env, "ana").Hidden {
		t.Fatal("ana not stored hidden")
	}
	want = "1. away, 2. gus"
	for _, line := range []string{"leaderboard", "leaderboard share"} {
		if got := strings.Join(names(env.MustDo(t, "mod", line)), ", "); got != want {
			t.Errorf("%s with ana hidden: rows %s, want %s", line, got, want)
		}
	}
	r := env.MustDo(t, "ana", "leaderboard")
	if got := strings.Join(names(r), ", "); got != want || !strings.Contains(strings.Join(r.Text, " "), "You are hidden") {
		t.Errorf("ana hidden sees rows %s, text %q; want no row of hers and that she is hidden", got, r.Text)
	}
	env.MustDo(t, "ana", "leaderboard unhide")
	if got := strings.Join(names(env.MustDo(t, "ana", "leaderboard")), ", "); got != "1. ana (you), 2. away, 3. gus" {
		t.Errorf("after unhide: rows %s", got)
	}
	// An inactive member is back once they use the bot again.
	if got := strings.Join(names(env.MustDo(t, "old", "leaderboard")), ", "); !strings.Contains(got, "1. old (you)") {
		t.Errorf("old asking: rows %s, want their own row first", got)
	}
}

// TestLeaderboardShareIsPublic: show answers the member alone, share posts
// to the channel and names no one as "you".
func TestLeaderboardShareIsPublic(t *testing.T) {
	env := bottest.New(t)
	env.MustDo(t, "ana", "done")
	if r := env.MustDo(t, "ana", "leaderboard"); r.Public {
		t.Error("leaderboard show is public, want private")
	}
	r := env.MustDo(t, "ana", "leaderboard share")
	if !r.Public {
		t.Error("leaderboard share is private, want public")
	}
	if got := strings.Join(names(r), ", "); got != "1. ana" {
		t.Errorf("shared rows %s, want 1. ana", got)
	}
}

func TestLeaderboardEmptyAndBadPeriod(t *testing.T) {
	env := bottest.New(t)
	r := env.MustDo(t, "ana", "leaderboard week")
	if len(r.Fields) != 0 || !strings.Contains(strings.Join(r.Text, " "), "Nobody here has done a topic in the last 7 days") {
		t.Errorf("empty board %+v", r)
	}
	_, err := env.Do(t, "ana", "leaderboard year")
	wantCode(t, err, bot.Invalid, "period must be one of: week, month, all")
}

// BenchmarkLeaderboard: leaderboard show for one member of a space of
// 10,000, each with random done and skipped marks over the last 90 days on
// the built-in roadmap, for each period.
func BenchmarkLeaderboard(b *testing.B) {
	for _, cache := range []bool{true, false} {
		b.Run(fmt.Sprintf("cache=%s", onOff(cache)), func(b *testing.B) { benchLeaderboard(b, cache) })
	}
}

// benchLeaderboard is BenchmarkLeaderboard on a store that caches briefs
// or not (see BenchmarkGroup).
func benchLeaderboard(b *testing.B, cache bool) {
	const n = 10_000
	env := viewEnv(b, cache)
	ctx := context.Background()
	topics := counted()
	now := env.Clock.Now()
	var wg sync.WaitGroup
	ids := make(chan int)
	for w := range 64 { // concurrent writers share commits
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for i := range ids {
				_, err := env.DB.UpdateMember(ctx, bottest.Space, fmt.Sprintf("m%05d", i), func(m *bot.Member) error {
					m.Name, m.Seen = fmt.Sprintf("member %d", i), now.Add(-time.Duration(rng.IntN(90))*day)
					tr := m.WriteTrack(bot.BuiltinRoadmap)
					for _, t := range topics[:rng.IntN(len(topics))] {
						st := roadmap.Done
						if rng.IntN(5) == 0 {
							st = roadmap.Skipped
						}
						tr.Topics.Set(t.ID, bot.Mark{Status: st, At: now.Add(-time.Duration(rng.Int64N(int64(90 * day))))})
					}
					return nil
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()
	for _, period := range []string{"all", "week"} {
		b.Run(period, func(b *testing.B) {
			// Against a raw scan of the same records (benchFloor).
			benchFloor(b, func(i int) {
				req := &bot.Request{Space: bottest.Space, Member: fmt.Sprintf("m%05d", i%n), Command: "leaderboard show", Args: map[string]string{"period": period}}
				if _, err := env.Engine.Handle(ctx, req); err != nil {
					b.Fatal(err)
				}
			}, func(int) {
				if got, err := env.DB.Floor().Scan(bottest.Space); err != nil || got != n {
					b.Fatal(got, err)
				}
			})
		})
	}
}

// TestLeaderboardPickGroups: of a pick group only the member's chosen
// option counts: the one they picked, else the first they started or
// finished, read from briefs.
func TestLeaderboardPickGroups(t *testing.T) {
	env := bottest.New(t)
	rm := roadmap.Default()
	var p *roadmap.Pick
	for _, q := range rm.Picks {
		if len(q.Options) >= 2 && !rm.Topic(q.Options[0]).Optional && !rm.Topic(q.Options[1]).Optional {
			p = q
			break
		}
	}
	if p == nil {
		t.Fatal("the built-in roadmap has no pick group of two required options")
	}
	now := env.Clock.Now()
	at := now.Add(-time.Hour)
	set := func(id string, pick string, opts ...int) {
		t.Helper()
		_, err := env.DB.UpdateMember(context.Background(), bottest.Space, id, func(m *bot.Member) error {
			m.Name, m.Seen = id, now
			tr := m.WriteTrack(bot.BuiltinRoadmap)
			for i, o := range opts {
				tr.Topics.Set(p.Options[o], bot.Mark{Status: roadmap.Done, At: at.Add(time.Duration(i) * 2 * time.Minute)})
			}
			tr.Topics.Set(counted()[0].ID, bot.Mark{Status: roadmap.Done, At: at})
			if pick != "" {
				tr.Picks[p.ID] = pick
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	set("ana", p.Options[1], 0, 1) // picked the second: it counts, the first not
	set("ben", "", 0, 1)           // no pick: the first done counts
	set("cat", p.Options[0], 1)    // picked the first, did the second: not on the path
	r := env.MustDo(t, "ana", "leaderboard all")
	for who, want := range map[string]string{"ana": "2 done", "ben": "2 done", "cat": "1 done"} {
		var got string
		for _, f := range r.Fields {
			if strings.Contains(f.Name, ". "+who) {
				got = f.Value
			}
		}
		if !strings.HasPrefix(got, want) {
			t.Errorf("%s's row %q, want %s (rows %v)", who, got, want, names(r))
		}
	}
}
