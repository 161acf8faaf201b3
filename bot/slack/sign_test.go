package slack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
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

// TestReadBodyMatchesReadAll holds readBody to io.ReadAll whatever the size
// given, right or wrong, and however the reader splits its reads or fails.
func TestReadBodyMatchesReadAll(t *testing.T) {
	errBroken := errors.New("broken")
	for _, n := range []int{0, 1, 511, 512, 513, 3000, maxBody} {
		data := bytes.Repeat([]byte("ab%"), n/3+1)[:n]
		readers := map[string]func() io.Reader{
			"plain":   func() io.Reader { return bytes.NewReader(data) },
			"onebyte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
			"half":    func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
			"dataerr": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
			"fails":   func() io.Reader { return io.MultiReader(bytes.NewReader(data), iotest.ErrReader(errBroken)) },
			"limited": func() io.Reader {
				return http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(bytes.NewReader(data)), int64(n/2))
			},
		}
		for name, reader := range readers {
			want, werr := io.ReadAll(reader())
			for _, size := range []int64{-1, 0, 1, int64(n) - 1, int64(n), int64(n) + 1, 2 * int64(n), maxBody + 1} {
				got, err := readBody(reader(), size)
				if !bytes.Equal(got, want) || fmt.Sprint(err) != fmt.Sprint(werr) {
					t.Fatalf("%s, %d bytes, size %d: %d bytes, %v; io.ReadAll %d bytes, %v", name, n, size, len(got), err, len(want), werr)
				}
			}
		}
	}
}
