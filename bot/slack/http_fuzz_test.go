package slack

import (
	"strconv"
	"testing"
	"time"
)

// FuzzVerify: Slack's request signature check. For any timestamp, signature
// and body it never panics, and it accepts exactly the requests whose
// signature is the HMAC of this secret over that timestamp and body, with
// the timestamp a Unix time within 5 minutes of the clock. Seeds: Slack's
// documented example, and testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1531420618, 0)
	body := []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
	f.Add("1531420618", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", body, int64(0))
	f.Add("1531420618", sign(testSecret, "1531420618", body), body, int64(0))
	f.Add("1531420318", sign(testSecret, "1531420318", body), body, int64(-301))
	f.Add("+1531420618", sign(testSecret, "+1531420618", body), body, int64(0))
	f.Add("", "", []byte{}, int64(0))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte, skew int64) {
		clock := now.Add(time.Duration(skew) * time.Second)
		err := verify(testSecret, ts, sig, body, clock)
		sec, perr := strconv.ParseInt(ts, 10, 64)
		d := clock.Sub(time.Unix(sec, 0)) // saturates far from the clock; no abs, which overflows there
		fresh := perr == nil && d <= signatureWindow && d >= -signatureWindow
		want := fresh && sig != "" && sig == sign(testSecret, ts, body)
		if (err == nil) != want {
			t.Fatalf("verify(ts %q, sig %q, %d bytes, clock %v) = %v; want accepted %v", ts, sig, len(body), clock, err, want)
		}
		// The right signature over the same request is accepted exactly when
		// the timestamp is fresh.
		if err := verify(testSecret, ts, sign(testSecret, ts, body), body, clock); (err == nil) != (fresh && ts != "") {
			t.Fatalf("a correct signature with ts %q at %v: %v, fresh %v", ts, clock, err, fresh)
		}
	})
}
