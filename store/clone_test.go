package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/studybot/studybot/bot"
)

// TestCloneMember_SharesNothing: a clone of a member with every field set
// is equal to it, and changing everything the clone reaches, in place,
// leaves the original's record as it was. A field added to bot.Member
// that holds a map, slice or pointer and that cloneMember shares fails
// here.
func TestCloneMember_SharesNothing(t *testing.T) {
	checkSharesNothing(t, "Member", func() *bot.Member {
		m := filled[bot.Member](t, "Member")
		m.Answered, m.Nudge.Next = 3, t0 // not stored, but a member's fields
		m.Tracks["nil"] = nil
		for _, tr := range m.Tracks {
			if tr != nil {
				tr.Reviews["nil"] = nil
			}
		}
		return m
	}, cloneMember)
}

// checkSharesNothing: clone(full()) equals full(), and changing everything
// the copy reaches, in place, leaves the original as full() made it.
func checkSharesNothing[T any](t *testing.T, name string, full func() *T, clone func(*T) *T) {
	t.Helper()
	orig, want := full(), full()
	c := clone(orig)
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("a copy of a %s differs from the original", name)
	}
	scribble(t, reflect.ValueOf(c).Elem(), name)
	if reflect.DeepEqual(c, want) {
		t.Fatal("scribble changed nothing: the test checks nothing")
	}
	if !reflect.DeepEqual(orig, want) {
		t.Errorf("changing a copy of a %s changed the original", name)
	}
}

// scribble changes every value v reaches in place: through pointers, slice
// elements and map values, without replacing a container, so a container
// shared with another value shows the change there too.
func scribble(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "!")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Pointer:
		if !v.IsNil() {
			scribble(t, v.Elem(), path)
		}
	case reflect.Slice:
		for i := range v.Len() {
			scribble(t, v.Index(i), path)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.Pointer {
				scribble(t, e, path)
				continue
			}
			cp := reflect.New(e.Type()).Elem()
			cp.Set(e)
			scribble(t, cp, path)
			v.SetMapIndex(k, cp)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Hour)))
			return
		}
		for i := range v.NumField() {
			scribble(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	default:
		t.Fatalf("%s: scribble cannot change a %s; teach it (and cloneMember)", path, v.Kind())
	}
}
