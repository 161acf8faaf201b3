package bot_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/roadmap"
)

// TestMarks_ActLikeAMap: random Sets and Deletes leave Marks holding what a
// map given the same calls holds, in topic order, one mark per topic.
func TestMarks_ActLikeAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var ms bot.Marks
	want := map[string]bot.Mark{}
	for i := range 2000 {
		topic := fmt.Sprintf("t%d", rng.IntN(40))
		switch rng.IntN(3) {
		case 0:
			ms.Delete(topic)
			delete(want, topic)
		default:
			mk := bot.Mark{Status: roadmap.Done, Note: fmt.Sprint(i)}
			ms.Set(topic, mk)
			want[topic] = mk
		}
		if len(ms) != len(want) {
			t.Fatalf("step %d: %d marks, want %d", i, len(ms), len(want))
		}
	}
	if !slices.IsSortedFunc(ms, func(a, b bot.TopicMark) int { return cmp.Compare(a.Topic, b.Topic) }) {
		t.Errorf("marks not in topic order: %v", ms)
	}
	for topic, w := range want {
		if got := ms.Get(topic); got == nil || *got != w {
			t.Errorf("Get(%s) = %v, want %v", topic, got, w)
		}
	}
	if got := ms.Get("absent"); got != nil {
		t.Errorf("Get(absent) = %v, want nil", got)
	}
}

// TestMarks_JSONIsTheMapForm: Marks write the bytes encoding/json writes
// for the map they replaced, so exports and older JSON records keep their
// shape, and read them back (null marks left out).
func TestMarks_JSONIsTheMapForm(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m := map[string]*bot.Mark{
		"b/two": {Status: roadmap.Learning, Started: t0},
		"a/one": {Status: roadmap.Done, At: t0, Note: "n"},
		"c":     {Status: roadmap.Skipped},
	}
	want, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(bot.MarksOf(m))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("Marks JSON = %s, want %s", got, want)
	}
	var back bot.Marks
	if err := json.Unmarshal([]byte(`{"z":{"status":"done"},"a":{"status":"learning"},"n":null}`), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[0].Topic != "a" || back[1].Topic != "z" || back[1].Status != roadmap.Done {
		t.Errorf("Unmarshal = %+v, want a then z, null left out", back)
	}
	if err := json.Unmarshal([]byte(`["a"]`), &back); err == nil {
		t.Error("Unmarshal of a list: no error")
	}
}

// TestSortMarks_LastDuplicateStays: a reader's marks out of order (records
// written in map order) come out sorted; of two marks on one topic the
// later one stays.
func TestSortMarks_LastDuplicateStays(t *testing.T) {
	ms := bot.Marks{
		{Topic: "c", Mark: bot.Mark{Note: "c"}},
		{Topic: "a", Mark: bot.Mark{Note: "a1"}},
		{Topic: "b", Mark: bot.Mark{Note: "b"}},
		{Topic: "a", Mark: bot.Mark{Note: "a2"}},
	}
	if ms.Sorted() || (bot.Marks{{Topic: "a"}, {Topic: "a"}}).Sorted() || !(bot.Marks{{Topic: "a"}, {Topic: "b"}}).Sorted() {
		t.Error("Sorted: want true only for strictly increasing topics")
	}
	got := bot.SortMarks(ms)
	var notes []string
	for _, mk := range got {
		notes = append(notes, mk.Topic+"="+mk.Note)
	}
	if want := []string{"a=a2", "b=b", "c=c"}; !slices.Equal(notes, want) {
		t.Errorf("SortMarks = %v, want %v", notes, want)
	}
}
