package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/store/storetest"
)

const howToRun = "set STUDYBOT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests"

// TestMain skips the package in one line when no server is named, except in
// CI (CI=true), where the PostgreSQL tests must run.
func TestMain(m *testing.M) {
	if os.Getenv("STUDYBOT_TEST_DATABASE_URL") == "" {
		if os.Getenv("CI") == "true" {
			fmt.Println("FAIL: CI needs the PostgreSQL tests: " + howToRun)
			os.Exit(1)
		}
		fmt.Println("skipping store/postgres: " + howToRun)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testURL returns the test server's URL from STUDYBOT_TEST_DATABASE_URL. Without
// it the tests skip on a developer's machine, and fail in CI (CI=true), where
// .ci/run provides one.
func testURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("STUDYBOT_TEST_DATABASE_URL")
	if u == "" {
		tb.Fatal(howToRun) // TestMain stops before this
	}
	return u
}

var schemaSeq atomic.Int64

// openTest opens a store in a schema of its own, dropped when the test ends.
func openTest(tb testing.TB, clock bot.Clock) (*DB, string) {
	tb.Helper()
	u := testURL(tb)
	schema := fmt.Sprintf("studybot_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	ctx := context.Background()
	db, err := Open(ctx, u, Options{Schema: schema, Clock: clock, MaxConns: 8})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			tb.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Error(err)
		}
	})
	return db, schema
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		db, schema := openTest(t, bot.ClockFunc(func() time.Time { return storetest.T0 }))
		return dumpDB{db, schema}
	})
}

// dumpDB lets the suite look at every row of every table, as text.
type dumpDB struct {
	*DB
	schema string
}

func (d dumpDB) Dump(ctx context.Context, fn func(where string, v []byte)) error {
	rows, err := d.pool.Query(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1", d.schema)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, tb := range tables {
		rows, err := d.pool.Query(ctx, "SELECT t::text FROM "+pgx.Identifier{tb}.Sanitize()+" t")
		if err != nil {
			return err
		}
		vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, v := range vals {
			fn(tb, []byte(v))
		}
	}
	return nil
}

// TestMigrate_Concurrent: processes starting together migrate once.
func TestMigrate_Concurrent(t *testing.T) {
	db, schema := openTest(t, nil)
	ctx := context.Background()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			other, err := Open(ctx, testURL(t), Options{Schema: schema})
			if err == nil {
				other.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != SchemaVersion() {
		t.Errorf("schema_migrations has %d rows (%v), want %d", n, err, SchemaVersion())
	}
	// A newer schema is refused.
	if _, err := db.pool.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, testURL(t), Options{Schema: schema}); err == nil || !strings.Contains(err.Error(), "newer studybot") {
		t.Errorf("newer schema: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bot:s3cret@db:5432/studybot?sslmode=require": "postgres://bot:xxxxx@db:5432/studybot?sslmode=require",
		"postgresql://db/studybot?password=s3cret":               "postgresql://db/studybot?password=xxxxx",
		"postgres://bot@db/studybot":                             "postgres://bot@db/studybot",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClaimDue_TwoProcesses: two pools claiming at once take each nudge once.
func TestClaimDue_TwoProcesses(t *testing.T) {
	ctx := context.Background()
	a, schema := openTest(t, nil)
	b, err := Open(ctx, testURL(t), Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	t0 := storetest.T0
	const n = 300
	for i := range n {
		if _, err := a.UpdateMember(ctx, bot.Space{Platform: bot.PlatformDiscord, ID: "g"}, fmt.Sprintf("m%03d", i), func(m *bot.Member) error {
			m.Nudge = bot.Nudge{On: true, Hour: 9, Zone: "UTC", Next: t0}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var claimed [2]atomic.Int64
	seen := make(chan string, 2*n)
	done := make(chan error, 2)
	for i, db := range []*DB{a, b} {
		go func() {
			for {
				ds, err := db.ClaimDue(ctx, t0, 7, func(d *bot.Due) error {
					d.Nudge.Next = d.Nudge.Next.Add(24 * time.Hour)
					return nil
				})
				if err != nil || len(ds) == 0 {
					done <- err
					return
				}
				for _, d := range ds {
					seen <- d.Member
				}
				claimed[i].Add(int64(len(ds)))
			}
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	close(seen)
	count := map[string]int{}
	for m := range seen {
		count[m]++
	}
	for m, c := range count {
		if c != 1 {
			t.Errorf("%s claimed %d times", m, c)
		}
	}
	if len(count) != n {
		t.Errorf("claimed %d members, want %d", len(count), n)
	}
	t.Logf("claims: %d and %d", claimed[0].Load(), claimed[1].Load())
}
