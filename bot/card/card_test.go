package card

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"

	"github.com/studybot/studybot/bot"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// backend is a progress card as the engine sends it for the built-in roadmap.
func backend() (title, subtitle string, bars []bot.Bar) {
	return "Ada Lovelace · Backend Developer", "12 of 58 topics · 🔥 streak 4 days", []bot.Bar{
		{Label: "Overall", Done: 12, Total: 58},
		{Label: "Internet", Done: 6, Total: 6},
		{Label: "Frontend basics", Done: 3, Total: 3},
		{Label: "OS and general knowledge", Done: 2, Total: 5},
		{Label: "A language", Done: 1, Total: 4},
		{Label: "Databases", Done: 0, Total: 7},
		{Label: "A framework", Done: 0, Total: 3},
		{Label: "APIs", Done: 0, Total: 6},
		{Label: "Caching", Done: 0, Total: 3},
		{Label: "Web security", Done: 0, Total: 5},
		{Label: "Testing", Done: 0, Total: 4},
		{Label: "CI/CD and Docker and a label far too long for its column", Done: 0, Total: 4},
		{Label: "Architectural patterns", Done: 0, Total: 5},
		{Label: "Web servers", Done: 0, Total: 3},
	}
}

func TestRenderGolden(t *testing.T) {
	got, err := Render(backend())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "backend.golden.png")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	// Compare pixels, not bytes: the PNG encoder's output may change between Go
	// versions while the picture stays the same.
	if !samePixels(t, got, want) {
		// Keep the new card where a person can look at it next to the golden one.
		out := filepath.Join(os.TempDir(), "card-backend.got.png")
		if err := os.WriteFile(out, got, 0o644); err != nil {
			t.Log(err)
		}
		t.Errorf("card differs from %s (%d bytes, want %d); compare it with %s and rerun with -update if the change is intended", golden, len(got), len(want), out)
	}
}

func TestRenderDeterministic(t *testing.T) {
	a, err := Render(backend())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(backend())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two renders of the same input differ")
	}
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode png: %v", err)
	}
	return img
}

// bars returns n bars: the overall one and n-1 sections.
func bars(n int) []bot.Bar {
	if n == 0 {
		return nil
	}
	out := []bot.Bar{{Label: "Overall", Done: n, Total: 3 * n}}
	for i := range n - 1 {
		out = append(out, bot.Bar{Label: "Section " + strings.Repeat("x", i%7), Done: i % 4, Total: 3})
	}
	return out
}

func TestRenderSize(t *testing.T) {
	prev := 0
	for _, n := range []int{0, 1, 2, 5, 14, 21} {
		img := decode(t, render(t, "Ada", "summary", bars(n)))
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if w != Width {
			t.Errorf("%d bars: width %d, want %d", n, w, Width)
		}
		if h <= prev {
			t.Errorf("%d bars: height %d, want more than %d (the card for one bar fewer)", n, h, prev)
		}
		prev = h
	}
	// 20 sections still fit a chat preview.
	if prev > 900 {
		t.Errorf("21 bars: height %d, want at most 900", prev)
	}
}

func TestRenderCapsSections(t *testing.T) {
	capped := decode(t, render(t, "Ada", "", bars(MaxSections+1)))
	many := decode(t, render(t, "Ada", "", bars(200)))
	if got, want := many.Bounds(), capped.Bounds(); got != want {
		t.Errorf("200 bars: bounds %v, want %v (MaxSections rows)", got, want)
	}
}

