package bot_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/studybot/studybot/bot"
	"github.com/studybot/studybot/bot/bottest"
	"github.com/studybot/studybot/roadmap"
)

// bigRoadmap is a valid 500-topic roadmap: 20 sections of 25 topics, each
// after the one before.
func bigRoadmap() []byte {
	var b strings.Builder
	b.WriteString("id = \"big\"\ntitle = \"Big\"\n")
	prev := ""
	for s := range 20 {
		fmt.Fprintf(&b, "\n[[section]]\nid = \"s%d\"\nstage = \"basics\"\ntitle = \"Section %d\"\n", s, s)
		for t := range 25 {
			id := fmt.Sprintf("s%d/t%d", s, t)
			fmt.Fprintf(&b, "\n[[section.topic]]\nid = %q\ntitle = \"Topic %d %d\"\nhours = 1\nsummary = \"A topic to learn.\"\n", id, s, t)
			if prev != "" {
				fmt.Fprintf(&b, "after = [%q]\n", prev)
			}
			prev = id
		}
	}
	return []byte(b.String())
}

// BenchmarkRoadmaps compares next and progress for members following the
// built-in roadmap with members following a 500-topic roadmap their group
// added (issue 11: within 1.5x). Both populations have the same random
// number of marks (up to the built-in's topic count), so member records are
// alike and the roadmap's size is what differs.
func BenchmarkRoadmaps(b *testing.B) {
	const n = 5000
	env := bottest.New(b)
	ctx := context.Background()
	data := bigRoadmap()
	req, _ := env.Request("mod", "roadmap add big.toml")
	req.File = &bot.File{Name: "big.toml", Data: data}
	if _, err := env.Engine.Handle(ctx, req); err != nil {
		b.Fatal(err)
	}
	big, err := roadmap.Parse("big.toml", data)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, pop := range []struct {
		prefix, follow string
		topics         []*roadmap.Topic
	}{{"b", bot.BuiltinRoadmap, roadmap.Default().Topics()}, {"c", "big", big.Topics()}} {
		for i := range n {
			_, err := env.DB.UpdateMember(ctx, bottest.Space, fmt.Sprintf("%s%05d", pop.prefix, i), func(m *bot.Member) error {
				m.Follow = pop.follow
				tr := m.WriteTrack(pop.follow)
				for _, t := range pop.topics[:rng.IntN(len(roadmap.Default().Topics()))] {
					tr.Topics.Set(t.ID, bot.Mark{Status: roadmap.Done})
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, pop := range []struct{ name, prefix string }{{"builtin", "b"}, {"custom500", "c"}} {
		for _, command := range []string{"next", "progress"} {
			b.Run(pop.name+"/"+command, func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					req := &bot.Request{Space: bottest.Space, Member: fmt.Sprintf("%s%05d", pop.prefix, i%n), Command: command}
					if _, err := env.Engine.Handle(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
