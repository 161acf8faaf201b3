package card

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"sync"
	"sync/atomic"
)

// Why a paletted PNG rather than a cache of PNGs per progress state: the card
// carries the member's name and streak, so two members, or one member a day
// later, never share a card and a cache would mostly miss, while every miss
// would still pay the full encode. Encoding was three quarters of a render,
// and most of that was image/png choosing a filter per row, which it skips for
// paletted images; one byte per pixel also gives deflate a quarter of the
// input. So the card is drawn as before and then mapped onto its own palette,
// which holds every colour the drawing can make: the flat colours, and for
// each antialiased edge the blend from background to its colour in
// rampSteps steps. Text is drawn only on the background, and a bar's fill
// only over its own track with the same mask, so those ramps are all the
// blends there are; a step of 1/50 is below what the eye tells apart.
const rampSteps = 50

// cardPalette is built once: background first (the most common pixel), the
// flat accent and rule, then the ramps.
var cardPalette = buildPalette()

func buildPalette() color.Palette {
	p := color.Palette{background, accent, rule}
	over := func(fg, bg color.RGBA, a float64) color.RGBA {
		mix := func(f, b uint8) uint8 { return uint8(float64(f)*a + float64(b)*(1-a) + 0.5) }
		return color.RGBA{mix(fg.R, bg.R), mix(fg.G, bg.G), mix(fg.B, bg.B), 0xff}
	}
	for k := 1; k <= rampSteps; k++ {
		a := float64(k) / rampSteps
		t := over(track, background, a) // a bar's antialiased outline
		p = append(p,
			over(ink, background, a),
			over(muted, background, a),
			t,
			over(going, t, a), // a fill drawn over its track through the same mask
			over(complete, t, a),
		)
	}
	if len(p) > 256 {
		panic("card palette has more than 256 colours")
	}
	return p
}

// nearest maps a drawn RGBA colour (as R|G<<8|B<<16|A<<24) to its palette
// index. The drawing makes the same few hundred colours on every card, so the
// map learnt so far is shared by all renders: read lock-free, and replaced by
// a merged copy when a render met colours it did not hold. maxNearest bounds
// it should odd input ever make many more.
var (
	nearest   atomic.Pointer[map[uint32]uint8]
	nearestMu sync.Mutex
)

const maxNearest = 1 << 14

// paletted maps img onto cardPalette. Runs of one colour, most of the card,
// cost one comparison per pixel.
// It overwrites every pixel of out, which has img's bounds.
func paletted(img *image.RGBA, out *image.Paletted) {
	known := map[uint32]uint8{}
	if m := nearest.Load(); m != nil {
		known = *m
	}
	var learnt map[uint32]uint8
	lookup := func(c uint32) uint8 {
		if idx, ok := known[c]; ok {
			return idx
		}
		if idx, ok := learnt[c]; ok {
			return idx
		}
		idx := uint8(cardPalette.Index(color.RGBA{uint8(c), uint8(c >> 8), uint8(c >> 16), uint8(c >> 24)}))
		if learnt == nil {
			learnt = map[uint32]uint8{}
		}
		learnt[c] = idx
		return idx
	}
	r := img.Bounds()
	w := r.Dx()
	last := binary.LittleEndian.Uint32(img.Pix)
	lastIdx := lookup(last)
	// A row of background only (margins, gaps between rows: about a third
	// of the card) is told by one memory comparison and filled with index 0.
	bgRow := backgroundRow(w)
	for y := 0; y < r.Dy(); y++ {
		src := img.Pix[y*img.Stride : y*img.Stride+4*w]
		dst := out.Pix[y*out.Stride : y*out.Stride+w]
		if bytes.Equal(src, bgRow) {
			clear(dst) // background is palette index 0
			continue
		}
		for x := range dst {
			if c := binary.LittleEndian.Uint32(src[4*x:]); c != last {
				last, lastIdx = c, lookup(c)
			}
			dst[x] = lastIdx
		}
	}
	if len(learnt) > 0 {
		nearestMu.Lock()
		old := map[uint32]uint8{}
		if m := nearest.Load(); m != nil {
			old = *m
		}
		if len(old)+len(learnt) <= maxNearest {
			merged := make(map[uint32]uint8, len(old)+len(learnt))
			for k, v := range old {
				merged[k] = v
			}
			for k, v := range learnt {
				merged[k] = v
			}
			nearest.Store(&merged)
		}
		nearestMu.Unlock()
	}
}

// bgRows holds one row of background pixels in RGBA, per card width.
var bgRows sync.Map // int -> []byte

func backgroundRow(w int) []byte {
	if row, ok := bgRows.Load(w); ok {
		return row.([]byte)
	}
	row := make([]byte, 4*w)
	for i := 0; i < len(row); i += 4 {
		row[i], row[i+1], row[i+2], row[i+3] = background.R, background.G, background.B, background.A
	}
	bgRows.Store(w, row)
	return row
}

// canvases keeps the RGBA drawing and its paletted copy, about 3 MB for a
// full card, from one render to the next instead of allocating and clearing
// them each time: both are overwritten whole (the background fill, paletted).
var canvases sync.Pool

type buffers struct {
	rgba *image.RGBA
	pal  *image.Paletted
}

func getBuffers(r image.Rectangle) *buffers {
	b, _ := canvases.Get().(*buffers)
	if b == nil {
		b = &buffers{rgba: &image.RGBA{}, pal: &image.Paletted{Palette: cardPalette}}
	}
	n := r.Dx() * r.Dy()
	if cap(b.pal.Pix) < n {
		b.rgba.Pix = make([]uint8, 4*n)
		b.pal.Pix = make([]uint8, n)
	}
	b.rgba.Pix, b.rgba.Stride, b.rgba.Rect = b.rgba.Pix[:4*n], 4*r.Dx(), r
	b.pal.Pix, b.pal.Stride, b.pal.Rect = b.pal.Pix[:n], r.Dx(), r
	return b
}
