package store

import (
	"os"
	"testing"

	"github.com/studybot/studybot/roadmap"
)

func TestPingAndStats(t *testing.T) {
	db := MustOpenDB(t)
	if err := db.Ping(); err != nil {
		t.Fatalf("Ping on an open db: %v", err)
	}
	before, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"alice", "bob", "carol"} {
		mustUpdate(t, db, spaceA, id, mark(roadmap.Done))
	}
	after, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if after.Size <= 0 || after.Size > fi.Size() {
		t.Errorf("Size = %d, want above 0 and at most the file's %d bytes", after.Size, fi.Size())
	}
	if after.CommitWrites <= before.CommitWrites {
		t.Errorf("CommitWrites went from %d to %d over three commits", before.CommitWrites, after.CommitWrites)
	}
	if after.Reads <= before.Reads {
		t.Errorf("Reads went from %d to %d, though Stats itself reads", before.Reads, after.Reads)
	}
	if after.OpenReads != 0 {
		t.Errorf("OpenReads = %d with no transaction open", after.OpenReads)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err == nil {
		t.Error("Ping on a closed db succeeded")
	}
}
