package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
)

// simulateAny runs simulate --json and decodes whatever keys it prints.
func simulateAny(t *testing.T, args ...string) map[string]float64 {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), append([]string{"--json"}, args...), &stdout, &stderr); err != nil {
		t.Fatalf("simulate %v: %v\n%s", args, err, stderr.String())
	}
	var res map[string]float64
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSimulatePostgres runs three schedulers, each with its own pool, on one
// PostgreSQL database: every nudge once, none missed; killing one partway
// loses at most what it had claimed and not sent, and doubles nothing.
func TestSimulatePostgres(t *testing.T) {
	u := os.Getenv("STUDYBOT_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI needs STUDYBOT_TEST_DATABASE_URL")
		}
		t.Skip("set STUDYBOT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	res := simulateAny(t, "--db", u, "--processes", "3", "--members", "300", "--days", "2")
	if res["duplicates"] != 0 || res["misses"] != 0 || res["nudges_sent"] < 500 || res["processes"] != 3 {
		t.Errorf("three schedulers: %v", res)
	}
	res = simulateAny(t, "--db", u, "--processes", "3", "--members", "300", "--days", "2", "--kill-at", "20h")
	if res["duplicates"] != 0 || res["misses"] > res["killed_claimed_unsent"] || res["killed_claimed_unsent"] < 1 {
		t.Errorf("one killed: %v; want no duplicates and misses within its unsent claims", res)
	}
}
