package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"
)

func simulateJSON(t *testing.T, args ...string) map[string]float64 {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"--json", "--dir", bottest.MemDir(t)}, args...)
	if err := Run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("simulate %v: %v\n%s", args, err, stderr.String())
	}
	dec := json.NewDecoder(&stdout)
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	if dec.More() {
		t.Errorf("more than one JSON value in %q", stdout.String())
	}
	keys := []string{"members", "days", "nudges_sent", "duplicates", "misses", "tick_p50_us", "tick_p99_us",
		"tick_max_us", "peak_heap_bytes", "db_bytes", "wall_seconds"}
	var got []string
	out := map[string]float64{}
	for k, v := range raw {
		got = append(got, k)
		var f float64
		if err := json.Unmarshal(v, &f); err != nil {
			t.Errorf("key %s: %s is not a number", k, v)
		}
		out[k] = f
	}
	slices.Sort(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("keys %v, want exactly %v", got, keys)
	}
	return out
}

func TestSimulate(t *testing.T) {
	// The default start crosses New York's spring-forward; 4 days from 2025-04-03
	// cross Santiago's and Lord Howe's fall-back and Chatham's.
	for _, start := range []string{"2025-03-08T00:00:00Z", "2025-04-03T00:00:00Z"} {
		r := simulateJSON(t, "--members", "300", "--days", "4", "--start", start)
		if r["members"] != 300 || r["days"] != 4 {
			t.Errorf("%s: members %v, days %v", start, r["members"], r["days"])
		}
		if r["duplicates"] != 0 || r["misses"] != 0 {
			t.Errorf("%s: %v duplicates, %v misses; want 0, 0", start, r["duplicates"], r["misses"])
		}
		// About one nudge per member per day; a DST change makes a day of 23 or
		// 25 hours, so a few members get one more or one fewer in 96 hours.
		if n := r["nudges_sent"]; n < 300*4-30 || n > 300*4+30 {
			t.Errorf("%s: %v nudges, want about 1,200", start, n)
		}
		if r["peak_heap_bytes"] <= 0 || r["db_bytes"] <= 0 || r["tick_max_us"] < r["tick_p50_us"] {
			t.Errorf("%s: implausible measurements %v", start, r)
		}
	}
}

// Downtime: nudges due during it are skipped (longer than grace) or sent late
// (shorter), neither counts as a miss, and none is doubled.
func TestSimulateDowntime(t *testing.T) {
	full := simulateJSON(t, "--members", "300", "--days", "3")
	short := simulateJSON(t, "--members", "300", "--days", "3", "--downtime", "30h+90m")
	long := simulateJSON(t, "--members", "300", "--days", "3", "--downtime", "30h+10h")
	for name, r := range map[string]map[string]float64{"short": short, "long": long} {
		if r["duplicates"] != 0 || r["misses"] != 0 {
			t.Errorf("%s downtime: %v duplicates, %v misses; want 0, 0", name, r["duplicates"], r["misses"])
		}
	}
	if short["nudges_sent"] != full["nudges_sent"] {
		t.Errorf("downtime shorter than grace: %v nudges, want all %v (sent late)", short["nudges_sent"], full["nudges_sent"])
	}
	if long["nudges_sent"] >= full["nudges_sent"] {
		t.Errorf("downtime longer than grace: %v nudges, want fewer than %v", long["nudges_sent"], full["nudges_sent"])
	}
}

func TestSimulateText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"--members", "50", "--days", "1", "--dir", bottest.MemDir(t)}, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"members", "nudges_sent", "duplicates", "misses", "tick_p99_us", "peak_heap_bytes", "wall_seconds"} {
		if !strings.Contains(stdout.String(), k) {
			t.Errorf("output lacks %s:\n%s", k, stdout.String())
		}
	}
}

func TestSimulateBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--members", "0"},
		{"--days", "-1"},
		{"--downtime", "3h"},
		{"--downtime", "x+3h"},
		{"--downtime", "3h+0s"},
		{"--start", "yesterday"},
		{"extra"},
		{"--processes", "2"},
		{"--db", "some.db"},
		{"--db", "postgres://x/y", "--kill-at", "1h"},
	} {
		var stdout, stderr bytes.Buffer
		if err := Run(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("simulate %v: no error", args)
		}
	}
}

func TestSimParseDowntime(t *testing.T) {
	start := time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)
	from, to, err := parseDowntime("30h+3h", start)
	if err != nil || !from.Equal(start.Add(30*time.Hour)) || !to.Equal(start.Add(33*time.Hour)) {
		t.Errorf("30h+3h: %s..%s, %v", from, to, err)
	}
	from, to, err = parseDowntime("2025-03-09T06:00:00Z+90m", start)
	if err != nil || !from.Equal(time.Date(2025, 3, 9, 6, 0, 0, 0, time.UTC)) || to.Sub(from) != 90*time.Minute {
		t.Errorf("RFC 3339 start: %s..%s, %v", from, to, err)
	}
}
