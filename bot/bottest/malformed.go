package bottest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Fault is what is wrong with a bad request's signature headers.
type Fault int

// Header faults. The endpoint's test signs every request properly (over its
// body, at the clock's time) and then applies the fault.
const (
	FaultNone          Fault = iota
	MissingSignature         // no signature header
	MissingTimestamp         // no timestamp header
	DuplicateSignature       // the right signature and a wrong one
	DuplicateTimestamp       // the right timestamp and another
	WrongSignature           // a signature of another body
)

// Bad is one generated bad request.
type Bad struct {
	Kind        string
	Body        []byte
	ContentType string // "" sends none
	Fault       Fault
	// MustRefuse: the request is broken at the protocol level and must get
	// a 4xx. Otherwise it is well formed but odd (zero-width or
	// right-to-left characters in free text, a truncated form that still
	// parses): a 4xx or the platform's ordinary answer both pass, never a
	// 5xx or a panic.
	MustRefuse bool
}

// Spec describes an endpoint's good request for Malformed.
type Spec struct {
	Body        []byte // a good body
	ContentType string // its content type
	// Form: Body is application/x-www-form-urlencoded; JSONField, if set, is
	// the form field holding JSON (Slack's interactivity "payload"), which is
	// then what the JSON mutations change.
	Form      bool
	JSONField string
	// Typed are JSON paths (keys joined by dots, "*" for array elements)
	// whose values have a fixed type the endpoint decodes: another type
	// there must be refused. IDs are paths (or form keys) holding platform
	// ids: zero-width, right-to-left or invalid characters there must be
	// refused too.
	Typed, IDs []string
	// MaxBody is the endpoint's body limit; "huge" values go beyond it.
	MaxBody int
}

// oddRunes are zero-width, direction and byte-order characters.
var oddRunes = []string{"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\ufeff", "\u00ad"}

var badTypes = []string{"content-type", "truncated", "wrong-type", "huge", "deep", "odd-chars", "bad-utf8", "header", "bad-escape"}

// Malformed returns n bad requests made from spec by a generator seeded
// with seed, so a failure replays exactly. Kinds: truncated bodies, values
// of the wrong type, huge and deeply nested values, zero-width and
// right-to-left characters, invalid UTF-8, wrong content types, missing,
// duplicated and wrong signature headers, and (forms) broken escapes.
func Malformed(seed uint64, n int, spec Spec) []Bad {
	r := rand.New(rand.NewPCG(seed, 1414))
	out := make([]Bad, 0, n)
	for len(out) < n {
		kind := badTypes[r.IntN(len(badTypes))]
		if b, ok := mutate(r, kind, spec); ok {
			if b.ContentType == "" && kind != "content-type" {
				b.ContentType = spec.ContentType
			}
			out = append(out, b)
		}
	}
	return out
}

func mutate(r *rand.Rand, kind string, spec Spec) (Bad, bool) {
	b := Bad{Kind: kind, Body: spec.Body}
	switch kind {
	case "content-type":
		b.ContentType = []string{"", "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json", "application/x-www-form-urlencoded", "image/png"}[r.IntN(7)]
		if strings.HasPrefix(b.ContentType, strings.Split(spec.ContentType, ";")[0]) {
			return b, false
		}
		if b.ContentType == "" {
			b.Kind = "no-content-type"
		}
		b.MustRefuse = true
		return b, true
	case "header":
		b.Fault = Fault(1 + r.IntN(5))
		b.MustRefuse = true
		return b, true
	case "huge":
		if spec.MaxBody == 0 {
			return b, false
		}
		huge := strings.Repeat("a", spec.MaxBody+1+r.IntN(spec.MaxBody))
		b.Body = append(slices.Clone(spec.Body), huge...)
		if spec.Form {
			b.Body = append(slices.Clone(spec.Body), "&text="+huge...)
		}
		b.MustRefuse = true
		return b, true
	case "bad-escape":
		if !spec.Form {
			return b, false
		}
		i := r.IntN(len(spec.Body) + 1)
		b.Body = append(append(slices.Clone(spec.Body[:i]), []byte("%zz")...), spec.Body[i:]...)
		b.MustRefuse = true
		return b, true
	}
	// The rest change the JSON, or the form's values.
	if spec.Form && spec.JSONField == "" {
		return mutateForm(r, kind, spec)
	}
	doc := spec.Body
	var form url.Values
	if spec.Form {
		form, _ = url.ParseQuery(string(spec.Body))
		doc = []byte(form.Get(spec.JSONField))
	}
	nd, refuse, ok := mutateJSON(r, kind, doc, spec)
	if !ok {
		return b, false
	}
	b.MustRefuse = refuse
	b.Body = nd
	if spec.Form {
		f := url.Values{}
		for k, v := range form {
			f[k] = slices.Clone(v)
		}
		f.Set(spec.JSONField, string(nd))
		b.Body = []byte(f.Encode())
	}
	return b, true
}

