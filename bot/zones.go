package bot

import (
	_ "embed"
	"strings"
	"sync"
	"time"
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

// resolved remembers what LoadZone made of each name it was given, unknown
// names included: nudge.Location caches exact IANA names only, so a name
// in another case ("europe/berlin") or one that is no zone at all (a
// platform profile's) would otherwise cost a scan of zoneNames and a
// failed time.LoadLocation on every command that shows a date. Names come
// from members, so it is bounded like nudge's cache.
var resolved zoneMemo

const maxResolved = 1000

type zoneMemo struct {
	mu sync.RWMutex
	m  map[string]*time.Location // nil: not a zone
}

func (z *zoneMemo) get(name string) (*time.Location, bool) {
	z.mu.RLock()
	loc, ok := z.m[name]
	z.mu.RUnlock()
	return loc, ok
}

func (z *zoneMemo) put(name string, loc *time.Location) {
	z.mu.Lock()
	if z.m == nil || len(z.m) >= maxResolved {
		z.m = map[string]*time.Location{}
	}
	z.m[name] = loc
	z.mu.Unlock()
}