func render(t *testing.T, title, subtitle string, bars []bot.Bar) []byte {
	t.Helper()
	b, err := Render(title, subtitle, bars)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRenderEdgeCases(t *testing.T) {
	long := strings.Repeat("Distributed systems ", 3)[:50]
	for _, tc := range []struct {
		name            string
		title, subtitle string
		bars            []bot.Bar
	}{
		{"NoBars", "Ada", "0 of 0 topics", nil},
		{"EmptyStrings", "", "", []bot.Bar{{}}},
		{"TotalZero", "Ada", "", []bot.Bar{{Label: "Overall"}, {Label: "Empty", Done: 3}}},
		{"DoneOverTotal", "Ada", "", []bot.Bar{{Label: "Overall", Done: 70, Total: 58}, {Label: "Over", Done: 9, Total: 6}}},
		{"Negative", "Ada", "", []bot.Bar{{Label: "Overall", Done: -1, Total: -5}, {Label: "Neg", Done: -3, Total: 4}}},
		{"LongLabels", long + long, long + long + long, []bot.Bar{{Label: long, Done: 1, Total: 2}, {Label: long, Done: 1, Total: 2}, {Label: strings.Repeat("W", 50), Done: 1, Total: 2}}},
		{"NonLatin", "田中太郎 · Иван · مرحبا", "🔥🔥 ✅ 4️⃣ ‍👩‍💻 ไทย", []bot.Bar{{Label: "Общее", Done: 1, Total: 2}, {Label: "データベース", Done: 1, Total: 2}, {Label: "שלום עולם", Done: 2, Total: 2}}},
		{"InvalidUTF8", "\xff\xfe", "a\x00b\tc\n", []bot.Bar{{Label: "\xc3", Done: 1, Total: 1}}},
		{"HugeCounts", "Ada", "", []bot.Bar{{Label: "Overall", Done: 1 << 30, Total: 1 << 30}, {Label: "Big", Done: 999999, Total: 1000000}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := decode(t, render(t, tc.title, tc.subtitle, tc.bars))
			if img.Bounds().Dx() != Width {
				t.Errorf("width %d, want %d", img.Bounds().Dx(), Width)
			}
		})
	}
}

// A count past the total draws exactly like a full bar, and a negative one like an
// empty bar.
func TestRenderClamps(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want bot.Bar
	}{
		{"DoneOverTotal", bot.Bar{Label: "S", Done: 9, Total: 6}, bot.Bar{Label: "S", Done: 6, Total: 6}},
		{"NegativeDone", bot.Bar{Label: "S", Done: -2, Total: 6}, bot.Bar{Label: "S", Done: 0, Total: 6}},
		{"NegativeTotal", bot.Bar{Label: "S", Done: 2, Total: -6}, bot.Bar{Label: "S", Done: 0, Total: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, "Ada", "", []bot.Bar{tc.got, tc.got})
			want := render(t, "Ada", "", []bot.Bar{tc.want, tc.want})
			// Compare pixels, not bytes: the PNG encoder's output may change between Go
			// versions while the picture stays the same.
			if !samePixels(t, got, want) {
				t.Errorf("card for %+v differs from card for %+v", tc.got, tc.want)
			}
		})
	}
}

// Faces are per call, so concurrent renders must not race (run with -race).
func TestRenderConcurrent(t *testing.T) {
	title, subtitle, bs := backend()
	want := render(t, title, subtitle, bs)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, err := Render(backend())
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("concurrent render: err %v, equal %v", err, bytes.Equal(got, want))
			}
		})
	}
	wg.Wait()
}

func TestClean(t *testing.T) {
	if err := loadFonts(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"EmojiDropped", "12 of 58 topics · 🔥 streak 4 days", "12 of 58 topics · streak 4 days"},
		{"LatinKept", "Zoë Ørsted – “ok” …", "Zoë Ørsted – “ok” …"},
		{"CyrillicGreekKept", "Иван Ωμέγα", "Иван Ωμέγα"},
		{"CJKQuestionMarks", "田中 Ada", "?? Ada"},
		{"TickDropped", "✓ done", "done"},
		{"StarSubstituted", "★ star", "* star"},
		{"ZeroWidthDropped", "a\u200bb\u200dc", "abc"},
		{"KeycapKeepsDigit", "4️⃣ days", "4 days"},
		{"SpacesCollapse", "  a \t\n b  ", "a b"},
		{"ThinSpace", "4\u2009days", "4 days"},
		{"ControlDropped", "a\x00b", "ab"},
		{"OnlyEmoji", "🔥✅", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := clean(tc.in, regular); got != tc.want {
				t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzClean checks the promise that matters: whatever members type, every rune left
// has a glyph in both fonts, so the card never shows a missing-glyph box.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"🔥 streak", "田中", "Zoë", "a\u200db", "\xff", "ไทย ✅", "4️⃣"} {
		f.Add(s)
	}
	if err := loadFonts(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf sfnt.Buffer
		got := clean(s, regular)
		if !utf8.ValidString(got) {
			t.Fatalf("clean(%q) = %q, not valid UTF-8", s, got)
		}
		for _, r := range got {
			if r == ' ' {
				continue
			}
			if !has(regular, &buf, r) || !has(bold, &buf, r) {
				t.Fatalf("clean(%q) = %q keeps %q (%U), which the Go fonts lack", s, got, r, r)
			}
		}
	})
}