func mutateJSON(r *rand.Rand, kind string, doc []byte, spec Spec) ([]byte, bool, bool) {
	switch kind {
	case "truncated":
		d := bytes.TrimSpace(doc)
		return slices.Clone(d[:r.IntN(len(d))]), true, true
	case "deep":
		depth := 10001 + r.IntN(5000) // beyond encoding/json's limit of 10000
		nest := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		if r.IntN(2) == 0 {
			nest = strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
		}
		return setRandom(r, doc, nil, func(string, any) ([]byte, bool) { return []byte(nest), true })
	case "wrong-type":
		return setRandom(r, doc, spec.Typed, func(_ string, old any) ([]byte, bool) {
			others := []string{"12345", `["x"]`, `{"x":1}`, "true"}
			switch old.(type) {
			case float64:
				others = []string{`"text"`, `["x"]`, `{"x":1}`, "true"}
			case bool:
				others = []string{`"text"`, "12345", `["x"]`, `{"x":1}`}
			case []any:
				others = []string{`"text"`, "12345", `{"x":1}`, "true"}
			case map[string]any:
				others = []string{`"text"`, "12345", `["x"]`, "true"}
			}
			return []byte(others[r.IntN(len(others))]), true
		})
	case "odd-chars", "bad-utf8":
		return setRandom(r, doc, nil, func(path string, old any) ([]byte, bool) {
			s, ok := old.(string)
			if !ok || s == "" {
				return nil, false
			}
			refuse := slices.Contains(spec.IDs, path)
			if kind == "bad-utf8" {
				q, _ := json.Marshal(s)
				return append([]byte("\"\xff\xfe"), q[1:]...), refuse // raw bytes, not \ufffd
			}
			i := r.IntN(len(s) + 1)
			q, _ := json.Marshal(s[:i] + oddRunes[r.IntN(len(oddRunes))] + s[i:])
			return q, refuse
		})
	}
	return nil, false, false
}

// placeholder stands for the replaced value until the document is encoded.
const placeholder = "\x00studybot-bad-value\x00"

// setRandom replaces a random value (at one of paths, if given: keys joined
// by dots, "*" for an array's elements) by the raw JSON f returns for it;
// f's nil skips that value. It reports whether the change must be refused.
func setRandom(r *rand.Rand, doc []byte, paths []string, f func(path string, old any) ([]byte, bool)) ([]byte, bool, bool) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, false, false
	}
	type slot struct {
		path string
		get  func() any
		set  func(any)
	}
	var slots []slot
	var walk func(x any, path string)
	join := func(path, k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	walk = func(x any, path string) {
		switch t := x.(type) {
		case map[string]any:
			for k, c := range t {
				p := join(path, k)
				if len(paths) == 0 || slices.Contains(paths, p) {
					slots = append(slots, slot{p, func() any { return t[k] }, func(n any) { t[k] = n }})
				}
				walk(c, p)
			}
		case []any:
			for i, c := range t {
				p := join(path, "*")
				if len(paths) == 0 || slices.Contains(paths, p) {
					slots = append(slots, slot{p + strconv.Itoa(i), func() any { return t[i] }, func(n any) { t[i] = n }})
				}
				walk(c, p)
			}
		}
	}
	walk(v, "")
	// Map order is random in Go; sort for a deterministic pick.
	slices.SortStableFunc(slots, func(a, b slot) int { return strings.Compare(a.path, b.path) })
	r.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	for _, s := range slots {
		old := s.get()
		raw, refuse := f(strings.TrimRight(s.path, "0123456789"), old)
		if raw == nil {
			continue
		}
		s.set(placeholder)
		out, err := json.Marshal(v)
		if err != nil {
			return nil, false, false
		}
		quoted, _ := json.Marshal(placeholder)
		return bytes.Replace(out, quoted, raw, 1), refuse, true
	}
	return nil, false, false
}

