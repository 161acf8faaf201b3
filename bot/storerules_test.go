package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCheckSpaceAndMember(t *testing.T) {
	ok := Space{Platform: PlatformDiscord, ID: "111"}
	long := strings.Repeat("x", MaxIDLen+1)
	for name, err := range map[string]error{
		"no platform":       CheckSpace(Space{ID: "1"}),
		"no id":             CheckSpace(Space{Platform: PlatformSlack}),
		"key too long":      CheckSpace(Space{Platform: PlatformSlack, ID: long}),
		"colon in platform": CheckSpace(Space{Platform: "a:b", ID: "1"}),
		"NUL in id":         CheckSpace(Space{Platform: PlatformSlack, ID: "T\x00"}),
		"bad space":         CheckMember(Space{}, "ana"),
		"no member":         CheckMember(ok, ""),
		"member too long":   CheckMember(ok, long),
		"NUL in member":     CheckMember(ok, "a\x00"),
		"no roadmap":        CheckRoadmapFile(nil),
		"roadmap no id":     CheckRoadmapFile(&RoadmapFile{}),
		"roadmap id long":   CheckRoadmapFile(&RoadmapFile{ID: long}),
	} {
		if ErrorCode(err) != Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	// A colon in the id is fine: only the platform ends at the first one.
	for name, err := range map[string]error{
		"space":    CheckSpace(Space{Platform: PlatformSlack, ID: "T:1"}),
		"member":   CheckMember(ok, strings.Repeat("m", MaxIDLen)),
		"roadmap":  CheckRoadmapFile(&RoadmapFile{ID: "go"}),
		"long key": CheckSpace(Space{Platform: PlatformSlack, ID: strings.Repeat("x", MaxIDLen-len("slack:"))}),
	} {
		if err != nil {
			t.Errorf("%s: %v, want accepted", name, err)
		}
	}
}

func TestApplySpaceUpdate_KeepsStoreFields(t *testing.T) {
	sp := Space{Platform: PlatformDiscord, ID: "111"}
	closes := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	rec := &SpaceRecord{Space: sp, Current: 3, ClosesAt: closes, Roadmaps: []RoadmapInfo{{ID: "go"}}}
	err := ApplySpaceUpdate(rec, func(r *SpaceRecord) error {
		r.Space, r.Current, r.ClosesAt = Space{}, 9, time.Time{}
		r.Roadmaps[0].ID = "changed through the slice"
		r.Roadmaps = nil
		r.Moderators = []string{"ana"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Space != sp || rec.Current != 3 || !rec.ClosesAt.Equal(closes) || len(rec.Roadmaps) != 1 || rec.Roadmaps[0].ID != "go" {
		t.Errorf("store fields after fn = %+v, want them as before", rec)
	}
	if len(rec.Moderators) != 1 {
		t.Errorf("Moderators = %v, want fn's change kept", rec.Moderators)
	}

	boom := errors.New("boom")
	if err := ApplySpaceUpdate(rec, func(*SpaceRecord) error { return boom }); err != boom {
		t.Errorf("fn's error = %v, want it unchanged", err)
	}
	if err := ApplySpaceUpdate(rec, nil); err != nil || rec.Current != 3 {
		t.Errorf("nil fn: %v, %+v", err, rec)
	}
}

func TestPutRoadmapInfoAndLimit(t *testing.T) {
	rec := &SpaceRecord{}
	for _, id := range []string{"rust", "go", "zig"} {
		rec.PutRoadmapInfo(&RoadmapFile{ID: id, Title: id, TOML: "v1"})
	}
	rec.PutRoadmapInfo(&RoadmapFile{ID: "go", Title: "Go", TOML: "v2"})
	var ids []string
	for _, r := range rec.Roadmaps {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, " ") != "go rust zig" {
		t.Errorf("roadmaps = %v, want in id order, go once", ids)
	}
	if r := rec.Roadmaps[0]; r.Title != "Go" || r.Version != RoadmapVersion("v2") || r.Version == RoadmapVersion("v1") {
		t.Errorf("replaced entry = %+v, want the new title and version", r)
	}
	if ErrorCode(RoadmapLimit(3, false, 3)) != Conflict {
		t.Error("a new roadmap at the limit was allowed")
	}
	if RoadmapLimit(3, true, 3) != nil || RoadmapLimit(2, false, 3) != nil {
		t.Error("replacing at the limit, or adding below it, was refused")
	}
}

func TestOpeningRules(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	if ErrorCode(CheckOpening(nil, CloseCurrent)) != Invalid || ErrorCode(CheckOpening(&Challenge{}, CloseCurrent)) != Invalid {
		t.Error("a missing challenge or posting time was accepted")
	}
	if err := CheckOpening(&Challenge{PostedAt: at}, OnOpen(7)); err == nil || ErrorCode(err) == Invalid {
		t.Errorf("unknown OnOpen: %v, want a plain error (the caller's bug)", err)
	}
	if err := CheckOpening(&Challenge{PostedAt: at}, RefuseWhileOpen); err != nil {
		t.Error(err)
	}

	var missing *Challenge
	if missing.IsOpen() || (&Challenge{ClosedAt: at}).IsOpen() || !(&Challenge{}).IsOpen() {
		t.Error("IsOpen: a missing or closed challenge counts as open, or an open one does not")
	}

	next := &Challenge{PostedAt: at}
	if err := CloseForOpening(nil, next, RefuseWhileOpen); err != nil {
		t.Errorf("nothing open, refusing: %v", err)
	}
	cur := &Challenge{ID: 4}
	if err := CloseForOpening(cur, next, RefuseWhileOpen); ErrorCode(err) != Conflict || !cur.ClosedAt.IsZero() {
		t.Errorf("refusing while #4 is open: %v, closed at %v", err, cur.ClosedAt)
	}
	if err := CloseForOpening(cur, next, CloseCurrent); err != nil || !cur.ClosedAt.Equal(at) {
		t.Errorf("closing #4: %v, closed at %v; want %v", err, cur.ClosedAt, at)
	}
}

func TestChallengeOpened_IsACopy(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	c := &Challenge{ID: 1, Text: "t", ClosedAt: at, Submissions: map[string]*Submission{"ana": {Member: "ana", Text: "a"}, "bo": nil}}
	got := c.Opened(7)
	if got.ID != 7 || !got.ClosedAt.IsZero() || got.Text != "t" {
		t.Errorf("Opened = %+v, want #7, open, same text", got)
	}
	if len(got.Submissions) != 1 || got.Submissions["ana"].Text != "a" {
		t.Errorf("submissions = %v, want ana's only", got.Submissions)
	}
	got.Submissions["ana"].Text = "changed"
	got.Submissions["cy"] = &Submission{}
	if c.Submissions["ana"].Text != "a" || len(c.Submissions) != 2 || c.ID != 1 || !c.ClosedAt.Equal(at) {
		t.Errorf("the caller's challenge changed: %+v", c)
	}
}

func TestClosingRules(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	if ErrorCode(CheckClosing(time.Time{})) != Invalid || CheckClosing(at) != nil {
		t.Error("CheckClosing: a zero time accepted or a real one refused")
	}
	rec := &SpaceRecord{}
	rec.SetCurrent(&Challenge{ID: 5, ClosesAt: at.Add(time.Hour)})
	if rec.Current != 5 || !rec.ClosesAt.Equal(at.Add(time.Hour)) {
		t.Errorf("after SetCurrent = %+v, want #5 closing in an hour", rec)
	}
	open := &Challenge{ID: 5}
	rec.CloseOpen(open, at)
	if !open.ClosedAt.Equal(at) || rec.Current != 0 || !rec.ClosesAt.IsZero() {
		t.Errorf("after CloseOpen: challenge closed at %v, space %+v; want closed at %v, none open", open.ClosedAt, rec, at)
	}
	rec.SetCurrent(&Challenge{ID: 6})
	rec.CloseOpen(nil, at) // a Current naming a closed or missing challenge
	if rec.Current != 0 {
		t.Errorf("CloseOpen(nil) left Current %d", rec.Current)
	}
}

func TestStoreErrors(t *testing.T) {
	disk := errors.New("disk full")
	member := Errorf(NotFound, "There is no such member.")
	if err := StoreError("update member", disk); err == nil || err.Error() != "update member: disk full" || !errors.Is(err, disk) {
		t.Errorf("a storage failure = %v, want it in op's context", err)
	}
	for _, err := range []error{member, context.Canceled, fmt.Errorf("read: %w", context.DeadlineExceeded)} {
		if got := StoreError("op", err); got != err {
			t.Errorf("StoreError(%v) = %v, want it as it is", err, got)
		}
	}
	if StoreError("op", nil) != nil || StoreFnError("op", nil, nil) != nil {
		t.Error("no error became one")
	}
	fnErr := errors.New("fn said no")
	if got := StoreFnError("op", fnErr, fnErr); got != fnErr {
		t.Errorf("fn's error = %v, want it unwrapped", got)
	}
	if out, err := StoreResult("op", &Member{ID: "ana"}, nil, disk); out != nil || !errors.Is(err, disk) {
		t.Errorf("on a failure StoreResult = %v, %v; want nil and the error", out, err)
	}
	if out, err := StoreResult("op", &Member{ID: "ana"}, nil, nil); out == nil || out.ID != "ana" || err != nil {
		t.Errorf("on success StoreResult = %v, %v", out, err)
	}
}

func TestRecordLen(t *testing.T) {
	if CheckRecordLen("member", MaxRecordLen) != nil {
		t.Error("a record at the limit was refused")
	}
	err := CheckRecordLen("challenge", MaxRecordLen+1)
	var be *Error
	if !errors.As(err, &be) || be.Code != Invalid || !strings.Contains(be.Message, "one challenge") {
		t.Errorf("over the limit: %v, want Invalid naming the challenge", err)
	}
	if buf, err := MarshalRecord("space", &SpaceRecord{Current: 2}); err != nil || !strings.Contains(string(buf), `"current":2`) {
		t.Errorf("MarshalRecord = %s, %v", buf, err)
	}
	if _, err := MarshalRecord("space", &SpaceRecord{Moderators: []string{strings.Repeat("m", MaxRecordLen)}}); ErrorCode(err) != Invalid {
		t.Errorf("an oversized record: %v, want Invalid", err)
	}
	if _, err := MarshalRecord("space", func() {}); err == nil || ErrorCode(err) == Invalid {
		t.Errorf("an unencodable value: %v, want a plain error", err)
	}
}

func TestCheckDMChannelAndDeliveryKey(t *testing.T) {
	sp := Space{Platform: PlatformDiscord, ID: "111"}
	for name, err := range map[string]error{
		"bad member":   CheckDMChannel(sp, "", "D1"),
		"long channel": CheckDMChannel(sp, "ana", strings.Repeat("1", MaxChannelLen+1)),
		"no key":       CheckDeliveryKey(""),
		"long key":     CheckDeliveryKey(strings.Repeat("k", MaxIDLen+1)),
	} {
		if ErrorCode(err) != Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	if CheckDMChannel(sp, "ana", strings.Repeat("1", MaxChannelLen)) != nil || CheckDMChannel(sp, "ana", "") != nil || CheckDeliveryKey(strings.Repeat("k", MaxIDLen)) != nil {
		t.Error("a channel at the limit, forgetting one, or a key at the limit was refused")
	}
}

func TestStoreNotFoundErrors(t *testing.T) {
	for name, err := range map[string]error{
		"member":    MemberNotFound(),
		"challenge": ChallengeNotFound(3),
		"roadmap":   RoadmapNotFound(strings.Repeat("r", 100)),
		"pending":   NoPendingRoadmap(),
	} {
		var be *Error
		if !errors.As(err, &be) || be.Code != NotFound || be.Message == "" {
			t.Errorf("%s: %v, want NotFound with a message", name, err)
		}
	}
	var be *Error
	if errors.As(ChallengeNotFound(3), &be); !strings.Contains(be.Message, "#3") {
		t.Errorf("challenge message %q does not name #3", be.Message)
	}
	if errors.As(RoadmapNotFound(strings.Repeat("r", 100)), &be); len(be.Message) > 80 {
		t.Errorf("roadmap message %q repeats a long id whole", be.Message)
	}
	if ErrorCode(CheckClaimLimit(0)) != Invalid || CheckClaimLimit(1) != nil {
		t.Error("CheckClaimLimit: 0 accepted or 1 refused")
	}
}
