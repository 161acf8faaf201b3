// Package simulate is `studybot simulate`: it runs the real store and
// scheduler over many members and days on a fake clock and judges every nudge
// with bot/nudge's Oracle. It wires a real store, which only cmd/studybot may.
package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/nudge"
	"github.com/studybot/studybot/bot/schedule"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
	"github.com/studybot/studybot/store/postgres"
)

// simZones spread simulated members over zones with every kind of offset and
// transition: half-hour and quarter-hour offsets, a 30-minute DST shift, a
// midnight DST gap, southern-hemisphere DST and zones without DST.
var simZones = []string{
	"America/New_York", "Europe/London", "America/Santiago", "Australia/Lord_Howe",
	"Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "Europe/Berlin",
	"America/Los_Angeles", "America/Sao_Paulo", "America/St_Johns", "America/Mexico_City",
	"America/Anchorage", "Pacific/Honolulu", "Africa/Lagos", "Africa/Cairo",
	"Europe/Moscow", "Asia/Tehran", "Asia/Dubai", "Asia/Shanghai",
	"Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "UTC",
}

// simSpace holds every simulated member.
var simSpace = bot.Space{Platform: bot.PlatformConsole, ID: "simulate"}

// simResult is what simulate prints; with --json exactly these keys.
type simResult struct {
	Members       int     `json:"members"`
	Days          int     `json:"days"`
	NudgesSent    int64   `json:"nudges_sent"`
	Duplicates    int64   `json:"duplicates"`
	Misses        int64   `json:"misses"`
	TickP50us     int64   `json:"tick_p50_us"`
	TickP99us     int64   `json:"tick_p99_us"`
	TickMaxus     int64   `json:"tick_max_us"`
	PeakHeapBytes uint64  `json:"peak_heap_bytes"`
	DBBytes       int64   `json:"db_bytes"`
	WallSeconds   float64 `json:"wall_seconds"`
	// With --processes and --kill-at only: how many schedulers shared the
	// database, and how many nudges the killed one had claimed and not sent
	// when it died (the at-most-once loss: misses must not exceed it).
	Processes      int   `json:"processes,omitempty"`
	KilledUnsent   int64 `json:"killed_claimed_unsent,omitempty"`
	KilledAtMinute int64 `json:"killed_at_minute,omitempty"`
}

