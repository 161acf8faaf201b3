package main

import (
	"runtime/debug"
	"time"

	"github.com/studybot/studybot/bot/metrics"
	"github.com/studybot/studybot/store"
)

// commit is set at build time with -ldflags "-X main.commit=..." (the
// Dockerfile's COMMIT build argument). The image is built without .git
// (.dockerignore), and .ci/run builds with -buildvcs=false, so the build
// info's vcs.revision is empty there and the flag is what tells.
var commit = ""

// buildVersion returns the version and commit: the -X values when set, else
// what the Go toolchain recorded (the module version for `go install`, the
// VCS revision for a build in a git checkout), else "dev" and "unknown".
func buildVersion() (ver, rev string) {
	ver, rev = version, commit
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ver, orUnknown(rev)
	}
	if ver == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		ver = info.Main.Version
	}
	if rev == "" {
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && dirty {
			rev += "-dirty"
		}
	}
	return ver, orUnknown(rev)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// dbStats adapts the store's figures to the metrics' shape and times one
// read transaction on the way (Stats opens one).
func dbStats(db *store.DB) func() (metrics.DBStats, error) {
	return func() (metrics.DBStats, error) {
		// Wall time on purpose: this measures the database, not the
		// domain, and an injected test clock would not move.
		start := time.Now()
		s, err := db.Stats()
		if err != nil {
			return metrics.DBStats{}, err
		}
		cache := func(name string, c store.CacheStats) metrics.CacheStats {
			return metrics.CacheStats{Name: name, Hits: c.Hits, Misses: c.Misses, Evictions: c.Evictions, Entries: c.Entries, Bytes: c.Bytes, MaxBytes: c.MaxBytes}
		}
		return metrics.DBStats{
			Caches:        []metrics.CacheStats{cache("brief", db.CacheStats()), cache("member", db.MemberCacheStats())},
			SizeBytes:     s.Size,
			FreeBytes:     s.FreeBytes,
			OpenReads:     s.OpenReads,
			Reads:         s.Reads,
			CommitTime:    s.CommitTime,
			CommitWrites:  s.CommitWrites,
			ReadOpenClose: time.Since(start),
		}, nil
	}
}
