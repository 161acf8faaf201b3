package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// notStored are the Member fields (by path) the record does not keep: the
// store fills them from elsewhere on every read.
var notStored = map[string]bool{
	"Member.Answered":   true, // counted beside the challenges
	"Member.Nudge.Next": true, // the nudge schedule
}

// fillAll sets every field reachable from v to a distinct non-zero value (two
// entries in each map and slice), except those in notStored, so a field
// the codec forgets makes the round trip differ.
func fillAll(t *testing.T, v reflect.Value, path string, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(strings.Repeat("s", *n%3+1) + path[strings.LastIndexByte(path, '.')+1:] + string(rune('a'+*n%26)))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n) * 37)
	case reflect.Uint64:
		v.SetUint(uint64(*n) * 41)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(t, v.Elem(), path, n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillAll(t, v.Index(i), path, n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fillAll(t, k, path+"[k]", n)
			e := reflect.New(v.Type().Elem()).Elem()
			fillAll(t, e, path+"[v]", n)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 1+*n%28, 10, *n%60, 7, *n*1001, time.UTC)))
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			p := v.Type().Name() + "." + f.Name
			if strings.HasPrefix(path, "Member.") && v.Type().Name() != "Member" {
				p = path + "." + f.Name
			}
			if notStored[p] {
				continue
			}
			fillAll(t, v.Field(i), p, n)
		}
	default:
		t.Fatalf("%s: the test cannot fill a %s; teach fillAll (and the codec)", path, v.Kind())
	}
}

// filled is a T with fillAll's values; name is its path's root.
func filled[T any](t *testing.T, name string) *T {
	t.Helper()
	v := new(T)
	n := 0
	fillAll(t, reflect.ValueOf(v).Elem(), name, &n)
	return v
}

// encodeDecode encodes m in the current form and decodes it back.
func encodeDecode(t *testing.T, m *bot.Member) ([]byte, *bot.Member) {
	t.Helper()
	buf, err := encodeMember(m)
	if err != nil {
		t.Fatal(err)
	}
	if buf[0] != memberV2 {
		t.Fatalf("encoded form starts with %#x", buf[0])
	}
	got := new(bot.Member)
	if err := decodeMember(buf, got); err != nil {
		t.Fatal(err)
	}
	return buf, got
}

// sameMember fails t when got is not want, showing both as JSON.
func sameMember(t *testing.T, got, want *bot.Member) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("round trip differs:\n got %s\nwant %s", gj, wj)
	}
}

// TestMemberCodec_EveryField round-trips a member with every stored field
// set. A field added to bot.Member (or Track, Mark, Change...) without
// codec support comes back zero and fails here.
func TestMemberCodec_EveryField(t *testing.T) {
	var m bot.Member
	n := 0
	fillAll(t, reflect.ValueOf(&m).Elem(), "Member", &n)
	_, got := encodeDecode(t, &m)
	sameMember(t, got, &m)
	// What JSON keeps, binary keeps: the two forms decode alike.
	js, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON bot.Member
	if err := decodeMember(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&fromJSON, got) {
		t.Fatal("the JSON and binary forms of one member decode differently")
	}
}

// TestMemberCodec_Values covers the values fill does not: the known
// statuses, nil marks and tracks, zero and offset times, negative numbers.
func TestMemberCodec_Values(t *testing.T) {
	berlin := time.FixedZone("", 2*3600)
	m := bot.Member{
		Space: spaceA, ID: "U1", Created: t0,
		Seen:   time.Date(2026, 7, 1, 9, 30, 0, 5, berlin),
		Streak: bot.Streak{Days: -1},
		Tracks: map[string]*bot.Track{
			"backend": {Topics: bot.MarksOf(map[string]*bot.Mark{
				"a": {Status: roadmap.Learning, Started: t0},
				"b": {Status: roadmap.Done, At: t0},
				"c": {Status: roadmap.Skipped},
				"d": {},
			})},
			"gone": nil,
		},
		History: []bot.Change{{Topic: "a", Prev: roadmap.Done}},
	}
	_, got := encodeDecode(t, &m)
	if !got.Seen.Equal(m.Seen) {
		t.Errorf("Seen = %v, want %v", got.Seen, m.Seen)
	}
	if _, off := got.Seen.Zone(); off != 7200 {
		t.Errorf("Seen's offset = %d, want 7200 (JSON keeps it)", off)
	}
	got.Seen, m.Seen = time.Time{}, time.Time{}
	sameMember(t, got, &m)
}

