package bot

import (
	"fmt"
	"testing"

	"github.com/studybot/studybot/roadmap"
)

// TestRoadmapCacheBounded: the cache keeps the most recently used
// roadmapCacheSize entries and drops the least recently used first.
func TestRoadmapCacheBounded(t *testing.T) {
	var c roadmapCache
	rms := make([]*roadmap.Roadmap, roadmapCacheSize+2)
	for i := range rms {
		rms[i] = &roadmap.Roadmap{ID: fmt.Sprint(i)}
	}
	for i := range roadmapCacheSize {
		c.put(fmt.Sprint(i), rms[i])
	}
	c.get("0") // 0 is now the most recent; 1 the least
	c.put("new", rms[roadmapCacheSize])
	if c.get("1") != nil {
		t.Errorf("the least recently used entry was kept")
	}
	if c.get("0") != rms[0] || c.get("new") != rms[roadmapCacheSize] {
		t.Errorf("a recent entry was dropped")
	}
	if n := c.ll.Len(); n != roadmapCacheSize || len(c.m) != roadmapCacheSize {
		t.Errorf("%d entries (%d in the map), want %d", n, len(c.m), roadmapCacheSize)
	}
}
