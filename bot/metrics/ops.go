package metrics

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/studybot/studybot/bot"
)

// The operations families: build info, challenge posts, adapter connections
// and the database. Each is on /metrics from the first scrape, zero where
// nothing happened yet, so an alert on a rate or an absent series works
// before the first event.

// DBStats is what the metrics show of the database; cmd/studybot fills it
// from the store, so this package needs no store import.
type DBStats struct {
	SizeBytes     int64         // file size as the last commit left it
	FreeBytes     int64         // bytes in free pages (what a compacting backup gives back)
	OpenReads     int           // read transactions open now
	Reads         int           // read transactions started since the start
	CommitTime    time.Duration // time commits spent since the start
	CommitWrites  int64         // page writes by commits since the start
	ReadOpenClose time.Duration // how long one read transaction took to open and close, measured at scrape

	// The store's bounded caches of decoded members, by name: "brief"
	// (group and leaderboard read it) and "member" (commands). None on a
	// store without them.
	Caches []CacheStats
}

// CacheStats are one cache's counters, all zero when it is off. Hit rate
// is hits/(hits+misses).
type CacheStats struct {
	Name                    string
	Hits, Misses, Evictions uint64
	Entries                 int
	Bytes, MaxBytes         int64
}

var (
	descBuild = prometheus.NewDesc("studybot_build_info",
		"The running build: always 1, with the version and commit as labels.",
		[]string{"version", "commit", "go_version"}, nil)
	descConnected = prometheus.NewDesc("studybot_adapter_connected",
		"1 while the adapter is connected to its platform (gateway, Socket Mode) or serving (HTTP mode), else 0.",
		[]string{"adapter"}, nil)
	descReconnects = prometheus.NewDesc("studybot_adapter_reconnects_total",
		"Times the adapter connected again after its first connection (resumes included).",
		[]string{"adapter"}, nil)
	descSince = prometheus.NewDesc("studybot_adapter_state_since_seconds",
		"Unix time of the adapter's last connect or disconnect; 0 before the first. Alert on time() minus this while connected is 0.",
		[]string{"adapter"}, nil)
	descDBSize = prometheus.NewDesc("studybot_db_size_bytes",
		"Size of the bbolt file; the process maps all of it, so size memory limits above it.", nil, nil)
	descDBFree = prometheus.NewDesc("studybot_db_free_bytes",
		"Bytes in free pages of the bbolt file, which a compacting backup would give back.", nil, nil)
	descDBOpenReads = prometheus.NewDesc("studybot_db_open_read_transactions",
		"Read transactions open now; one that stays open keeps the file from reusing pages.", nil, nil)
	descDBReads = prometheus.NewDesc("studybot_db_read_transactions_total",
		"Read transactions started since the start.", nil, nil)
	descDBCommit = prometheus.NewDesc("studybot_db_commit_seconds_total",
		"Time write transactions spent committing (rebalance, spill, write) since the start.", nil, nil)
	descDBWrites = prometheus.NewDesc("studybot_db_commit_writes_total",
		"Page writes made by commits since the start.", nil, nil)
	descDBTx = prometheus.NewDesc("studybot_db_read_transaction_seconds",
		"Time one read transaction took to open and close at this scrape: high when a commit growing the file holds readers out.", nil, nil)
	descCacheHits = prometheus.NewDesc("studybot_member_cache_hits_total",
		"Member reads answered from one of the store's caches of decoded members: cache=\"brief\" for group and leaderboard, cache=\"member\" for commands.", []string{"cache"}, nil)
	descCacheMisses = prometheus.NewDesc("studybot_member_cache_misses_total",
		"Member reads that had to decode the stored record, by cache.", []string{"cache"}, nil)
	descCacheEvictions = prometheus.NewDesc("studybot_member_cache_evictions_total",
		"Decoded members dropped from a cache to keep it within its bound.", []string{"cache"}, nil)
	descCacheEntries = prometheus.NewDesc("studybot_member_cache_entries",
		"Entries in a cache of decoded members now.", []string{"cache"}, nil)
	descCacheBytes = prometheus.NewDesc("studybot_member_cache_bytes",
		"Estimated size of a cache of decoded members now, and its bound as max=\"1\".", []string{"cache", "max"}, nil)
	descDBUp = prometheus.NewDesc("studybot_db_up",
		"1 when the database answered this scrape's read transaction, else 0.", nil, nil)
)

// ops collects the families that are read at scrape time.
type ops struct {
	mu       sync.Mutex
	version  string
	commit   string
	adapters []adapterStatus
	shards   []shardSource // shards.go
	db       func() (DBStats, error)
}

type adapterStatus struct {
	name   string
	status func() bot.ConnStatus
}

