package bot

import (
	"testing"
	"time"
)

// TestLoadZone_Remembers: the engine resolves a zone once per name, for
// names in another case and for names that are no zone, and the answers
// stay what they were.
func TestLoadZone_Remembers(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Europe/Berlin", "Europe/Berlin"},
		{"europe/berlin", "Europe/Berlin"},
		{" utc ", "UTC"},
		{"Mars/Olympus", ""},
		{"Local", ""},
	} {
		for round := range 2 {
			loc, err := LoadZone(tc.name)
			switch {
			case tc.want == "" && (err == nil || ErrorCode(err) != Invalid):
				t.Errorf("round %d: LoadZone(%q) = %v, %v; want Invalid", round, tc.name, loc, err)
			case tc.want != "" && (err != nil || loc.String() != tc.want):
				t.Errorf("round %d: LoadZone(%q) = %v, %v; want %s", round, tc.name, loc, err, tc.want)
			}
		}
	}
	if _, ok := resolved.get("Mars/Olympus"); !ok {
		t.Error("an unknown name was not remembered")
	}
	allocs := testing.AllocsPerRun(100, func() {
		if loc, err := LoadZone("europe/berlin"); err != nil || loc == time.UTC {
			t.Fatal(loc, err)
		}
	})
	if allocs != 0 {
		t.Errorf("a remembered zone costs %.0f allocations", allocs)
	}
}
