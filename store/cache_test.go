package store

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

func briefsOf(t *testing.T, db *DB, sp bot.Space) map[string]*bot.Member {
	t.Helper()
	out := map[string]*bot.Member{}
	if err := db.Briefs(context.Background(), sp, func(m *bot.Member) error { out[m.ID] = m; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// cachedReads are the two reads that go through a member cache: Briefs
// (group, leaderboard) and MemberInSpace (commands), each giving the
// members of ids that exist, and the counters of its cache.
var cachedReads = []struct {
	name  string
	read  func(t *testing.T, db *DB, sp bot.Space, ids ...string) map[string]*bot.Member
	stats func(db *DB) CacheStats
}{
	{"briefs", func(t *testing.T, db *DB, sp bot.Space, _ ...string) map[string]*bot.Member {
		return briefsOf(t, db, sp)
	}, (*DB).CacheStats},
	{"members", inSpace, (*DB).MemberCacheStats},
}

// inSpace reads ids through MemberInSpace.
func inSpace(t *testing.T, db *DB, sp bot.Space, ids ...string) map[string]*bot.Member {
	t.Helper()
	out := map[string]*bot.Member{}
	for _, id := range ids {
		m, _, err := db.MemberInSpace(context.Background(), sp, id)
		if err != nil {
			t.Fatal(err)
		}
		if m != nil {
			out[id] = m
		}
	}
	return out
}

// TestMemberInSpace_CachedIsWhole: a member read again comes from the
// cache, equal to what Member reads, with the fields filled per read
// (schedule, answered count) filled; changing it changes nothing stored
// or cached.
func TestMemberInSpace_CachedIsWhole(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	_, err := db.UpdateMember(ctx, spaceA, "a", func(m *bot.Member) error {
		m.Name, m.Nudge = "Ann", bot.Nudge{On: true, Hour: 9, Zone: "UTC", Next: t0.Add(24 * time.Hour)}
		tr := m.WriteTrack(bot.BuiltinRoadmap)
		tr.Topics.Set("internet/dns", bot.Mark{Status: roadmap.Learning, Started: t0, At: t0, Note: "note"})
		m.History = []bot.Change{{Topic: "internet/dns", At: t0}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := db.Member(ctx, spaceA, "a")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 4 { // the first read since the write marks, the second keeps, then hits
		got := inSpace(t, db, spaceA, "a")["a"]
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: MemberInSpace = %+v, want %+v", round, got, want)
		}
		if got.Nudge.Next.IsZero() {
			t.Errorf("round %d: the schedule was not filled", round)
		}
		got.Name = "changed"
		got.Track(bot.BuiltinRoadmap).Topics.Get("internet/dns").Note = "changed"
		got.History[0].Topic = "changed"
	}
	if st := db.MemberCacheStats(); st.Hits != 2 || st.Misses != 2 || st.Entries != 1 {
		t.Errorf("MemberCacheStats = %+v, want 2 hits, 2 misses, 1 entry", st)
	}
}

// TestBriefs_AreMembersWithoutHistory: Briefs gives what Members gives,
// less history, reviews, notes and learning starts; from the cache too.
func TestBriefs_AreMembersWithoutHistory(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	for i := range 3 {
		_, err := db.UpdateMember(ctx, spaceA, fmt.Sprintf("m%d", i), func(m *bot.Member) error {
			m.Name, m.Buddy, m.Follow = fmt.Sprintf("Member %d", i), i == 1, "backend"
			tr := m.WriteTrack(bot.BuiltinRoadmap)
			tr.Topics.Set("internet/dns", bot.Mark{Status: roadmap.Learning, Started: t0, At: t0, Note: "note"})
			tr.Picks["language"] = "language/go"
			tr.Reviews = map[string]*bot.Review{"internet/dns": {Step: 1}}
			m.History = []bot.Change{{Topic: "internet/dns", At: t0}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var want []*bot.Member
	if err := db.Members(ctx, spaceA, func(m *bot.Member) error { want = append(want, m); return nil }); err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // a miss, then a hit
		got := briefsOf(t, db, spaceA)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d briefs, want %d", round, len(got), len(want))
		}
		for _, w := range want {
			cp := *w
			cp.History = nil
			tr := *cp.Tracks[bot.BuiltinRoadmap]
			tr.Reviews = nil
			tr.Topics = bot.Marks{{Topic: "internet/dns", Mark: bot.Mark{Status: roadmap.Learning, At: t0}}} // no Note, no Started
			cp.Tracks = map[string]*bot.Track{bot.BuiltinRoadmap: &tr}
			if !reflect.DeepEqual(got[w.ID], &cp) {
				t.Errorf("round %d: brief of %s = %+v, want %+v", round, w.ID, got[w.ID], &cp)
			}
		}
	}
	if st := db.CacheStats(); st.Hits != 3 || st.Misses != 3 || st.Entries != 3 {
		t.Errorf("CacheStats = %+v, want 3 hits, 3 misses, 3 entries", st)
	}
}

// TestCaches_SeeEveryWrite: a cached member never outlives a write: an
// update, a refused update (no write: still cached), a delete, a load.
func TestCaches_SeeEveryWrite(t *testing.T) {
	for _, cr := range cachedReads {
		t.Run(cr.name, func(t *testing.T) {
			db := MustOpenDB(t)
			ctx := context.Background()
			// Read twice: the member cache keeps a member from its
			// second read after a write (memberCache.seen).
			read := func() map[string]*bot.Member {
				cr.read(t, db, spaceA, "a", "b")
				return cr.read(t, db, spaceA, "a", "b")
			}
			name := func(n string) func(*bot.Member) error {
				return func(m *bot.Member) error { m.Name = n; return nil }
			}
			if _, err := db.UpdateMember(ctx, spaceA, "a", name("one")); err != nil {
				t.Fatal(err)
			}
			read() // cached
			if _, err := db.UpdateMember(ctx, spaceA, "a", name("two")); err != nil {
				t.Fatal(err)
			}
			if got := read()["a"].Name; got != "two" {
				t.Fatalf("after an update the cache says %q", got)
			}
			refuse := func(*bot.Member) error { return bot.Errorf(bot.Conflict, "no") }
			if _, err := db.UpdateMember(ctx, spaceA, "a", refuse); bot.ErrorCode(err) != bot.Conflict {
				t.Fatal(err)
			}
			hits := cr.stats(db).Hits
			if got := read()["a"].Name; got != "two" {
				t.Fatalf("after a refusal the cache says %q", got)
			}
			if cr.stats(db).Hits != hits+2 {
				t.Error("a refused update dropped the cached member")
			}
			if err := db.Floor().LoadMembers(ctx, spaceA, []*bot.Member{{ID: "a", Name: "loaded"}}); err != nil {
				t.Fatal(err)
			}
			if got := read()["a"].Name; got != "loaded" {
				t.Fatalf("after a load the cache says %q", got)
			}
			if err := db.DeleteMember(ctx, spaceA, "a"); err != nil {
				t.Fatal(err)
			}
			if got := read(); len(got) != 0 {
				t.Fatalf("after a delete the read gives %v", got)
			}
			// The reader may set the Member's own fields without changing the cache.
			if _, err := db.UpdateMember(ctx, spaceA, "b", name("bee")); err != nil {
				t.Fatal(err)
			}
			read()["b"].Name = "changed"
			if got := read()["b"].Name; got != "bee" {
				t.Fatalf("the reader's change reached the cache: %q", got)
			}
		})
	}
}

// TestBriefCache_StaleReadNotStored: a reader whose snapshot predates a
// write does not store what it read, whether it finishes before the
// write's invalidation or after, and whether the tombstone was evicted.
func TestBriefCache_StaleReadNotStored(t *testing.T) {
	old, cur := &bot.Member{Name: "old"}, &bot.Member{Name: "new"}
	c := newMemberCache(1 << 20)
	c.invalidate("k", 10)      // a write in transaction 10
	c.put("k", old, "", 9, 10) // a reader at 9 finishing late
	if got, _ := c.get([]byte("k")); got != nil {
		t.Fatalf("a read from before the write was stored: %v", got.Name)
	}
	c.put("k", cur, "", 10, 10) // a reader that saw the write
	if got, _ := c.get([]byte("k")); got != cur {
		t.Fatal("a read at the write's transaction was not stored")
	}
	c.put("k", old, "", 9, 10) // the late reader again
	if got, _ := c.get([]byte("k")); got != cur {
		t.Fatal("an older read replaced a newer one")
	}

	// A tombstone evicted: the floor keeps the stale reader out.
	small := newMemberCache(tombstoneSize)
	small.invalidate("k", 20)
	small.invalidate("other", 5) // evicts one of the two at random
	small.invalidate("other2", 6)
	small.put("k", old, "", 19, 0)
	if got, _ := small.get([]byte("k")); got != nil {
		t.Fatal("after evicting its tombstone a stale read was stored")
	}
	if small.bytes > small.max {
		t.Errorf("cache holds %d bytes, over its bound %d", small.bytes, small.max)
	}
}

// TestBriefCache_Bounded: filling past the bound evicts, and the estimate
// stays under it.
func TestBriefCache_Bounded(t *testing.T) {
	db, err := Open(t.TempDir()+"/s.db", Options{BriefCacheBytes: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ms []*bot.Member
	for i := range 200 {
		ms = append(ms, &bot.Member{ID: fmt.Sprintf("m%03d", i), Created: t0, Seen: t0.Add(time.Duration(i))})
	}
	if err := db.Floor().LoadMembers(context.Background(), spaceA, ms); err != nil {
		t.Fatal(err)
	}
	if got := len(briefsOf(t, db, spaceA)); got != 200 {
		t.Fatalf("%d briefs, want 200", got)
	}
	st := db.CacheStats()
	if st.Bytes > st.MaxBytes || st.Evictions == 0 {
		t.Errorf("CacheStats = %+v: want evictions and bytes within the bound", st)
	}
	off, err := Open(t.TempDir()+"/off.db", Options{BriefCacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	if err := off.Floor().LoadMembers(context.Background(), spaceA, ms); err != nil {
		t.Fatal(err)
	}
	if got := len(briefsOf(t, off, spaceA)); got != 200 || off.CacheStats() != (CacheStats{}) {
		t.Errorf("cache off: %d briefs, stats %+v", got, off.CacheStats())
	}
}

// TestCaches_ConcurrentWritesNeverStale: while members are rewritten and
// deleted, reads keep going (and filling the cache); once the writes stop,
// every cached read is the stored member, never a read from before a
// write.
func TestCaches_ConcurrentWritesNeverStale(t *testing.T) {
	for _, cr := range cachedReads {
		t.Run(cr.name, func(t *testing.T) {
			db := MustOpenDB(t)
			ctx := context.Background()
			const members, writes = 8, 60
			var ids []string
			for w := range members {
				ids = append(ids, fmt.Sprintf("m%d", w))
			}
			stop := make(chan struct{})
			readerDone := make(chan struct{})
			go func() {
				defer close(readerDone)
				for {
					select {
					case <-stop:
						return
					default:
					}
					cr.read(t, db, spaceA, ids...)
				}
			}()
			var wg sync.WaitGroup
			for _, id := range ids {
				wg.Go(func() {
					for i := range writes {
						if i%20 == 19 {
							if err := db.DeleteMember(ctx, spaceA, id); err != nil {
								t.Error(err)
							}
							continue
						}
						if _, err := db.UpdateMember(ctx, spaceA, id, func(m *bot.Member) error { m.Name = fmt.Sprint(i); return nil }); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			close(stop)
			<-readerDone
			got := cr.read(t, db, spaceA, ids...)
			for _, id := range ids {
				want, err := db.Member(ctx, spaceA, id)
				switch {
				case bot.ErrorCode(err) == bot.NotFound:
					if got[id] != nil {
						t.Errorf("%s was deleted, but the cache says %q", id, got[id].Name)
					}
				case err != nil:
					t.Fatal(err)
				case got[id] == nil || got[id].Name != want.Name:
					t.Errorf("%s: cached %v, stored name %q", id, got[id], want.Name)
				}
			}
			if cr.stats(db).Hits == 0 {
				t.Error("no read was a hit: the test checks nothing")
			}
		})
	}
}

// TestMemberCache_SecondReadKeeps: the full cache keeps a member from the
// second read after a write; a read from before a write marks nothing,
// and a write forgets the mark.
func TestMemberCache_SecondReadKeeps(t *testing.T) {
	c := newMemberCache(1 << 20)
	k := []byte("k")
	c.invalidate("k", 10) // a write in transaction 10
	if c.seen(k, 9) || c.seen(k, 9) {
		t.Fatal("a read from before the write counted")
	}
	if c.seen(k, 10) {
		t.Fatal("the first read after the write was seen before")
	}
	if !c.seen(k, 11) {
		t.Fatal("the second read after the write was not seen")
	}
	c.invalidate("k", 12)
	if c.seen(k, 12) {
		t.Fatal("a write did not forget the mark")
	}
	if m, _ := c.get(k); m != nil {
		t.Fatal("a mark reads as a member")
	}
}

// TestMemberCache_EvictionKeepsStaleReadsOut: evicting a member or a mark
// (not only a tombstone) forgets when its key was last written, so it
// must raise the floor too: a reader whose snapshot predates that write
// stores nothing afterwards.
func TestMemberCache_EvictionKeepsStaleReadsOut(t *testing.T) {
	evictAll := func(c *memberCache) {
		c.mu.Lock()
		c.max = 0
		c.evict()
		c.max = 1 << 20
		c.mu.Unlock()
	}
	key := "sp\x00m"
	t.Run("mark", func(t *testing.T) {
		c := newMemberCache(1 << 20)
		c.invalidate(key, 10) // a write in transaction 10
		c.seen([]byte(key), 10)
		evictAll(c)
		if c.seen([]byte(key), 9) || c.seen([]byte(key), 9) {
			c.put(key, &bot.Member{Name: "before the write"}, "", 9, 10)
		}
		if m, _ := c.get([]byte(key)); m != nil {
			t.Fatalf("cache holds %q, read before write 10", m.Name)
		}
	})
	t.Run("entry", func(t *testing.T) {
		c := newMemberCache(1 << 20)
		c.invalidate(key, 10)
		c.put(key, &bot.Member{Name: "after"}, "", 10, 10)
		evictAll(c)
		c.put(key, &bot.Member{Name: "before the write"}, "", 9, 10)
		if m, _ := c.get([]byte(key)); m != nil {
			t.Fatalf("cache holds %q, read before write 10", m.Name)
		}
	})
}
