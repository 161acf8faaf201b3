package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/store"
	"github.com/studybot/studybot/store/postgres"
)

// copyStore is what migrate-db reads and writes: either backend.
type copyStore interface {
	Store
	SpaceKeys(ctx context.Context) ([]bot.Space, error)
}

// openCopyStore opens a bbolt file or a PostgreSQL URL. A target must be
// empty: a file that does not exist yet, or a database with no studybot data.
func openCopyStore(ctx context.Context, where string, target bool) (copyStore, error) {
	if postgres.IsURL(where) {
		db, err := postgres.Open(ctx, where, postgres.Options{})
		if err != nil {
			return nil, err
		}
		if target {
			empty, err := db.Empty(ctx)
			if err == nil && !empty {
				err = fmt.Errorf("%s already holds studybot data; migrate-db copies only into an empty database", postgres.Redact(where))
			}
			if err != nil {
				db.Close()
				return nil, err
			}
		}
		return db, nil
	}
	if target {
		if st, err := os.Stat(where); err == nil && st.Size() > 0 {
			return nil, fmt.Errorf("%s already exists; migrate-db copies only into a new file", where)
		}
	} else if _, err := os.Stat(where); err != nil {
		return nil, fmt.Errorf("database %s: %w", where, err)
	}
	return store.Open(where, store.Options{ReadOnly: !target})
}

func runMigrateDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate-db", stderr, "migrate-db --from SRC --to DST (each a bbolt file or a postgres:// URL)")
	from := fs.String("from", "", "database to copy: a bbolt file or a postgres:// URL (stop the bots using it first)")
	to := fs.String("to", "", "empty database to copy into: a new bbolt file or a postgres:// URL")
	workers := fs.Int("workers", 8, "members copied at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("migrate-db needs --from and --to")
	}
	src, err := openCopyStore(ctx, *from, false)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openCopyStore(ctx, *to, true)
	if err != nil {
		return err
	}
	defer dst.Close()
	n, err := copyDB(ctx, src, dst, max(*workers, 1))
	if err != nil {
		return fmt.Errorf("migrate-db: %w (the target is incomplete: empty it before trying again)", err)
	}
	want, err := countDB(ctx, src)
	if err != nil {
		return err
	}
	got, err := countDB(ctx, dst)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("migrate-db: counts differ after copying: source %+v, target %+v", want, got)
	}
	fmt.Fprintf(stdout, "copied %s to %s: %d spaces, %d members (%d with nudges on), %d challenges, %d submissions, %d roadmaps, %d pending uploads; counts verified\n",
		dbLabel(*from), dbLabel(*to), got.Spaces, got.Members, got.Nudges, got.Challenges, got.Submissions, got.Roadmaps, n.Pending)
	return nil
}

func dbLabel(s string) string {
	if postgres.IsURL(s) {
		return postgres.Redact(s)
	}
	return s
}

// dbCounts is what migrate-db verifies.
type dbCounts struct {
	Spaces, Members, Nudges, Challenges, Submissions, Roadmaps int
	Pending                                                    int
}

func countDB(ctx context.Context, s copyStore) (dbCounts, error) {
	var c dbCounts
	sps, err := s.SpaceKeys(ctx)
	if err != nil {
		return c, err
	}
	c.Spaces = len(sps)
	for _, sp := range sps {
		err := s.Members(ctx, sp, func(m *bot.Member) error {
			c.Members++
			if m.Nudge.On {
				c.Nudges++
			}
			return nil
		})
		if err != nil {
			return c, err
		}
		cs, err := s.Challenges(ctx, sp, 0)
		if err != nil {
			return c, err
		}
		c.Challenges += len(cs)
		for _, ch := range cs {
			c.Submissions += len(ch.Submissions)
		}
		fs, err := s.RoadmapFiles(ctx, sp)
		if err != nil {
			return c, err
		}
		c.Roadmaps += len(fs)
	}
	return c, nil
}