// Run parses args (the flags after "simulate"), builds a temporary database
// of members with random nudge times in many zones and runs the real scheduler
// and store over simulated days with a fake clock and a counting messenger,
// for capacity planning. It prints its report to stdout.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	members := fs.Int("members", 100_000, "subscribed members to simulate")
	days := fs.Int("days", 730, "simulated days (730 crosses every DST change twice)")
	downtime := fs.String("downtime", "", "START+DURATION with no ticks, START counted from the simulation start, e.g. 30h+3h")
	asJSON := fs.Bool("json", false, "print exactly one JSON object")
	startFlag := fs.String("start", "2025-03-08T00:00:00Z", "simulated start instant, RFC 3339 (the default crosses New York's spring-forward on day 2)")
	seed := fs.Uint64("seed", 1, "random seed for zones and nudge times")
	dir := fs.String("dir", "", "directory for the temporary database (default: the system's temp dir)")
	grace := fs.Duration("grace", schedule.DefaultGrace, "how late a nudge may still be sent after downtime")
	dbFlag := fs.String("db", "", "a postgres:// URL to simulate on PostgreSQL (in a scratch schema, dropped afterwards); default a temporary bbolt file")
	procs := fs.Int("processes", 1, "schedulers sharing the database, each with its own connection pool (PostgreSQL only); they run in this one OS process on the shared fake clock")
	killAt := fs.Duration("kill-at", 0, "kill the first scheduler this long after the start, in the middle of sending a batch (with --processes > 1)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: studybot simulate [--members N] [--days D] [--downtime START+DURATION] [--json]

Builds a temporary database of N members spread over `+strconv.Itoa(len(simZones))+` zones with random nudge
times, then runs the real scheduler and store over D days with a fake clock and a
counting messenger. It reports nudges sent, duplicates (a member nudged twice on one
local date), misses (a local date with a nudge due outside downtime and none sent),
tick latency (one tick: claim, commit and counted sends; the clock jumps over minutes
with nobody due), peak heap, database size and wall time.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("simulate: unexpected argument %q", fs.Arg(0))
	}
	if *procs < 1 || (*procs > 1 && !postgres.IsURL(*dbFlag)) {
		return errors.New("simulate: --processes above 1 needs --db postgres://...: a bbolt file has one process")
	}
	if *killAt > 0 && *procs < 2 {
		return errors.New("simulate: --kill-at needs --processes 2 or more, so that others go on")
	}
	if *dbFlag != "" && !postgres.IsURL(*dbFlag) {
		return errors.New("simulate: --db takes a postgres:// URL; the bbolt simulation uses a temporary file (--dir)")
	}
	if *members < 1 || *days < 1 {
		return errors.New("simulate: --members and --days must be at least 1")
	}
	start, err := time.Parse(time.RFC3339, *startFlag)
	if err != nil {
		return fmt.Errorf("simulate: --start: %w", err)
	}
	start = start.UTC().Truncate(time.Minute)
	sim := &simRun{
		members: *members, days: *days, seed: *seed, grace: *grace,
		start: start, end: start.Add(time.Duration(*days) * 24 * time.Hour),
		progress: stderr,
		dbURL:    *dbFlag, procs: *procs,
	}
	if *killAt > 0 {
		sim.killAt = start.Add(*killAt)
	}
	if *downtime != "" {
		if sim.downFrom, sim.downTo, err = parseDowntime(*downtime, start); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp(*dir, "studybot-simulate-")
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	defer os.RemoveAll(tmp)
	res, err := sim.run(ctx, filepath.Join(tmp, "simulate.db"))
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(res)
	}
	fmt.Fprintf(stdout, "members          %d\n", res.Members)
	fmt.Fprintf(stdout, "days             %d\n", res.Days)
	fmt.Fprintf(stdout, "nudges_sent      %d\n", res.NudgesSent)
	fmt.Fprintf(stdout, "duplicates       %d\n", res.Duplicates)
	fmt.Fprintf(stdout, "misses           %d\n", res.Misses)
	fmt.Fprintf(stdout, "tick_p50_us      %d\n", res.TickP50us)
	fmt.Fprintf(stdout, "tick_p99_us      %d\n", res.TickP99us)
	fmt.Fprintf(stdout, "tick_max_us      %d\n", res.TickMaxus)
	fmt.Fprintf(stdout, "peak_heap_bytes  %d (%.1f MB)\n", res.PeakHeapBytes, float64(res.PeakHeapBytes)/1e6)
	fmt.Fprintf(stdout, "db_bytes         %d (%.1f MB)\n", res.DBBytes, float64(res.DBBytes)/1e6)
	fmt.Fprintf(stdout, "wall_seconds     %.1f\n", res.WallSeconds)
	if res.Processes > 0 {
		fmt.Fprintf(stdout, "processes        %d\n", res.Processes)
	}
	if !sim.killAt.IsZero() {
		fmt.Fprintf(stdout, "killed_claimed_unsent %d (at minute %d)\n", res.KilledUnsent, res.KilledAtMinute)
	}
	return nil
}

// simParseDowntime reads START+DURATION: START is a duration from the start
// ("30h") or an RFC 3339 instant.
func parseDowntime(s string, start time.Time) (from, to time.Time, err error) {
	a, b, ok := strings.Cut(s, "+")
	if !ok {
		return from, to, fmt.Errorf("simulate: --downtime %q: want START+DURATION, such as 30h+3h", s)
	}
	if d, err := time.ParseDuration(a); err == nil {
		from = start.Add(d)
	} else if from, err = time.Parse(time.RFC3339, a); err != nil {
		return from, to, fmt.Errorf("simulate: --downtime start %q: want a duration from the start (30h) or an RFC 3339 time", a)
	}
	d, err := time.ParseDuration(b)
	if err != nil || d <= 0 {
		return from, to, fmt.Errorf("simulate: --downtime duration %q: want a positive duration such as 3h", b)
	}
	return from, from.Add(d), nil
}

// simRun is one simulation.
type simRun struct {
	members          int
	days             int
	seed             uint64
	grace            time.Duration
	start, end       time.Time
	downFrom, downTo time.Time // zero: no downtime
	progress         io.Writer
	dbURL            string    // postgres:// or "" for bbolt
	procs            int       // schedulers sharing the database
	killAt           time.Time // zero: nobody is killed

	clock bot.ManualClock
	// The schedulers, each with its store (pool) and context; a killed one
	// is cancelled and ticks no more.
	procStores []bot.Store
	scheds     []*schedule.Scheduler
	ctxs       []context.Context
	cancels    []context.CancelFunc
	dead       []bool
	killed     atomic.Bool
	killedTick schedule.TickStats
	killedMin  int64
	locs       []*time.Location
	// Per member (index = member number), kept in arrays, not maps: a million
	// members cost a few MB.
	zone      []uint8
	hm        []uint16 // hour*60 + minute
	oracle    *nudge.Oracle
	sent      atomic.Int64
	dups      int64
	misses    int64
	peakHeap  atomic.Uint64
	tickMicro []int64
}

