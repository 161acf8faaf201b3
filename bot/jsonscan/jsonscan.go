// Package jsonscan holds what the adapters' hand-written JSON decoders
// share (bot/discord/fastdecode.go, bot/slack/fastclick.go). Each
// adapter's fast path decodes the usual payload in one pass and leaves
// anything unusual to encoding/json, whose result then stands; the
// Scanner is the part of that pass that does not depend on the payload:
// whitespace, literals, numbers, objects with known keys, arrays, and
// checked skipping of values neither decoder keeps. Each decoder reads its
// own strings (one copies them into a buffer with escapes decoded, the
// other takes them whole), so string values are not read here.
//
// Every refusal here is one where encoding/json could decide otherwise
// than a plain reading would: a key with an escape or a non-ASCII byte, a
// key given twice in an object, an unknown key that equals a known one
// but for case (encoding/json matches keys case-insensitively), invalid
// JSON, or nesting deeper than MaxDepth.
package jsonscan

import "unicode/utf8"

// MaxDepth bounds nesting; deeper payloads go to encoding/json.
const MaxDepth = 32

// Scanner reads Src from Pos. The decoders read their own values (strings,
// integers) from Src at Pos and move Pos past them.
type Scanner struct {
	Src   []byte
	Pos   int
	depth int
}

// WS skips whitespace.
func (s *Scanner) WS() {
	for s.Pos < len(s.Src) {
		switch s.Src[s.Pos] {
		case ' ', '\t', '\n', '\r':
			s.Pos++
		default:
			return
		}
	}
}

// Peek reports whether c comes next.
func (s *Scanner) Peek(c byte) bool { return s.Pos < len(s.Src) && s.Src[s.Pos] == c }

// Literal consumes lit if it comes next.
func (s *Scanner) Literal(lit string) bool {
	if len(s.Src)-s.Pos >= len(lit) && string(s.Src[s.Pos:s.Pos+len(lit)]) == lit {
		s.Pos += len(lit)
		return true
	}
	return false
}

// Null consumes a null if it comes next.
func (s *Scanner) Null() bool { return s.Literal("null") }

// Object reads an object whose known keys are keys (at most 32): fn reads
// the value of the k-th one. Other keys' values are skipped.
func (s *Scanner) Object(keys []string, fn func(k int) bool) bool {
	if ok, empty := s.open('{', '}'); !ok || empty {
		return ok
	}
	var seen uint32
	for {
		s.WS()
		key, ok := s.key()
		if !ok {
			return false
		}
		s.WS()
		if !s.Peek(':') {
			return false
		}
		s.Pos++
		s.WS()
		k := -1
		for j, name := range keys {
			if name == string(key) {
				k = j
				break
			}
			if foldASCII(name, key) {
				return false // encoding/json would take it for name
			}
		}
		if k >= 0 {
			if seen&(1<<k) != 0 {
				return false
			}
			seen |= 1 << k
			if !fn(k) {
				return false
			}
		} else if !s.Skip() {
			return false
		}
		if more, ok := s.sep('}'); !more {
			return ok
		}
	}
}

// Array reads an array, elem reading each element in turn.
func (s *Scanner) Array(elem func() bool) bool {
	if ok, empty := s.open('[', ']'); !ok || empty {
		return ok
	}
	for {
		s.WS()
		if !elem() {
			return false
		}
		if more, ok := s.sep(']'); !more {
			return ok
		}
	}
}

// open enters an object or array that opens with open and closes with
// close: not ok if it does not come next or would nest deeper than
// MaxDepth, empty if it closes at once (and has been left).
func (s *Scanner) open(open, close byte) (ok, empty bool) {
	if !s.Peek(open) || s.depth == MaxDepth {
		return false, false
	}
	s.depth++
	s.Pos++
	s.WS()
	if s.Peek(close) {
		s.Pos++
		s.depth--
		return true, true
	}
	return true, false
}

// sep reads what follows a member of an object or array: a comma (more
// follow: true, true) or close, which ends it (false, true); anything
// else is malformed (false, false).
func (s *Scanner) sep(close byte) (more, ok bool) {
	s.WS()
	switch {
	case s.Peek(','):
		s.Pos++
		return true, true
	case s.Peek(close):
		s.Pos++
		s.depth--
		return false, true
	}
	return false, false
}

// key reads an object key: printable ASCII without escapes only. It is
// compared, never kept, so it is not copied.
func (s *Scanner) key() ([]byte, bool) {
	if !s.Peek('"') {
		return nil, false
	}
	start := s.Pos + 1
	for j := start; j < len(s.Src); j++ {
		switch c := s.Src[j]; {
		case c == '"':
			s.Pos = j + 1
			return s.Src[start:j], true
		case c < 0x20 || c == '\\' || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// foldASCII reports whether the ASCII key equals name but for case, as
// encoding/json matches keys (for ASCII keys its folding is this).
func foldASCII(name string, key []byte) bool {
	if len(name) != len(key) {
		return false
	}
	for i := range len(name) {
		a, b := name[i], key[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

// Number consumes a JSON number.
func (s *Scanner) Number() bool {
	j := s.Pos
	if j < len(s.Src) && s.Src[j] == '-' {
		j++
	}
	switch {
	case j < len(s.Src) && s.Src[j] == '0':
		j++
	case j < len(s.Src) && s.Src[j] >= '1' && s.Src[j] <= '9':
		j = s.digitsFrom(j)
	default:
		return false
	}
	if j < len(s.Src) && s.Src[j] == '.' {
		k := j + 1
		if j = s.digitsFrom(k); j == k {
			return false
		}
	}
	if j < len(s.Src) && (s.Src[j] == 'e' || s.Src[j] == 'E') {
		j++
		if j < len(s.Src) && (s.Src[j] == '+' || s.Src[j] == '-') {
			j++
		}
		k := j
		if j = s.digitsFrom(k); j == k {
			return false
		}
	}
	s.Pos = j
	return true
}

// digitsFrom returns where the run of decimal digits at Src[j:] ends.
func (s *Scanner) digitsFrom(j int) int {
	for j < len(s.Src) && s.Src[j] >= '0' && s.Src[j] <= '9' {
		j++
	}
	return j
}

// Skip skips any JSON value, checking it is valid.
func (s *Scanner) Skip() bool {
	if s.Pos >= len(s.Src) {
		return false
	}
	switch c := s.Src[s.Pos]; {
	case c == '"':
		return s.skipString()
	case c == '{':
		return s.Object(nil, func(int) bool { return false })
	case c == '[':
		return s.Array(s.Skip)
	case c == 't':
		return s.Literal("true")
	case c == 'f':
		return s.Literal("false")
	case c == 'n':
		return s.Null()
	default:
		return s.Number()
	}
}

// skipString skips a string, checking its escapes; invalid UTF-8 in it is
// valid JSON (encoding/json replaces it in what it keeps).
func (s *Scanner) skipString() bool {
	for j := s.Pos + 1; j < len(s.Src); j++ {
		switch c := s.Src[j]; {
		case c == '"':
			s.Pos = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(s.Src) {
				return false
			}
			switch s.Src[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.Src) {
					return false
				}
				for _, h := range s.Src[j+1 : j+5] {
					if !ishex(h) {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Bool reads a bool field: null leaves *dst as it is, as encoding/json does.
func (s *Scanner) Bool(dst *bool) bool {
	switch {
	case s.Literal("true"):
		*dst = true
	case s.Literal("false"):
		*dst = false
	default:
		return s.Null()
	}
	return true
}