// copyDB copies every space through the bot.Store contract, so it works in
// either direction: settings, added roadmaps, challenges (opened in id order,
// so they keep their ids, then given their closing times and submissions),
// members with their nudge schedule, pending roadmap uploads and DM channels.
// Deliveries are not copied: they only matter for minutes.
func copyDB(ctx context.Context, src, dst copyStore, workers int) (dbCounts, error) {
	var n dbCounts
	settings := map[bot.Space]bool{}
	if err := src.Spaces(ctx, func(r *bot.SpaceRecord) error { settings[r.Space] = true; return nil }); err != nil {
		return n, err
	}
	sps, err := src.SpaceKeys(ctx)
	if err != nil {
		return n, err
	}
	for _, sp := range sps {
		rec, err := src.Space(ctx, sp)
		if err != nil {
			return n, err
		}
		files, err := src.RoadmapFiles(ctx, sp)
		if err != nil {
			return n, err
		}
		for _, f := range files {
			if err := dst.PutRoadmapFile(ctx, sp, f, len(files)); err != nil {
				return n, fmt.Errorf("%s: roadmap %s: %w", sp, f.ID, err)
			}
		}
		if err := copyChallenges(ctx, src, dst, sp, rec); err != nil {
			return n, fmt.Errorf("%s: %w", sp, err)
		}
		if settings[sp] {
			if _, err := dst.UpdateSpace(ctx, sp, func(r *bot.SpaceRecord) error {
				cur, closes, rms := r.Current, r.ClosesAt, r.Roadmaps
				*r = *rec
				r.Current, r.ClosesAt, r.Roadmaps = cur, closes, rms // the store's own
				return nil
			}); err != nil {
				return n, fmt.Errorf("%s: settings: %w", sp, err)
			}
		}
		p, err := copyMembers(ctx, src, dst, sp, workers)
		n.Pending += p
		if err != nil {
			return n, fmt.Errorf("%s: %w", sp, err)
		}
	}
	return n, nil
}

func copyChallenges(ctx context.Context, src, dst copyStore, sp bot.Space, rec *bot.SpaceRecord) error {
	cs, err := src.Challenges(ctx, sp, 0)
	if err != nil {
		return err
	}
	slices.Reverse(cs) // oldest first
	for i, c := range cs {
		if c.ID != uint64(i+1) {
			return fmt.Errorf("challenge ids are not 1..%d (found #%d at %d), so they cannot keep their ids", len(cs), c.ID, i+1)
		}
		open := *c
		open.ClosedAt, open.Submissions = time.Time{}, nil
		op, err := dst.OpenChallenge(ctx, sp, &open, bot.CloseCurrent)
		if err != nil {
			return fmt.Errorf("challenge #%d: %w", c.ID, err)
		}
		if op.Repeat || op.Opened.ID != c.ID {
			return fmt.Errorf("challenge #%d: the target opened #%d (repeat %t)", c.ID, op.Opened.ID, op.Repeat)
		}
	}
	if len(cs) > 0 && rec.Current != cs[len(cs)-1].ID {
		last := cs[len(cs)-1]
		at := last.ClosedAt
		if at.IsZero() {
			at = last.PostedAt
		}
		if _, _, err := dst.CloseChallenge(ctx, sp, at, nil); err != nil {
			return err
		}
	}
	for _, c := range cs {
		if _, err := dst.UpdateChallenge(ctx, sp, c.ID, func(d *bot.Challenge) error {
			d.ClosedAt, d.Submissions = c.ClosedAt, c.Submissions
			return nil
		}); err != nil {
			return fmt.Errorf("challenge #%d: %w", c.ID, err)
		}
	}
	return nil
}

// copyMembers copies a space's members, workers at a time, and returns how
// many pending uploads it copied.
func copyMembers(ctx context.Context, src, dst copyStore, sp bot.Space, workers int) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ids := make(chan string, workers*4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	pending := 0
	srcDM, _ := src.(bot.DMChannels)
	dstDM, _ := dst.(bot.DMChannels)
	for range workers {
		wg.Go(func() {
			for id := range ids {
				if err := copyMember(ctx, src, dst, srcDM, dstDM, sp, id, &mu, &pending); err != nil {
					cancel(fmt.Errorf("member %s: %w", id, err))
				}
			}
		})
	}
	err := src.Members(ctx, sp, func(m *bot.Member) error {
		select {
		case ids <- m.ID:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(ids)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil {
		return pending, cause
	}
	return pending, err
}

func copyMember(ctx context.Context, src, dst copyStore, srcDM, dstDM bot.DMChannels, sp bot.Space, id string, mu *sync.Mutex, pending *int) error {
	// Member, not the Members scan: it fills the nudge schedule (Next).
	m, err := src.Member(ctx, sp, id)
	if err != nil {
		return err
	}
	if _, err := dst.UpdateMember(ctx, sp, id, func(d *bot.Member) error {
		*d = *m
		return nil
	}); err != nil {
		return err
	}
	f, err := src.PendingRoadmap(ctx, sp, id)
	switch {
	case err == nil:
		if err := dst.SetPendingRoadmap(ctx, sp, id, f); err != nil {
			return err
		}
		mu.Lock()
		*pending++
		mu.Unlock()
	case bot.ErrorCode(err) != bot.NotFound:
		return err
	}
	if srcDM != nil && dstDM != nil {
		ch, err := srcDM.DMChannel(ctx, sp, id)
		if err != nil {
			return err
		}
		if ch != "" {
			return dstDM.SetDMChannel(ctx, sp, id, ch)
		}
	}
	return nil
}