func mutateForm(r *rand.Rand, kind string, spec Spec) (Bad, bool) {
	b := Bad{Kind: kind, Body: spec.Body}
	form, _ := url.ParseQuery(string(spec.Body))
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	switch kind {
	case "truncated":
		// A form cut short may still parse, as a shorter form: refused only
		// if what is left lacks what the endpoint needs, which it decides.
		b.Body = slices.Clone(spec.Body[:r.IntN(len(spec.Body))])
		return b, true
	case "odd-chars", "bad-utf8":
		k := keys[r.IntN(len(keys))]
		s := form.Get(k)
		i := r.IntN(len(s) + 1)
		ins := oddRunes[r.IntN(len(oddRunes))]
		if kind == "bad-utf8" {
			ins = "\xff\xfe"
		}
		form.Set(k, s[:i]+ins+s[i:])
		b.Body = []byte(form.Encode())
		b.MustRefuse = slices.Contains(spec.IDs, k)
		return b, true
	case "wrong-type", "deep":
		// A form has no types or nesting; a field given twice is the nearest.
		k := keys[r.IntN(len(keys))]
		b.Body = append(slices.Clone(spec.Body), "&"+url.QueryEscape(k)+"="+url.QueryEscape(strings.Repeat("[", 50))...)
		b.MustRefuse = slices.Contains(spec.IDs, k)
		return b, true
	}
	return b, false
}

// SendMalformed serves each of bads through serve, which builds its
// request (signed properly, then spoiled as its Fault says) and returns
// the endpoint's answer, and checks that answer: a bad signature header
// gets one of sigCodes; a 4xx carries a reason; a request that MustRefuse
// gets a 4xx; an odd but well-formed one otherwise gets a 200, whose body
// answered (if not nil) must accept as the platform's ordinary answer. No
// answer may be a 5xx. It stops once 100 requests after the first failure
// and returns how many requests of each kind it sent.
func SendMalformed(t testing.TB, bads []Bad, sigCodes []int, serve func(Bad) *httptest.ResponseRecorder, answered func(body []byte) bool) map[string]int {
	t.Helper()
	kinds := map[string]int{}
	for i, bad := range bads {
		if t.Failed() && i%100 == 0 {
			t.Fatalf("stopping at #%d", i)
		}
		kinds[bad.Kind]++
		w := serve(bad)
		what := fmt.Sprintf("#%d %s (fault %d): %.300q", i, bad.Kind, bad.Fault, bad.Body)
		switch {
		case bad.Fault != FaultNone && !slices.Contains(sigCodes, w.Code):
			t.Errorf("%s: status %d, want %d", what, w.Code, sigCodes[0])
		case w.Code >= 400 && w.Code < 500:
			if len(bytes.TrimSpace(w.Body.Bytes())) == 0 {
				t.Errorf("%s: %d without a reason", what, w.Code)
			}
		case bad.MustRefuse:
			t.Errorf("%s: status %d %.200s, want a 4xx", what, w.Code, w.Body)
		case w.Code != http.StatusOK:
			t.Errorf("%s: status %d", what, w.Code)
		case answered != nil && !answered(w.Body.Bytes()):
			t.Errorf("%s: answer %.200s is not the platform's ordinary answer", what, w.Body)
		}
	}
	t.Logf("kinds: %v", kinds)
	return kinds
}

// Signature is how an endpoint's request is signed, for Request: the names
// of its signature and timestamp headers and their right values, the
// second value each gets when the fault duplicates it, and a signature of
// another body.
type Signature struct {
	SigHeader, TSHeader string
	Sig, TS             string
	DupSig, DupTS       string
	WrongSig            func() string
}

// Request is bad's request to path, with its body and content type, signed
// with s and then spoiled as its Fault says.
func (s Signature) Request(path string, bad Bad) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(bad.Body))
	if bad.ContentType != "" {
		r.Header.Set("Content-Type", bad.ContentType)
	}
	r.Header.Set(s.SigHeader, s.Sig)
	r.Header.Set(s.TSHeader, s.TS)
	switch bad.Fault {
	case MissingSignature:
		r.Header.Del(s.SigHeader)
	case MissingTimestamp:
		r.Header.Del(s.TSHeader)
	case DuplicateSignature:
		r.Header.Add(s.SigHeader, s.DupSig)
	case DuplicateTimestamp:
		r.Header.Add(s.TSHeader, s.DupTS)
	case WrongSignature:
		r.Header.Set(s.SigHeader, s.WrongSig())
	}
	return r
}
