package card

import (
	"strings"
	"unicode"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// substitutes spell characters the Go fonts lack with ones they have. Anything else
// missing is dropped (symbols, emoji, combining marks) or shown as "?" (letters and
// digits, so a name in a script we cannot draw still shows that something is there).
var substitutes = map[rune]string{
	'✓': "", '✔': "", '✅': "", '☑': "", // a tick says nothing a bar does not
	'✗': "x", '✘': "x", '❌': "x",
	'★': "*", '☆': "*", '⭐': "*",
	'₹': "Rs",
	'Ǆ': "DŽ", 'ǅ': "Dž", 'ǆ': "dž", 'Ǉ': "LJ", 'ǈ': "Lj", 'ǉ': "lj", 'Ǌ': "NJ", 'ǋ': "Nj", 'ǌ': "nj",
	'\u2010': "-", '\u2011': "-", '\u2212': "-",
	'\u2032': "'", '\u2033': "\"",
}

// clean makes s drawable with font f: every rune that has no glyph is substituted,
// replaced with "?" or dropped, so the card never shows a .notdef box. Runs of
// whitespace collapse to one space, so "· 🔥 streak" reads "· streak".
func clean(s string, f *opentype.Font) string {
	var buf sfnt.Buffer
	var b strings.Builder
	space := false // pending space, written before the next visible rune
	put := func(t string) {
		for _, r := range t {
			if r == ' ' {
				space = b.Len() > 0
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			put(" ")
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			// zero-width joiners, direction marks, variation selectors' kin
		case has(f, &buf, r):
			put(string(r))
		default:
			if sub, ok := substitutes[r]; ok {
				put(sub)
			} else if unicode.IsLetter(r) || unicode.IsNumber(r) {
				put("?")
			}
		}
	}
	return b.String()
}

func has(f *opentype.Font, buf *sfnt.Buffer, r rune) bool {
	i, err := f.GlyphIndex(buf, r)
	return err == nil && i != 0
}