// TestMemberCodec_MapOrderRecords: records written before marks were
// sorted hold them in map order, and a corrupt one could name a topic
// twice; either reads back in topic order, one mark per topic (the last),
// so Get's binary search finds every topic.
func TestMemberCodec_MapOrderRecords(t *testing.T) {
	m := bot.Member{Space: spaceA, ID: "U1", Tracks: map[string]*bot.Track{"backend": {Topics: bot.Marks{
		{Topic: "os/linux", Mark: bot.Mark{Status: roadmap.Done}},
		{Topic: "internet/dns", Mark: bot.Mark{Status: roadmap.Learning}},
		{Topic: "git/basics", Mark: bot.Mark{Status: roadmap.Skipped}},
		{Topic: "internet/dns", Mark: bot.Mark{Status: roadmap.Done}},
	}}}}
	buf, err := encodeMember(&m) // writes the slice's (unsorted) order
	if err != nil {
		t.Fatal(err)
	}
	for name, brief := range map[string]bool{"member": false, "brief": true} {
		var got bot.Member
		if brief {
			err = decodeBrief(buf, &got)
		} else {
			err = decodeMember(buf, &got)
		}
		if err != nil {
			t.Fatal(err)
		}
		tr := got.Tracks["backend"]
		var order []string
		for _, mk := range tr.Topics {
			order = append(order, mk.Topic+"="+string(mk.Status))
		}
		if want := "[git/basics=skipped internet/dns=done os/linux=done]"; fmt.Sprint(order) != want {
			t.Errorf("%s: marks %v, want %s", name, order, want)
		}
		if tr.Status("os/linux") != roadmap.Done || tr.Status("git/basics") != roadmap.Skipped {
			t.Errorf("%s: Status does not find every topic", name)
		}
	}
}

// TestMemberCodec_Corrupt: every truncation of a record, and a record
// with impossible counts, is an error, never a panic or a huge allocation.
func TestMemberCodec_Corrupt(t *testing.T) {
	var m bot.Member
	n := 0
	fillAll(t, reflect.ValueOf(&m).Elem(), "Member", &n)
	// Reviews and changes by reference, and dates written once then
	// referred to.
	for rid, tr := range m.Tracks {
		for _, mk := range tr.Topics {
			tr.Reviews[mk.Topic] = &bot.Review{Step: 1, Done: "2026-01-05", Due: "2026-01-05"}
			m.History = append(m.History, bot.Change{Roadmap: rid, Topic: mk.Topic, At: t0})
		}
	}
	buf, err := encodeMember(&m)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(buf); i++ {
		var got bot.Member
		if err := decodeMember(buf[:i], &got); err == nil {
			t.Fatalf("a record cut to %d of %d bytes decoded", i, len(buf))
		}
	}
	huge := append([]byte{memberV1}, make([]byte, 40)...)
	huge = append(huge, 0xff, 0xff, 0xff, 0xff, 0x0f) // a track count of 2^32-1
	var got bot.Member
	if err := decodeMember(huge, &got); err == nil {
		t.Fatal("a record with an impossible count decoded")
	}
	if err := decodeMember(append(buf, 0), &got); err == nil {
		t.Fatal("a record with trailing bytes decoded")
	}
}

