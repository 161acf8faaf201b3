package bot

import (
	"context"
	"fmt"
	"testing"
)

const cacheTOML = `id = "go"
title = "%s"

[[section]]
id = "s"
stage = "basics"
title = "S"

[[section.topic]]
id = "s/a"
title = "A"
hours = 1
summary = "A topic."
`

// fileStore serves one roadmap file, whatever version the caller read.
type fileStore struct {
	Store
	toml string
}

func (s fileStore) RoadmapFile(_ context.Context, _ Space, id string) (*RoadmapFile, error) {
	return &RoadmapFile{ID: id, TOML: s.toml}, nil
}

// TestRoadmapCache_OtherProcessChangedFile: a space record read before
// another process replaced the file names the old version; the new file
// read after it is used but not cached under the old version, which would
// serve it if that version came back.
func TestRoadmapCache_OtherProcessChangedFile(t *testing.T) {
	v1, v2 := fmt.Sprintf(cacheTOML, "One"), fmt.Sprintf(cacheTOML, "Two")
	e := &Engine{Store: fileStore{toml: v2}}
	sp := Space{Platform: PlatformConsole, ID: "x"}
	old := &SpaceRecord{Space: sp, Roadmaps: []RoadmapInfo{{ID: "go", Version: RoadmapVersion(v1)}}}
	rm, err := e.roadmapIn(context.Background(), old, "go")
	if err != nil || rm.Title != "Two" {
		t.Fatalf("roadmapIn = %+v, %v; want the file as stored now", rm, err)
	}
	if got := e.roadmaps.get(sp.Key() + "\x00go\x00" + RoadmapVersion(v1)); got != nil {
		t.Errorf("the new file was cached under the old version")
	}
	cur := &SpaceRecord{Space: sp, Roadmaps: []RoadmapInfo{{ID: "go", Version: RoadmapVersion(v2)}}}
	if _, err := e.roadmapIn(context.Background(), cur, "go"); err != nil {
		t.Fatal(err)
	}
	if got := e.roadmaps.get(sp.Key() + "\x00go\x00" + RoadmapVersion(v2)); got == nil || got.Title != "Two" {
		t.Errorf("the matching version was not cached: %+v", got)
	}
}