func (o *ops) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBuild, descConnected, descReconnects, descSince,
		descDBSize, descDBFree, descDBOpenReads, descDBReads, descDBCommit, descDBWrites, descDBTx, descDBUp,
		descCacheHits, descCacheMisses, descCacheEvictions, descCacheEntries, descCacheBytes,
		descShardState, descShardReconnects, descShardSince} {
		ch <- d
	}
}

func (o *ops) Collect(ch chan<- prometheus.Metric) {
	o.mu.Lock()
	version, commit, adapters, shards, db := o.version, o.commit, o.adapters, o.shards, o.db
	o.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, version, commit, runtime.Version())
	for _, a := range adapters {
		s := a.status()
		up, since := 0.0, 0.0
		if s.Connected {
			up = 1
		}
		if !s.Since.IsZero() {
			since = float64(s.Since.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(descConnected, prometheus.GaugeValue, up, a.name)
		ch <- prometheus.MustNewConstMetric(descReconnects, prometheus.CounterValue, float64(s.Reconnects), a.name)
		ch <- prometheus.MustNewConstMetric(descSince, prometheus.GaugeValue, since, a.name)
	}
	for _, s := range shards {
		s.collect(ch)
	}
	if db == nil {
		return
	}
	s, err := db()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descDBUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descDBUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descDBSize, prometheus.GaugeValue, float64(s.SizeBytes))
	ch <- prometheus.MustNewConstMetric(descDBFree, prometheus.GaugeValue, float64(s.FreeBytes))
	ch <- prometheus.MustNewConstMetric(descDBOpenReads, prometheus.GaugeValue, float64(s.OpenReads))
	ch <- prometheus.MustNewConstMetric(descDBReads, prometheus.CounterValue, float64(s.Reads))
	ch <- prometheus.MustNewConstMetric(descDBCommit, prometheus.CounterValue, s.CommitTime.Seconds())
	ch <- prometheus.MustNewConstMetric(descDBWrites, prometheus.CounterValue, float64(s.CommitWrites))
	ch <- prometheus.MustNewConstMetric(descDBTx, prometheus.GaugeValue, s.ReadOpenClose.Seconds())
	for _, c := range s.Caches {
		ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(c.Hits), c.Name)
		ch <- prometheus.MustNewConstMetric(descCacheMisses, prometheus.CounterValue, float64(c.Misses), c.Name)
		ch <- prometheus.MustNewConstMetric(descCacheEvictions, prometheus.CounterValue, float64(c.Evictions), c.Name)
		ch <- prometheus.MustNewConstMetric(descCacheEntries, prometheus.GaugeValue, float64(c.Entries), c.Name)
		ch <- prometheus.MustNewConstMetric(descCacheBytes, prometheus.GaugeValue, float64(c.Bytes), c.Name, "0")
		ch <- prometheus.MustNewConstMetric(descCacheBytes, prometheus.GaugeValue, float64(c.MaxBytes), c.Name, "1")
	}
}

// SetBuild labels studybot_build_info; until called they are "unknown".
func (m *Metrics) SetBuild(version, commit string) {
	m.ops.mu.Lock()
	defer m.ops.mu.Unlock()
	m.ops.version, m.ops.commit = version, commit
}

// Adapter adds an adapter's connection to the studybot_adapter_* families;
// status is called at each scrape.
func (m *Metrics) Adapter(name string, status func() bot.ConnStatus) {
	m.ops.mu.Lock()
	defer m.ops.mu.Unlock()
	m.ops.adapters = append(m.ops.adapters, adapterStatus{name, status})
}

// Database makes the studybot_db_* families read stats at each scrape.
func (m *Metrics) Database(stats func() (DBStats, error)) {
	m.ops.mu.Lock()
	defer m.ops.mu.Unlock()
	m.ops.db = stats
}

// CountPosts wraps the Messenger the engine posts challenges through, so
// studybot_challenge_posts_total counts each post by outcome. Direct (nudges)
// passes through uncounted: the nudge families count those.
func (m *Metrics) CountPosts(next bot.Messenger) bot.Messenger {
	return postCounter{next: next, posts: m.posts}
}

type postCounter struct {
	next  bot.Messenger
	posts *prometheus.CounterVec
}

func (p postCounter) Direct(ctx context.Context, sp bot.Space, member string, r *bot.Reply) error {
	return p.next.Direct(ctx, sp, member, r)
}

func (p postCounter) Post(ctx context.Context, sp bot.Space, channel string, r *bot.Reply) error {
	err := p.next.Post(ctx, sp, channel, r)
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	p.posts.WithLabelValues(string(sp.Platform), outcome).Inc()
	return err
}
