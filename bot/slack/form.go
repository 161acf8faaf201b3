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

type formPair struct{ key, value string }

// maxFormPairs is how many fields the shortcut keeps: a slash command has
// 11, an interactivity post 1.
const maxFormPairs = 24

// parse parses body; the error is url.ParseQuery's.
func (f *form) parse(body string) error {
	if f.parseShort(body) {
		return nil
	}
	f.n = 0
	var err error
	f.values, err = url.ParseQuery(body)
	return err
}

// parseShort is url.ParseQuery's loop for a body it takes whole; it reports
// false for any other body.
func (f *form) parseShort(body string) bool {
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
		if v, ok = formUnescape(v); !ok {
			return false
		}
		f.pairs[f.n] = formPair{k, v}
		f.n++
	}
	return true
}

// formUnescape is url.QueryUnescape, without its call (or its copy) for the
// common value that holds no escape.
func formUnescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}

// get is the first value of key, or "" (url.Values.Get).
func (f *form) get(key string) string {
	if f.values != nil {
		return f.values.Get(key)
	}
	for _, p := range f.pairs[:f.n] {
		if p.key == key {
			return p.value
		}
	}
	return ""
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
