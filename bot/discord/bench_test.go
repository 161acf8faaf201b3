package discord

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/studybot/studybot/bot/bottest"
)

// BenchmarkHTTPInteraction measures receive-to-response latency of signed
// /study next interactions in http mode over loopback, through the real engine
// on an in-memory store: the client-side round trip of each request, which
// bounds the time from Discord's POST arriving to our answer. It reports the
// median and p99; run with -benchtime=1000x for 1,000 requests.
func BenchmarkHTTPInteraction(b *testing.B) {
	s := newSigner(b)
	bt := newTestBot(b, Config{Mode: ModeHTTP, PublicKey: s.hexKey()})
	clock := bt.clock.(*bottest.Clock)
	srv := httptest.NewServer(bt.Handler())
	defer srv.Close()
	client := srv.Client()
	body := fixture(b, "study_next")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A fresh interaction id each time: the same id would be a replay.
		req := s.request(srv.URL, bytes.Replace(body, []byte(`"id": "1001"`), []byte(`"id": "`+strconv.Itoa(100000+i)+`"`), 1), clock.Now())
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
		if resp.StatusCode != http.StatusOK || !bytes.Contains(buf.Bytes(), []byte(`"type":4`)) {
			b.Fatalf("answer %d %s", resp.StatusCode, buf.Bytes())
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds()), "p99-µs")
}
