package discord

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestFastDecodeKnowsEveryField: each key list of fastDecode names exactly
// the JSON fields of the wire struct it fills. A field added to a wire
// struct but not to its list would be left empty by the fast path without
// an error; this fails instead.
func TestFastDecodeKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		keys []string
		v    any
	}{
		{topKeys, wireInteraction{}},
		{memberKeys, wireMember{}},
		{userKeys, wireUser{}},
		{messageKeys, wireMessage{}},
		{dataKeys, wireData{}},
		{optionKeys, discordgo.ApplicationCommandInteractionDataOption{}}, // the SDK's: an upgrade that adds a field fails here
	} {
		typ := reflect.TypeOf(c.v)
		var fields []string
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields = append(fields, name)
			}
		}
		got, want := slices.Sorted(slices.Values(c.keys)), slices.Sorted(slices.Values(fields))
		if !slices.Equal(got, want) {
			t.Errorf("%s: fastDecode's keys %v, the struct's fields %v", typ.Name(), got, want)
		}
	}
}