func TestFit(t *testing.T) {
	fs, err := newFaces()
	if err != nil {
		t.Fatal(err)
	}
	if got := fit(fs.label, "Caching", labelWidth); got != "Caching" {
		t.Errorf("fit(short) = %q, want it unchanged", got)
	}
	for _, s := range []string{strings.Repeat("W", 50), strings.Repeat("Web security ", 5), "Architectural patterns and more words"} {
		got := fit(fs.label, s, labelWidth)
		if !strings.HasSuffix(got, "…") {
			t.Errorf("fit(%q) = %q, want an ellipsis", s, got)
		}
		if w := measure(fs.label, got); w > labelWidth {
			t.Errorf("fit(%q) = %q is %d px, want at most %d", s, got, w, labelWidth)
		}
	}
}

// BenchmarkRender measures the card the progress command sends for the built-in
// roadmap (13 sections), in ms per card (target: at most 8 ms on 2 cores).
// Before the card was paletted it took 15-23 ms, 77% of it PNG encoding.
func BenchmarkRender(b *testing.B) {
	title, subtitle, bs := backend()
	b.ReportAllocs()
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		if _, err := Render(title, subtitle, bs); err != nil {
			b.Fatal(err)
		}
	}
	reportCard(b, start, cpu)
}

func samePixels(t *testing.T, a, b []byte) bool {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ia.Bounds() != ib.Bounds() {
		return false
	}
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if ia.At(x, y) != ib.At(x, y) {
				return false
			}
		}
	}
	return true
}

// TestPaletteCoversDrawing maps true-colour cards onto the card's palette:
// no pixel may move by more than 3 of 255 in any channel, so the palette
// holds every colour the drawing makes (see palette.go).
func TestPaletteCoversDrawing(t *testing.T) {
	title, subtitle, bs := backend()
	for _, in := range [][]bot.Bar{bs, bars(30), {{Label: "Overall", Done: 1, Total: 3}}, nil} {
		bufs, err := drawCard(title, subtitle, in)
		if err != nil {
			t.Fatal(err)
		}
		paletted(bufs.rgba, bufs.pal)
		r := bufs.rgba.Bounds()
		worst := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				a := bufs.rgba.RGBAAt(x, y)
				b := cardPalette[bufs.pal.ColorIndexAt(x, y)].(color.RGBA)
				for _, d := range []int{int(a.R) - int(b.R), int(a.G) - int(b.G), int(a.B) - int(b.B), int(a.A) - int(b.A)} {
					worst = max(worst, d, -d)
				}
			}
		}
		if worst > 3 {
			t.Errorf("%d bars: a pixel moved by %d of 255 on the palette", len(in), worst)
		}
	}
	if len(cardPalette) > 256 {
		t.Errorf("palette has %d colours", len(cardPalette))
	}
}

// BenchmarkRenderTrueColour is the card as it was encoded before it was
// paletted (RGBA at BestSpeed), to compare with BenchmarkRender in the same
// run on a shared machine.
func BenchmarkRenderTrueColour(b *testing.B) {
	title, subtitle, bs := backend()
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		bufs, err := drawCard(title, subtitle, bs)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := encoder.Encode(&buf, bufs.rgba); err != nil {
			b.Fatal(err)
		}
		canvases.Put(bufs)
	}
	reportCard(b, start, cpu)
}

// reportCard reports wall and CPU milliseconds per card. On a machine
// shared with other work the CPU figure is the steadier one: waiting for a
// core stretches wall time only.
func reportCard(b *testing.B, start time.Time, cpu time.Duration) {
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/card")
	if c := cpuTime() - cpu; cpu > 0 {
		b.ReportMetric(float64(c.Microseconds())/1000/float64(b.N), "cpu-ms/card")
	}
}