// TestMember_JSONRecordMigratesOnWrite: a record written as JSON (every
// file before schema version 5) reads as before, stays JSON while only
// read, and is binary after its next write, with nothing lost.
func TestMember_JSONRecordMigratesOnWrite(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	old := &bot.Member{Space: spaceA, ID: "old", Name: "Ada", Created: t0, Seen: t0,
		Nudge: bot.Nudge{Hour: 8, Zone: "Europe/Berlin", LastDate: "2026-01-01"},
		Tracks: map[string]*bot.Track{bot.BuiltinRoadmap: {
			Topics: bot.MarksOf(map[string]*bot.Mark{"internet/dns": {Status: roadmap.Done, At: t0, Note: "ok"}}),
			Picks:  map[string]string{"language": "language/go"},
		}},
		History: []bot.Change{{Topic: "internet/dns", At: t0}},
	}
	js, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	raw := func() []byte {
		var v []byte
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			b, err := child(tx, spaceA, bucketMembers, true)
			if err != nil {
				return err
			}
			if v == nil && b.Get([]byte("old")) == nil {
				return b.Put([]byte("old"), js)
			}
			v = append([]byte(nil), b.Get([]byte("old"))...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	raw() // store the JSON record
	got, err := db.Member(ctx, spaceA, "old")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, old) {
		t.Fatalf("JSON record read as %+v, want %+v", got, old)
	}
	if v := raw(); isBinaryMember(v) || v[0] != '{' {
		t.Fatalf("a read rewrote the record: %q", v[:min(len(v), 10)])
	}
	if _, err := db.UpdateMember(ctx, spaceA, "old", func(m *bot.Member) error { m.Name = "Ada L."; return nil }); err != nil {
		t.Fatal(err)
	}
	if v := raw(); !isBinaryMember(v) {
		t.Fatalf("after a write the record is still %q", v[:min(len(v), 10)])
	}
	got, err = db.Member(ctx, spaceA, "old")
	if err != nil {
		t.Fatal(err)
	}
	old.Name = "Ada L."
	if !reflect.DeepEqual(got, old) {
		t.Fatalf("binary record read as %+v, want %+v", got, old)
	}
	// DeleteMember reads the nudge of either form.
	if err := db.DeleteMember(ctx, spaceA, "old"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Member(ctx, spaceA, "old"); bot.ErrorCode(err) != bot.NotFound {
		t.Fatalf("after delete: %v", err)
	}
}

// TestMember_DecodeAllocs: decoding a realistic member (50 marks, a full
// undo history) costs a handful of allocations, not one per field.
func TestMember_DecodeAllocs(t *testing.T) {
	m := &bot.Member{Space: spaceA, ID: "U1", Name: "Ada", Created: t0, Seen: t0}
	topics := roadmap.Default().Topics()
	for i, tp := range topics[:50] {
		m.WriteTrack(bot.BuiltinRoadmap).Topics.Set(tp.ID, bot.Mark{Status: roadmap.Done, At: t0.Add(time.Duration(i) * time.Minute)})
	}
	for i := range bot.MaxHistory {
		m.History = append(m.History, bot.Change{Topic: topics[i].ID, At: t0,
			PrevStreak: &bot.Streak{Days: i}, PrevReview: &bot.Review{Step: i}})
	}
	buf, err := encodeMember(m)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		var got bot.Member
		if err := decodeMember(buf, &got); err != nil {
			t.Fatal(err)
		}
	})
	// One string, tracks map and slice, topics map (a few allocations for
	// its groups), marks slice, history slice and its streak and review
	// slabs.
	if allocs > 16 {
		t.Errorf("decode costs %.0f allocations, want at most 16", allocs)
	}
	t.Logf("%d bytes, %.0f allocations", len(buf), allocs)
}