func (r *simRun) run(ctx context.Context, path string) (*simResult, error) {
	began := time.Now()
	stopSampling := r.sampleHeap()
	defer stopSampling()

	r.clock.Set(r.start)
	for _, z := range simZones {
		loc, err := bot.LoadZone(z)
		if err != nil {
			return nil, err
		}
		r.locs = append(r.locs, loc)
	}
	var db bot.Store
	size := func() int64 {
		if fi, err := os.Stat(path); err == nil {
			return fi.Size()
		}
		return 0
	}
	if r.dbURL == "" {
		bdb, err := store.Open(path, store.Options{Clock: &r.clock, MaxBatchSize: 1000, MaxBatchDelay: 2 * time.Millisecond})
		if err != nil {
			return nil, err
		}
		defer bdb.Close()
		db = bdb
		r.procStores = []bot.Store{bdb}
	} else {
		// A scratch schema; each scheduler opens its own pool on it.
		schema := fmt.Sprintf("studybot_simulate_%d_%d", os.Getpid(), time.Now().UnixNano())
		for i := range r.procs {
			pdb, err := postgres.Open(ctx, r.dbURL, postgres.Options{Schema: schema, Clock: &r.clock, MaxConns: 8})
			if err != nil {
				return nil, err
			}
			if i == 0 {
				defer func() {
					pdb.DropSchema(context.Background(), schema)
					pdb.Close()
				}()
			} else {
				defer pdb.Close()
			}
			r.procStores = append(r.procStores, pdb)
		}
		db = r.procStores[0]
		size = func() int64 {
			n, _ := r.procStores[0].(*postgres.DB).SizeBytes(context.Background())
			return n
		}
	}
	if err := r.populate(ctx, db); err != nil {
		return nil, err
	}
	seeded := time.Since(began)
	fmt.Fprintf(r.progress, "simulate: seeded %d members in %.1fs; running %d days\n", r.members, seeded.Seconds(), r.days)

	log := slog.New(slog.DiscardHandler)
	for i, st := range r.procStores {
		eng := &bot.Engine{Store: st, Roadmap: roadmap.Default(), Clock: &r.clock, Log: log, Messenger: &simMessenger{r: r, proc: i}}
		r.scheds = append(r.scheds, schedule.New(schedule.Config{Grace: r.grace}, st, eng, &r.clock, log))
		pctx, cancel := context.WithCancel(ctx)
		r.ctxs, r.cancels, r.dead = append(r.ctxs, pctx), append(r.cancels, cancel), append(r.dead, false)
		defer cancel()
	}
	if err := r.tick(ctx, db); err != nil {
		return nil, err
	}
	r.dups, r.misses = r.oracle.Finish()

	res := &simResult{
		Members: r.members, Days: r.days,
		NudgesSent: r.sent.Load(), Duplicates: r.dups, Misses: r.misses,
	}
	if n := len(r.tickMicro); n > 0 {
		slices.Sort(r.tickMicro)
		res.TickP50us = r.tickMicro[n/2]
		res.TickP99us = r.tickMicro[min(n-1, n*99/100)]
		res.TickMaxus = r.tickMicro[n-1]
	}
	stopSampling()
	res.PeakHeapBytes = r.peakHeap.Load()
	res.DBBytes = size()
	if r.dbURL != "" {
		res.Processes = r.procs
	}
	if r.killed.Load() {
		res.KilledUnsent = int64(r.killedTick.Due - r.killedTick.Sent)
		res.KilledAtMinute = r.killedMin
	}
	res.WallSeconds = math.Round(time.Since(began).Seconds()*10) / 10
	return res, nil
}

// sampleHeap records the peak HeapAlloc every 20 ms until the returned stop is
// called (more than once is fine).
func (r *simRun) sampleHeap() (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		for {
			old := r.peakHeap.Load()
			if ms.HeapAlloc <= old || r.peakHeap.CompareAndSwap(old, ms.HeapAlloc) {
				return
			}
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-t.C:
			case <-done:
				sample()
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done); <-finished })
	}
}

