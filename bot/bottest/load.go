package bottest

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
	"github.com/studybot/studybot/store"
)

// The load harness of the adapters' signed-HTTP benchmarks (issue 13): the
// closed-loop comparison with a stand-in bot and the open-loop latency run.
// Each adapter builds and signs its own requests and says how one is sent
// and what counts as answered; the harness drives, times and reports them,
// so both adapters report the same metrics the same way.
// LoadMix is the command mix of issue 13's acceptance, drawn uniformly:
// next 40%, progress 20%, done 20%, topic 20%.
var LoadMix = []string{"next", "next", "progress", "done", "topic"}

const (
	LoadConc    = 64   // closed-loop clients in flight
	LoadRound   = 2000 // requests of one closed-loop round
	LoadRate    = 2000 // open loop: commands offered per second
	LoadSeconds = 3    // open loop: seconds offered, after the warm-up
	LoadMembers = 1000 // members of the one space a load benchmark serves
)

// LoadSend sends request i of the current round with c and reports whether
// it was answered as it should be; anything else counts as an error.
type LoadSend func(c *http.Client, i int) bool

// LoadClient is a client keeping up to conc connections to one host.
func LoadClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: conc, MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}, Timeout: 30 * time.Second}
}

// closedLoop sends requests 0..n-1 with conc clients, each sending its next
// request as soon as the previous one is answered; it returns the wall time
// and the number of errors.
func closedLoop(c *http.Client, n, conc int, send LoadSend) (time.Duration, int64) {
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if !send(c, i) {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), errs.Load()
}

// LoadClosed is closed-loop throughput: b.N times 3 rounds of LoadRound
// requests, each sent by LoadConc clients through the real handler and
// through the stand-in bot (floor), interleaved, the order swapped every
// round. round prepares requests n0..n0+count-1 with the clock stopped (so
// the client's signing does not eat the cores the server has) and returns
// how each is sent to the real bot and to the floor. It reports commands/s
// of each and their ratio (target: at least 0.6), the errors, and the CPU
// time per command of each, client included.
func LoadClosed(b *testing.B, round func(n0, count int) (real, floor LoadSend)) {
	b.Helper()
	c := LoadClient(LoadConc)
	var realT, floorT, realCPU, floorCPU time.Duration
	var errs int64
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range 3 {
			b.StopTimer()
			real, floor := round(n, LoadRound) // fresh requests: no replays
			n += LoadRound
			b.StartTimer()
			runReal := func() {
				cpu := CPUTime()
				d, x := closedLoop(c, LoadRound, LoadConc, real)
				realT, realCPU, errs = realT+d, realCPU+CPUTime()-cpu, errs+x
			}
			runFloor := func() {
				cpu := CPUTime()
				d, x := closedLoop(c, LoadRound, LoadConc, floor)
				floorT, floorCPU, errs = floorT+d, floorCPU+CPUTime()-cpu, errs+x
			}
			if (i+k)%2 == 0 {
				runReal()
				runFloor()
			} else {
				runFloor()
				runReal()
			}
		}
	}
	b.StopTimer()
	total := float64(b.N * 3 * LoadRound)
	realRate, floorRate := total/realT.Seconds(), total/floorT.Seconds()
	b.ReportMetric(realRate, "cmds/s")
	b.ReportMetric(floorRate, "floor-cmds/s")
	b.ReportMetric(realRate/floorRate, "ratio")
	b.ReportMetric(float64(errs), "errors")
	// CPU time per command, client included, of each: on a machine shared
	// with other work, their ratio is steadier than the wall-clock one.
	if realCPU > 0 {
		b.ReportMetric(float64(realCPU.Microseconds())/total, "cpu-µs/cmd")
		b.ReportMetric(float64(floorCPU.Microseconds())/total, "floor-cpu-µs/cmd")
		b.ReportMetric(float64(floorCPU)/float64(realCPU), "cpu-ratio")
	}
}

// LoadOpen offers LoadRate commands/s for LoadSeconds, each request sent at
// its due time whatever the earlier ones are doing (open loop), and reports
// the p50, p99 and max of the time from a request's due time to its answer
// (so a server falling behind shows), and the errors (target: p99 at most
// 50 ms, no errors). The first half second warms connections and caches
// and is not counted. prepare builds requests n0..n0+count-1 with the clock
// stopped and returns how each is sent.
func LoadOpen(b *testing.B, prepare func(n0, count int) LoadSend) {
	b.Helper()
	c := LoadClient(1024)
	var all []time.Duration
	var errs atomic.Int64
	n := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		warm := LoadRate / 2
		count := warm + LoadRate*LoadSeconds
		send := prepare(n, count)
		n += count
		b.StartTimer()
		lat := make([]time.Duration, count)
		var wg sync.WaitGroup
		start := time.Now()
		interval := time.Second / LoadRate
		for j := range count {
			due := start.Add(time.Duration(j) * interval)
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			wg.Go(func() {
				if !send(c, j) && j >= warm {
					errs.Add(1)
				}
				lat[j] = time.Since(due)
			})
		}
		wg.Wait()
		all = append(all, lat[warm:]...)
	}
	b.StopTimer()
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(errs.Load()), "errors")
	b.ReportMetric(LoadRate, "offered-cmds/s")
}

// LoadSpace is the space a load benchmark's engine holds: Members members
// of Space, member i with the id and name Member gives, each having run
// next in Channel. Wire wires the engine as cmd/studybot does (card
// renderer, metrics observer) before the members are added.
type LoadSpace struct {
	Space   bot.Space
	Channel string
	Members int
	Member  func(i int) (id, name string)
	Wire    func(*bot.Engine)
}

// LoadEngine is the engine of a load benchmark, on a real bbolt file in a
// temp dir, with its clock, store and the ids of its roadmap's topics.
type LoadEngine struct {
	Engine *bot.Engine
	Clock  *Clock
	DB     *store.DB
	Topics []string
}

// Engine returns the engine holding s, closed when b ends.
func (s LoadSpace) Engine(b *testing.B) *LoadEngine {
	b.Helper()
	clock := NewClock(Start)
	db, err := store.Open(filepath.Join(b.TempDir(), "studybot.db"), store.Options{Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rm := roadmap.Default()
	eng := &bot.Engine{Store: db, Roadmap: rm, Clock: clock, Log: slog.New(slog.DiscardHandler), Messenger: &Messenger{}}
	if s.Wire != nil {
		s.Wire(eng)
	}
	for i := range s.Members {
		id, name := s.Member(i)
		if _, err := eng.Handle(context.Background(), &bot.Request{Space: s.Space, Member: id, Name: name, Channel: s.Channel, Command: "next", Args: map[string]string{}}); err != nil {
			b.Fatal(err)
		}
	}
	var topics []string
	for _, t := range rm.Topics() {
		topics = append(topics, t.ID)
	}
	return &LoadEngine{Engine: eng, Clock: clock, DB: db, Topics: topics}
}