// TestMemberInSpace: one read gives what Member and Space give; no record
// is a nil member and no error, and the space record is there either way.
func TestMemberInSpace(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	m, rec, err := db.MemberInSpace(ctx, spaceA, "nobody")
	if err != nil || m != nil || rec == nil || rec.Space != spaceA {
		t.Fatalf("absent member: %v, %+v, %v", m, rec, err)
	}
	if _, err := db.UpdateSpace(ctx, spaceA, func(r *bot.SpaceRecord) error { r.DefaultRoadmap = "go"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateMember(ctx, spaceA, "ana", func(m *bot.Member) error {
		m.Name, m.Nudge = "Ana", bot.Nudge{On: true, Hour: 9, Zone: "UTC", Next: t0.Add(time.Hour)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m, rec, err = db.MemberInSpace(ctx, spaceA, "ana")
	if err != nil {
		t.Fatal(err)
	}
	wantM, _ := db.Member(ctx, spaceA, "ana")
	wantRec, _ := db.Space(ctx, spaceA)
	if !reflect.DeepEqual(m, wantM) || !reflect.DeepEqual(rec, wantRec) {
		t.Fatalf("MemberInSpace = %+v, %+v; want %+v, %+v", m, rec, wantM, wantRec)
	}
	if _, _, err := db.MemberInSpace(ctx, spaceA, ""); bot.ErrorCode(err) != bot.Invalid {
		t.Fatalf("empty id: %v", err)
	}
}

// TestDecodeBrief_FormsAgree: a brief of a JSON record and of its binary
// form are the same: marks in topic order (a null mark in JSON left out)
// with neither Note nor Started, Reviews nil, no history.
func TestDecodeBrief_FormsAgree(t *testing.T) {
	m := bot.Member{Space: spaceA, ID: "m1", Name: "Ann", History: []bot.Change{{Topic: "a", At: t0}}}
	tr := m.WriteTrack(bot.BuiltinRoadmap)
	tr.Topics.Set("b", bot.Mark{Status: roadmap.Learning, At: t0})
	tr.Topics.Set("a", bot.Mark{Status: roadmap.Done, Started: t0, At: t0.Add(time.Hour), Note: "n"})
	tr.Picks["p"] = "a"
	tr.Reviews = map[string]*bot.Review{"a": {Step: 1}}
	want := bot.Marks{{Topic: "a", Mark: bot.Mark{Status: roadmap.Done, At: t0.Add(time.Hour)}}, {Topic: "b", Mark: bot.Mark{Status: roadmap.Learning, At: t0}}}
	bin, err := encodeMember(&m)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	// An older JSON record could hold a null mark.
	js = bytes.Replace(js, []byte(`"topics":{`), []byte(`"topics":{"c":null,`), 1)
	for name, v := range map[string][]byte{"binary": bin, "json": js} {
		var got bot.Member
		if err := decodeBrief(v, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		gt := got.Tracks[bot.BuiltinRoadmap]
		if gt.Reviews != nil || got.History != nil || !reflect.DeepEqual(gt.Picks, tr.Picks) || got.Name != "Ann" {
			t.Errorf("%s: brief = %+v, track %+v", name, got, gt)
		}
		if len(gt.Topics) != len(want) {
			t.Fatalf("%s: Topics = %+v, want %+v", name, gt.Topics, want)
		}
		for i := range want {
			g, w := gt.Topics[i], want[i]
			if g.Topic != w.Topic || g.Status != w.Status || !g.At.Equal(w.At) || !g.Started.IsZero() || g.Note != "" {
				t.Errorf("%s: Topics = %+v, want %+v", name, gt.Topics, want)
			}
		}
		if st := gt.Status("a"); st != roadmap.Done {
			t.Errorf("%s: Status(a) = %q, want done", name, st)
		}
		if st := gt.Status("c"); st != roadmap.Todo {
			t.Errorf("%s: Status(c) = %q, want todo", name, st)
		}
	}
}

// TestMemberCodec_V1Records: a record written by the previous binary form
// (memberV1: reviews with whole topic ids and dates) reads as the JSON of
// the same member, and is written back in the current form, smaller.
func TestMemberCodec_V1Records(t *testing.T) {
	v1, err := os.ReadFile("testdata/member_v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile("testdata/member_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	if v1[0] != memberV1 {
		t.Fatalf("fixture starts with %#x", v1[0])
	}
	var got, want bot.Member
	if err := decodeMember(v1, &got); err != nil {
		t.Fatal(err)
	}
	if err := decodeMember(js, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, &want) {
		gj, _ := json.Marshal(&got)
		t.Fatalf("memberV1 record reads as\n%s\nwant\n%s", gj, js)
	}
	var brief bot.Member
	if err := decodeBrief(v1, &brief); err != nil || brief.Tracks[bot.BuiltinRoadmap].Status("os/linux") != roadmap.Skipped {
		t.Fatalf("brief of a memberV1 record: %v, %+v", err, brief.Tracks[bot.BuiltinRoadmap])
	}
	v2, err := encodeMember(&got)
	if err != nil {
		t.Fatal(err)
	}
	if v2[0] != memberV2 || len(v2) >= len(v1) {
		t.Errorf("rewritten: version %#x, %d bytes (was %d)", v2[0], len(v2), len(v1))
	}
	var back bot.Member
	if err := decodeMember(v2, &back); err != nil || !reflect.DeepEqual(&back, &want) {
		t.Errorf("the rewritten record reads differently (%v)", err)
	}
}

// TestMemberCodec_ReviewsByReference: a member with a review per finished
// topic (and history reviews sharing their dates) round-trips, and its
// record is much smaller than with whole ids and dates; a review of a
// topic without a mark, and a bad reference, are handled.
func TestMemberCodec_ReviewsByReference(t *testing.T) {
	m := bot.Member{Space: spaceA, ID: "U1"}
	tr := m.WriteTrack(bot.BuiltinRoadmap)
	tr.Picks = nil // as a decode gives an empty one
	tr.Reviews = map[string]*bot.Review{"no/mark": {Step: 2, Done: "2025-12-01", Due: "2026-01-09"}, "nil/review": nil}
	for i, tp := range roadmap.Default().Topics() {
		tr.Topics.Set(tp.ID, bot.Mark{Status: roadmap.Done, At: t0})
		tr.Reviews[tp.ID] = &bot.Review{Step: i % 3, Done: "2026-01-05", Due: fmt.Sprintf("2026-01-%02d", 6+i%20)}
		m.History = append(m.History, bot.Change{Roadmap: bot.BuiltinRoadmap, Topic: tp.ID, At: t0, PrevReview: &bot.Review{Done: "2026-01-05", Due: "2026-01-06"}})
	}
	m.History = m.History[len(m.History)-bot.MaxHistory:]
	m.History[0].Roadmap = "other" // a roadmap without a track: named whole
	m.History[1].Topic = "no/mark" // a topic without a mark: named whole
	buf, got := encodeDecode(t, &m)
	sameMember(t, got, &m)
	if n := len(roadmap.Default().Topics()); len(buf) > 45*n {
		t.Errorf("%d topics with reviews (and a full history) take %d bytes, more than 45 a topic", n, len(buf))
	}
	// A reference past the marks is corrupt, not a panic.
	bad := bot.Member{Space: spaceA, ID: "U1", Tracks: map[string]*bot.Track{"r": {
		Topics:  bot.Marks{{Topic: "a", Mark: bot.Mark{Status: roadmap.Done}}},
		Reviews: map[string]*bot.Review{"a": {Done: "2026-01-05"}},
	}}}
	b, err := encodeMember(&bad)
	if err != nil {
		t.Fatal(err)
	}
	// One review: count 1, ref 1, not nil, step 0, a new date of 10 bytes.
	i := bytes.Index(b, []byte{1, 1, 0, 0, 0, 10})
	if i < 0 {
		t.Fatalf("no review by reference in % x", b)
	}
	b[i+1] = 5 // the fifth mark of a track with one
	if err := decodeMember(b, new(bot.Member)); err == nil {
		t.Error("a review referring past the marks decoded")
	}
}