// populate stores the members. The store has no bulk insert, so many goroutines
// call UpdateMember and bbolt's Batch folds their writes into shared commits.
func (r *simRun) populate(ctx context.Context, db bot.Store) error {
	rng := rand.New(rand.NewPCG(r.seed, 0x5eed))
	r.zone = make([]uint8, r.members)
	r.hm = make([]uint16, r.members)
	r.oracle = nudge.NewOracle(r.end, r.downFrom, r.downTo)
	for i := range r.members {
		r.zone[i] = uint8(rng.IntN(len(simZones)))
		if rng.IntN(10) < 4 {
			// Popular round times make hot minutes.
			r.hm[i] = uint16(rng.IntN(24)*60 + 30*rng.IntN(2))
		} else {
			r.hm[i] = uint16(rng.IntN(24 * 60))
		}
		s := r.slot(i)
		r.oracle.Add(s, s.NextAfter(r.start, ""))
	}
	const workers = 1024
	var (
		next     atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= r.members || ctx.Err() != nil {
					return
				}
				s := r.slot(i)
				n := bot.Nudge{On: true, Hour: s.Hour, Minute: s.Minute, Zone: s.Zone, Next: s.NextAfter(r.start, "")}
				_, err := db.UpdateMember(ctx, simSpace, simID(i), func(m *bot.Member) error {
					m.Name = simID(i)
					m.Seen = r.start
					m.Nudge = n
					return nil
				})
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("seed member %d: %w", i, err); cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// tick runs the scheduler minute by minute from start to end as cron would,
// jumping over minutes in which nobody is due, and not at all during downtime.
func (r *simRun) tick(ctx context.Context, db bot.Store) error {
	r.tickMicro = make([]int64, 0, r.days*1440)
	report := r.start
	for {
		next, err := db.NextDue(ctx)
		if err != nil {
			return err
		}
		if next.IsZero() || next.After(r.end) {
			return nil
		}
		at := simCeilMinute(next)
		if now := r.clock.Now(); at.Before(now) {
			at = simCeilMinute(now)
		}
		if !r.downFrom.IsZero() && !at.Before(r.downFrom) && at.Before(r.downTo) {
			at = simCeilMinute(r.downTo)
		}
		if at.After(r.end) {
			return nil
		}
		r.clock.Set(at)
		t0 := time.Now()
		if err := r.tickAll(ctx); err != nil {
			return err
		}
		r.tickMicro = append(r.tickMicro, time.Since(t0).Microseconds())
		if at.Sub(report) >= 30*24*time.Hour {
			report = at
			fmt.Fprintf(r.progress, "simulate: day %d of %d, %d nudges\n", int(at.Sub(r.start).Hours()/24), r.days, r.sent.Load())
		}
	}
}

// tickAll runs one minute's tick in every live scheduler at once, as
// several processes on one database would.
func (r *simRun) tickAll(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(r.scheds))
	for i, s := range r.scheds {
		if r.dead[i] {
			continue
		}
		wg.Go(func() {
			st, err := s.Tick(r.ctxs[i])
			if r.ctxs[i].Err() != nil && i == 0 && r.killed.Load() {
				r.killedTick = st // killed partway: what it claimed and did not send is lost
				return
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if r.killed.Load() && !r.dead[0] {
		r.dead[0] = true
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// slot is member i's nudge slot.
func (r *simRun) slot(i int) nudge.Slot {
	return nudge.Slot{Hour: int(r.hm[i] / 60), Minute: int(r.hm[i] % 60), Zone: simZones[r.zone[i]]}
}

// simMessenger hands every nudge to the oracle (bot/nudge), which counts a
// second nudge on a member's local date as a duplicate and a local date
// skipped outside downtime as a miss.
type simMessenger struct {
	r    *simRun
	proc int // which scheduler sends through it
}

func (m *simMessenger) Direct(ctx context.Context, sp bot.Space, member string, _ *bot.Reply) error {
	r := m.r
	if m.proc == 0 && !r.killAt.IsZero() && !r.clock.Now().Before(r.killAt) && r.killed.CompareAndSwap(false, true) {
		// Kill the first scheduler in the middle of a batch it claimed: its
		// context ends here, so the rest of its batch is never sent.
		r.killedMin = int64(r.clock.Now().Sub(r.start) / time.Minute)
		r.cancels[0]()
		return ctx.Err()
	}
	i, err := strconv.Atoi(strings.TrimPrefix(member, "m"))
	if err != nil || i < 0 || i >= r.members {
		return bot.Errorf(bot.NotFound, "No simulated member %q.", member)
	}
	r.oracle.Sent(i, r.clock.Now())
	r.sent.Add(1)
	return nil
}

func (m *simMessenger) Post(ctx context.Context, sp bot.Space, channel string, _ *bot.Reply) error {
	return nil
}

func simCeilMinute(t time.Time) time.Time {
	if c := t.Truncate(time.Minute); !c.Equal(t) {
		return c.Add(time.Minute)
	}
	return t
}

func simID(i int) string { return fmt.Sprintf("m%07d", i) }

var _ bot.Messenger = (*simMessenger)(nil)
