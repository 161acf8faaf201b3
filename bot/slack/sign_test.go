package slack

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// TestAppendSignatureMatchesSign holds appendSignature, whose HMACs are
// pooled and reused, to sign, which makes a new one each time: secrets
// alternate (a pooled HMAC of another secret must not be used), and
// several goroutines sign at once.
func TestAppendSignatureMatchesSign(t *testing.T) {
	secrets := []string{testSecret, exampleSecret, "", "k", strings.Repeat("long secret ", 20)}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range 2000 {
				secret := secrets[r.IntN(len(secrets))]
				ts := strings.Repeat("1", r.IntN(2)) + exampleTimestamp
				if i%500 == 0 {
					ts = strings.Repeat("9", 300) // a buffer too large to keep
				}
				body := make([]byte, r.IntN(300))
				for j := range body {
					body[j] = byte(r.IntN(256))
				}
				want := sign(secret, ts, body)
				if got := string(appendSignature([]byte("x"), secret, ts, body)); got != "x"+want {
					t.Errorf("appendSignature(%q, %q) = %q, want x%q", secret, ts, got, want)
					return
				}
				if secret == "" || ts != exampleTimestamp {
					continue
				}
				if err := verify(secret, ts, want, body, exampleNow); err != nil {
					t.Errorf("verify refuses sign's signature: %v", err)
					return
				}
				if err := verify(secret, ts, want[:len(want)-1]+"g", body, exampleNow); err != errBadSignature {
					t.Errorf("verify of a changed signature: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
