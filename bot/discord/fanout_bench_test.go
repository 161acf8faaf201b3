package discord

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// benchRate is the configured send rate of BenchmarkFanout429: high enough
// to fan out thousands of DMs in a benchmark, low enough that 2 shared cores
// keep up, so the figure measures rate limiting and not the CPU.
const benchRate = 500

// limitedDiscord is a lean local Discord for fan-out benchmarks: every DM
// channel answers 200 with Discord's rate-limit headers (5 per 5 s per
// channel, as Discord gives DM channels), except the channel hot, which
// answers every request with a route (not global) 429.
func limitedDiscord(tb testing.TB, hot string) (url string, limited *atomic.Int64) {
	limited = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if hot != "" && strings.HasPrefix(r.URL.Path, "/api/v10/channels/"+hot+"/") {
			limited.Add(1)
			w.Header().Set("X-RateLimit-Bucket", "dm")
			w.Header().Set("X-RateLimit-Scope", "user")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message":"You are being rate limited.","retry_after":0.05,"global":false}`)
			return
		}
		w.Header().Set("X-RateLimit-Bucket", "dm")
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "4")
		w.Header().Set("X-RateLimit-Reset-After", "5")
		io.WriteString(w, `{"id":"1"}`)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/api/v10", limited
}

// BenchmarkFanout429 sends benchFanoutDMs direct messages to distinct
// members (channels stored, so one request each) from 32 concurrent senders
// at benchRate per second, while one more sender keeps nudging a member
// whose DM channel answers every request with a route 429. It reports the
// rate the other routes achieved as a share of the configured rate; the
// floor sub-benchmark is the same fan-out with no 429 route, in the same run.
// Run with -benchtime=1x: one iteration is one fan-out.
func BenchmarkFanout429(b *testing.B) {
	b.Run("floor", func(b *testing.B) { benchFanout(b, false) })
	b.Run("one-route-429", func(b *testing.B) { benchFanout(b, true) })
}

const benchFanoutDMs = 2000

func benchFanout(b *testing.B, hot bool) {
	hotChannel := ""
	if hot {
		hotChannel = "666"
	}
	url, limited := limitedDiscord(b, hotChannel)
	dms := newMemDMs()
	for i := range benchFanoutDMs {
		dms.SetDMChannel(context.Background(), guild111, fmt.Sprint(100000+i), fmt.Sprint(900000+i))
	}
	dms.SetDMChannel(context.Background(), guild111, "666666", "666")
	bt := newBotAt(b, url, dms, nil)
	bt.pace = newPacer(benchRate)
	reply := &bot.Reply{Title: "Time to study: DNS", Text: []string{"The next topic on your roadmap."}}
	var share float64
	for range b.N {
		var next atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var hotFailed atomic.Int64
		if hot {
			go func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if bot.RateLimited(bt.Direct(context.Background(), guild111, "666666", reply)) {
						hotFailed.Add(1)
					}
				}
			}()
		}
		start := time.Now()
		for range 32 {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= benchFanoutDMs {
						return
					}
					if err := bt.Direct(context.Background(), guild111, fmt.Sprint(100000+i), reply); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		close(stop)
		share = float64(benchFanoutDMs) / took.Seconds() / benchRate * 100
		b.ReportMetric(float64(benchFanoutDMs)/took.Seconds(), "other-routes-msg/s")
	}
	b.ReportMetric(share, "%-of-configured")
	b.ReportMetric(benchRate, "configured-msg/s")
	if hot {
		if limited.Load() == 0 {
			b.Fatal("the hot route was never rate limited")
		}
		b.ReportMetric(float64(limited.Load())/float64(b.N), "429s")
	}
}
