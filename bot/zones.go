package bot

import (
	_ "embed"
	"strings"
)

// zones.txt lists canonical IANA zone names (from zone1970.tab and zone.tab) for
// autocomplete and case-insensitive lookup; Go's time package has no list.
//
//go:embed zones.txt
var zonesTxt string

var zoneNames = strings.Fields(zonesTxt)

// Zones returns up to limit zone names containing query (case-insensitive),
// names starting with it first.
func Zones(query string, limit int) []string {
	q := strings.ToLower(strings.TrimSpace(query))
	var first, rest []string
	for _, z := range zoneNames {
		lz := strings.ToLower(z)
		switch {
		case strings.HasPrefix(lz, q) || strings.Contains(lz, "/"+q):
			first = append(first, z)
		case strings.Contains(lz, q):
			rest = append(rest, z)
		}
	}
	out := append(first, rest...)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
