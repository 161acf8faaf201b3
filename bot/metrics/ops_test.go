package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/studybot/studybot/bot"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 {
		t.Fatalf("/metrics answered %d: %s", rec.Code, body)
	}
	return string(body)
}

// opsFamilies are the families this package promises from the first scrape.
var opsFamilies = []string{
	"studybot_commands_total", "studybot_command_seconds", "studybot_challenge_posts_total",
	"studybot_adapter_connected", "studybot_adapter_reconnects_total", "studybot_adapter_state_since_seconds",
	"studybot_db_up", "studybot_db_size_bytes", "studybot_db_free_bytes", "studybot_db_open_read_transactions",
	"studybot_db_read_transactions_total", "studybot_db_commit_seconds_total", "studybot_db_commit_writes_total",
	"studybot_db_read_transaction_seconds", "studybot_build_info",
	"studybot_member_cache_hits_total", "studybot_member_cache_misses_total", "studybot_member_cache_evictions_total",
	"studybot_member_cache_entries", "studybot_member_cache_bytes",
}

// TestEveryFamilyBeforeAnyEvent: a scrape before any command, post or
// connection shows every family with a sample, so alerts have series to
// read from the start.
func TestEveryFamilyBeforeAnyEvent(t *testing.T) {
	m := New()
	m.SetBuild("v1.2.3", "abc1234")
	var conn bot.Connection
	m.Adapter("discord", conn.Status)
	m.Database(func() (DBStats, error) {
		return DBStats{SizeBytes: 32768, ReadOpenClose: time.Microsecond, Caches: []CacheStats{{Name: "brief"}, {Name: "member"}}}, nil
	})
	body := scrape(t, m)
	for _, f := range opsFamilies {
		if !strings.Contains(body, "# TYPE "+f+" ") || !strings.Contains(body, "\n"+f) {
			t.Errorf("family %s missing or without a sample before any event", f)
		}
	}
	for _, want := range []string{
		`studybot_commands_total{code="ok",command="next"} 0`,
		`studybot_commands_total{code="internal",command="challenge post"} 0`,
		`studybot_commands_total{code="ok",command="unknown"} 0`,
		`studybot_command_seconds_count{command="progress"} 0`,
		`studybot_challenge_posts_total{outcome="failed",platform="slack"} 0`,
		`studybot_adapter_connected{adapter="discord"} 0`,
		`studybot_adapter_reconnects_total{adapter="discord"} 0`,
		`studybot_db_size_bytes 32768`,
		`studybot_db_up 1`,
		`studybot_build_info{commit="abc1234",go_version="go`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestAdapterAndPostFamiliesMove: the families follow what happens.
func TestAdapterAndPostFamiliesMove(t *testing.T) {
	m := New()
	var conn bot.Connection
	m.Adapter("slack", conn.Status)
	t0 := time.Unix(1767600000, 0)
	conn.Up(t0)
	conn.Down(t0.Add(time.Second), "closed")
	conn.Up(t0.Add(2 * time.Second))
	fail := errors.New("boom")
	ms := m.CountPosts(fakeMessenger{post: fail})
	ms.Post(context.Background(), bot.Space{Platform: bot.PlatformSlack, ID: "T1"}, "C1", &bot.Reply{})
	ms = m.CountPosts(fakeMessenger{})
	ms.Post(context.Background(), bot.Space{Platform: bot.PlatformSlack, ID: "T1"}, "C1", &bot.Reply{})
	ms.Post(context.Background(), bot.Space{Platform: bot.PlatformSlack, ID: "T1"}, "C1", &bot.Reply{})
	if err := ms.Direct(context.Background(), bot.Space{Platform: bot.PlatformSlack, ID: "T1"}, "U1", &bot.Reply{}); err != nil {
		t.Errorf("Direct through the counter: %v", err)
	}
	m.Database(func() (DBStats, error) { return DBStats{}, errors.New("database not open") })
	body := scrape(t, m)
	for _, want := range []string{
		`studybot_adapter_connected{adapter="slack"} 1`,
		`studybot_adapter_reconnects_total{adapter="slack"} 1`,
		`studybot_adapter_state_since_seconds{adapter="slack"} 1.767600002e+09`,
		`studybot_challenge_posts_total{outcome="ok",platform="slack"} 2`,
		`studybot_challenge_posts_total{outcome="failed",platform="slack"} 1`,
		`studybot_db_up 0`,
		`studybot_build_info{commit="unknown"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

type fakeMessenger struct{ post error }

func (f fakeMessenger) Direct(context.Context, bot.Space, string, *bot.Reply) error { return nil }
func (f fakeMessenger) Post(context.Context, bot.Space, string, *bot.Reply) error   { return f.post }

// BenchmarkScrape is one /metrics scrape with every command's series
// pre-created, two adapters and the database families (studybot), beside a
// registry of only the Go and process collectors (floor): the difference is
// what the zero-valued series cost each scrape.
func BenchmarkScrape(b *testing.B) {
	m := New()
	var d, s bot.Connection
	m.Adapter("discord", d.Status)
	m.Adapter("slack", s.Status)
	m.Database(func() (DBStats, error) { return DBStats{SizeBytes: 1 << 20}, nil })
	floor := prometheus.NewRegistry()
	floor.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"studybot", m.Handler()}, {"floor", promhttp.HandlerFor(floor, promhttp.HandlerOpts{})}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/metrics", nil)
			var size int
			for b.Loop() {
				rec := httptest.NewRecorder()
				bc.h.ServeHTTP(rec, req)
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/scrape")
		})
	}
}
