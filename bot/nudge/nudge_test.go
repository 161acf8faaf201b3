package nudge_test

import (
	"testing"
	"time"

	"github.com/studybot/studybot/bot/nudge"
)

func zoneNamed(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func atUTC(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Transitions used below (2025):
//
//	America/New_York     Mar 9 02:00->03:00 (07:00Z); Nov 2 02:00->01:00 (06:00Z)
//	Europe/London        Mar 30 01:00->02:00 (01:00Z); Oct 26 02:00->01:00 (01:00Z)
//	America/Santiago     Apr 6 00:00->Apr 5 23:00 (03:00Z); Sep 7 00:00->01:00 (04:00Z)
//	Australia/Lord_Howe  Apr 6 02:00->01:30 (Apr 5 15:00Z); Oct 5 02:00->02:30 (Oct 4 15:30Z)
//	Pacific/Apia         2011: Dec 30 skipped entirely (Dec 30 10:00Z)

func TestNext(t *testing.T) {
	tests := []struct {
		name         string
		zone         string
		after        string // UTC
		hour, minute int
		want         string // UTC
	}{
		{"LaterToday", "America/New_York", "2025-03-01 12:00", 8, 30, "2025-03-01 13:30"},
		{"TomorrowWhenPassed", "America/New_York", "2025-03-01 14:00", 8, 30, "2025-03-02 13:30"},
		{"StrictlyAfter", "America/New_York", "2025-03-01 13:30", 8, 30, "2025-03-02 13:30"},
		{"NewYorkSpringGapFiresAtGapEnd", "America/New_York", "2025-03-08 17:00", 2, 30, "2025-03-09 07:00"},
		{"NewYorkGapStartFiresAtGapEnd", "America/New_York", "2025-03-08 17:00", 2, 0, "2025-03-09 07:00"},
		{"NewYorkDayAfterGap", "America/New_York", "2025-03-09 07:00", 2, 30, "2025-03-10 06:30"},
		{"NewYorkMorningAcrossSpring", "America/New_York", "2025-03-08 14:00", 8, 30, "2025-03-09 12:30"},
		{"NewYorkJustBeforeGap", "America/New_York", "2025-03-08 17:00", 1, 59, "2025-03-09 06:59"},
		{"NewYorkFallBackFirstOccurrence", "America/New_York", "2025-11-01 16:00", 1, 30, "2025-11-02 05:30"},
		{"NewYorkFallBackNoSecond", "America/New_York", "2025-11-02 05:30", 1, 30, "2025-11-03 06:30"},
		{"NewYorkFallBackBetweenOccurrences", "America/New_York", "2025-11-02 06:10", 1, 30, "2025-11-03 06:30"},
		{"LondonSpringGap", "Europe/London", "2025-03-29 12:00", 1, 15, "2025-03-30 01:00"},
		{"LondonFallBackOnce", "Europe/London", "2025-10-25 12:00", 1, 15, "2025-10-26 00:15"},
		{"LondonFallBackNoSecond", "Europe/London", "2025-10-26 00:15", 1, 15, "2025-10-27 01:15"},
		{"SantiagoMidnightGap", "America/Santiago", "2025-09-06 16:00", 0, 0, "2025-09-07 04:00"},
		{"SantiagoInsideMidnightGap", "America/Santiago", "2025-09-06 16:00", 0, 30, "2025-09-07 04:00"},
		{"SantiagoAfterMidnightGap", "America/Santiago", "2025-09-06 16:00", 1, 0, "2025-09-07 04:00"},
		{"SantiagoRepeatedLateHourOnce", "America/Santiago", "2025-04-05 15:00", 23, 30, "2025-04-06 02:30"},
		{"SantiagoRepeatedLateHourNoSecond", "America/Santiago", "2025-04-06 02:30", 23, 30, "2025-04-07 03:30"},
		{"SantiagoMidnightAfterFallBack", "America/Santiago", "2025-04-05 15:00", 0, 0, "2025-04-06 04:00"},
		{"LordHoweHalfHourGap", "Australia/Lord_Howe", "2025-10-04 00:00", 2, 15, "2025-10-04 15:30"},
		{"LordHoweAfterHalfHourGap", "Australia/Lord_Howe", "2025-10-04 15:30", 2, 15, "2025-10-05 15:15"},
		{"LordHoweHalfHourRepeatOnce", "Australia/Lord_Howe", "2025-04-05 00:00", 1, 45, "2025-04-05 14:45"},
		{"LordHoweHalfHourRepeatNoSecond", "Australia/Lord_Howe", "2025-04-05 14:45", 1, 45, "2025-04-06 15:15"},
		{"ChathamQuarterHourZone", "Pacific/Chatham", "2025-06-01 00:00", 9, 0, "2025-06-01 20:15"},
		{"ApiaSkippedDayHasNoNudge", "Pacific/Apia", "2011-12-29 22:00", 9, 0, "2011-12-30 19:00"},
		{"UTC", "UTC", "2025-06-01 23:59", 0, 0, "2025-06-02 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := zoneNamed(t, tt.zone)
			got := nudge.Next(atUTC(tt.after), tt.hour, tt.minute, loc)
			if want := atUTC(tt.want); !got.Equal(want) {
				t.Errorf("NextNudge(%s, %02d:%02d, %s) = %s (%s), want %s (%s)", tt.after, tt.hour, tt.minute, tt.zone,
					got.UTC().Format(time.DateTime), got.In(loc).Format(time.DateTime+" MST"),
					want.Format(time.DateTime), want.In(loc).Format(time.DateTime+" MST"))
			}
		})
	}
}

// TestNextNudgeOncePerDate walks two years in zones with awkward transitions and
// checks that following NextNudge gives exactly one instant per local date, each
// showing the wanted time or, on a gap day, the first instant after the gap.
func TestNextOncePerDate(t *testing.T) {
	zones := []string{"America/New_York", "Europe/London", "America/Santiago", "Australia/Lord_Howe",
		"Pacific/Chatham", "Asia/Kathmandu", "Asia/Kolkata", "UTC"}
	times := [][2]int{{0, 0}, {0, 30}, {1, 15}, {1, 45}, {2, 0}, {2, 15}, {2, 30}, {3, 0}, {8, 30}, {23, 30}, {23, 59}}
	start := atUTC("2024-12-30 00:00")
	end := atUTC("2027-01-02 00:00")
	for _, z := range zones {
		loc := zoneNamed(t, z)
		for _, hm := range times {
			prev := start
			prevDate := ""
			for n := 0; ; n++ {
				next := nudge.Next(prev, hm[0], hm[1], loc)
				if !next.After(prev) {
					t.Fatalf("%s %02d:%02d: NextNudge(%s) = %s, not after", z, hm[0], hm[1], prev, next)
				}
				if next.After(end) {
					break
				}
				local := next.In(loc)
				date := local.Format(nudge.DateLayout)
				if prevDate != "" {
					wantDate := parseDate(t, prevDate).AddDate(0, 0, 1).Format(nudge.DateLayout)
					if date != wantDate {
						t.Fatalf("%s %02d:%02d: after %s came %s (%s), want date %s", z, hm[0], hm[1], prevDate, date, local, wantDate)
					}
				}
				if local.Hour() != hm[0] || local.Minute() != hm[1] {
					// Only allowed at the end of a gap: a second earlier the clock
					// showed an earlier time than hour:minute.
					_, o1 := next.Add(-time.Second).In(loc).Zone()
					_, o2 := local.Zone()
					if o2 <= o1 {
						t.Fatalf("%s %02d:%02d: %s shows %s and is not the end of a gap", z, hm[0], hm[1], next.UTC(), local)
					}
				}
				prev, prevDate = next, date
			}
		}
	}
}

func TestSlotNextAfterSkipsLastDate(t *testing.T) {
	loc := zoneNamed(t, "Europe/Berlin")
	// Nudged at 07:00 Berlin on June 2; the member moves their time to 20:00.
	_ = loc
	n := nudge.Slot{Hour: 20, Minute: 0, Zone: "Europe/Berlin"}
	got := n.NextAfter(atUTC("2025-06-02 06:00"), "2025-06-02")
	if want := atUTC("2025-06-03 18:00"); !got.Equal(want) {
		t.Errorf("NextAfter = %s, want %s (no second nudge on June 2)", got.UTC(), want)
	}
	got = n.NextAfter(atUTC("2025-06-02 06:00"), "2025-06-01")
	if want := atUTC("2025-06-02 18:00"); !got.Equal(want) {
		t.Errorf("NextAfter = %s, want %s (today, not yet nudged)", got.UTC(), want)
	}
}

// LastDate reads the facts: the slot fired last at the firing before its due
// instant, and a member's own recorded date wins when later.
func TestSlotLastDate(t *testing.T) {
	ny := nudge.Slot{Hour: 2, Minute: 30, Zone: "America/New_York"}
	tests := []struct {
		name     string
		s        nudge.Slot
		due      string // UTC; "" for none
		recorded string
		want     string
	}{
		{"NoSchedule", ny, "", "2025-03-01", "2025-03-01"},
		{"FiredYesterday", ny, "2025-03-08 07:30", "", "2025-03-07"},
		{"RecordedLater", ny, "2025-03-08 07:30", "2025-03-08", "2025-03-08"},
		// 02:30 does not exist on Mar 9; that firing is 03:00 EDT (07:00 UTC).
		{"AfterGap", ny, "2025-03-10 06:30", "", "2025-03-09"},
		{"UTC", nudge.Slot{Hour: 0}, "2025-03-10 00:00", "2025-01-01", "2025-03-09"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var due time.Time
			if tt.due != "" {
				due = atUTC(tt.due)
			}
			if got := tt.s.LastDate(due, tt.recorded); got != tt.want {
				t.Errorf("LastDate(%s, %q) = %s, want %s", tt.due, tt.recorded, got, tt.want)
			}
		})
	}
}

func parseDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := time.Parse(nudge.DateLayout, s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
