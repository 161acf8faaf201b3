package slack

import (
	"net/url"
	"strings"
)

// form is a parsed application/x-www-form-urlencoded body, as url.ParseQuery
// parses it. Slack's forms are a dozen short fields, so the common case
// keeps them in a fixed array (no map, no slice per key, no copy of a value
// that needs no unescaping): in the adapter's profile url.ParseQuery was
// the largest part of reading a slash command. A body the shortcut does not
// take (more than maxFormPairs fields, a semicolon, an escape that does not
// decode) goes through url.ParseQuery itself, so what is accepted and what
// is refused stays exactly url.ParseQuery's; TestFormMatchesParseQuery holds
// the two together.
type form struct {
	pairs  [maxFormPairs]formPair
	n      int
	values url.Values // set when url.ParseQuery parsed the body
}

type formPair struct {
	key, value string
	// escaped: value is still as in the body (parseKeeping), its escapes
	// checked but not decoded.
	escaped bool
}

// maxFormPairs is how many fields the shortcut keeps: a slash command has
// 11, an interactivity post 1.
const maxFormPairs = 24

// parse parses body; the error is url.ParseQuery's.
func (f *form) parse(body string) error { return f.parseKeeping(body, "") }

// parseKeeping is parse leaving the values of key escaped, for appendValue
// to decode where the caller wants them: an interactivity post's payload
// (a kilobyte of escaped JSON) is decoded into a pooled buffer, not into a
// string that was then copied again into the []byte json.Unmarshal takes.
// A body parsed by url.ParseQuery has every value decoded already.
func (f *form) parseKeeping(body, key string) error {
	if f.parseShort(body, key) {
		return nil
	}
	f.n = 0
	var err error
	f.values, err = url.ParseQuery(body)
	return err
}

// parseShort is url.ParseQuery's loop for a body it takes whole; it reports
// false for any other body.
func (f *form) parseShort(body, keep string) bool {
	for seps := 0; body != ""; seps++ {
		// Empty fields ("&&") count too: url.ParseQuery refuses a body of
		// too many, whatever they hold.
		if seps == 2*maxFormPairs {
			return false
		}
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if pair == "" {
			continue
		}
		if f.n == maxFormPairs || strings.IndexByte(pair, ';') >= 0 {
			return false
		}
		k, v, _ := strings.Cut(pair, "=")
		var ok bool
		if k, ok = formUnescape(k); !ok {
			return false
		}
		escaped := keep != "" && k == keep
		if escaped {
			ok = validEscapes(v)
		} else {
			v, ok = formUnescape(v)
		}
		if !ok {
			return false
		}
		f.pairs[f.n] = formPair{k, v, escaped}
		f.n++
	}
	return true
}

// formUnescape is url.QueryUnescape, without its call (or its copy) for the
// common value that holds no escape, and with one pass over the others
// (appendUnescaped) where url.QueryUnescape makes two: a slash command's
// response_url is all escapes.
func formUnescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b, ok := appendUnescaped(make([]byte, 0, len(s)), s)
	return string(b), ok
}

// appendUnescaped appends s decoded as url.QueryUnescape decodes it ("+" a
// space, "%XX" a byte) and reports whether it is well formed: whether
// url.QueryUnescape would not refuse it (every "%" followed by two hex
// digits; TestAppendUnescapedMatchesQueryUnescape).
func appendUnescaped(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '%' && s[j] != '+' {
			j++
		}
		dst = append(dst, s[i:j]...)
		if j == len(s) {
			break
		}
		if s[j] == '+' {
			dst = append(dst, ' ')
			i = j + 1
			continue
		}
		if j+2 >= len(s) || !ishex(s[j+1]) || !ishex(s[j+2]) {
			return dst, false
		}
		dst = append(dst, unhex(s[j+1])<<4|unhex(s[j+2]))
		i = j + 3
	}
	return dst, true
}

// validEscapes reports whether appendUnescaped takes s.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// get is the first value of key, or "" (url.Values.Get).
func (f *form) get(key string) string {
	if f.values != nil {
		return f.values.Get(key)
	}
	for _, p := range f.pairs[:f.n] {
		if p.key == key {
			if p.escaped {
				v, _ := formUnescape(p.value) // checked by parseShort
				return v
			}
			return p.value
		}
	}
	return ""
}

// appendValue appends the first value of key, decoded, to dst.
func (f *form) appendValue(dst []byte, key string) []byte {
	if f.values != nil {
		return append(dst, f.values.Get(key)...)
	}
	for _, p := range f.pairs[:f.n] {
		if p.key == key {
			if p.escaped {
				dst, _ = appendUnescaped(dst, p.value) // checked by parseShort
				return dst
			}
			return append(dst, p.value...)
		}
	}
	return dst
}

// count is how many times key was given.
func (f *form) count(key string) int {
	if f.values != nil {
		return len(f.values[key])
	}
	n := 0
	for _, p := range f.pairs[:f.n] {
		if p.key == key {
			n++
		}
	}
	return n
}

// repeated reports whether any key was given more than once.
func (f *form) repeated() bool {
	if f.values != nil {
		for _, v := range f.values {
			if len(v) > 1 {
				return true
			}
		}
		return false
	}
	for i := 1; i < f.n; i++ {
		for _, p := range f.pairs[:i] {
			if p.key == f.pairs[i].key {
				return true
			}
		}
	}
	return false
}
