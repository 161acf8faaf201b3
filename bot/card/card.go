// Package card draws a member's progress card: a PNG with their name, a one-line
// summary, an overall bar and one bar per roadmap section. Adapters attach it to a
// progress reply (bot.Reply.Image). It is the only package that rasterizes text, so
// it alone depends on golang.org/x/image and the Go fonts, which are embedded in the
// binary: the card looks the same on every host, with no system fonts needed.
package card

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/studybot/studybot/bot"
)

// Width is the card's width in pixels; the height follows from the number of bars.
const Width = 800

// MaxSections is how many section rows a card shows; the rest are summed up in a
// final "+ N more" row so a huge custom roadmap cannot make a poster-sized image.
const MaxSections = 24

// Layout, in pixels. Section rows get tighter when there are many of them, so a
// 20-section roadmap still fits a chat preview.
const (
	pad          = 40  // outer margin
	accentHeight = 6   // coloured strip along the top edge
	labelWidth   = 236 // section label column
	countWidth   = 76  // "12/34" column, right-aligned
	gutter       = 16  // between label, bar and count
	overallBarH  = 24
	sectionBarH  = 12
	rowLoose     = 34 // section row height up to looseRows rows
	rowTight     = 28
	looseRows    = 12
)

// Colours: dark text on a light card, GitHub-like so it reads in light and dark
// chat themes alike (the card carries its own background).
var (
	background = color.RGBA{0xf6, 0xf8, 0xfa, 0xff}
	accent     = color.RGBA{0x09, 0x69, 0xda, 0xff}
	ink        = color.RGBA{0x1f, 0x23, 0x28, 0xff}
	muted      = color.RGBA{0x57, 0x60, 0x6a, 0xff}
	rule       = color.RGBA{0xd0, 0xd7, 0xde, 0xff}
	track      = color.RGBA{0xdd, 0xe2, 0xe7, 0xff}
	going      = color.RGBA{0x09, 0x69, 0xda, 0xff} // in progress
	complete   = color.RGBA{0x1a, 0x7f, 0x37, 0xff} // every topic done
)

// Parsed fonts are shared; faces are made per Render because an opentype.Face keeps
// a scratch buffer and is not safe for concurrent use, while a parsed Font is.
var (
	fontsOnce     sync.Once
	regular, bold *opentype.Font
	fontsErr      error
)

func loadFonts() error {
	fontsOnce.Do(func() {
		if regular, fontsErr = opentype.Parse(goregular.TTF); fontsErr != nil {
			fontsErr = fmt.Errorf("parse go regular font: %w", fontsErr)
			return
		}
		if bold, fontsErr = opentype.Parse(gobold.TTF); fontsErr != nil {
			fontsErr = fmt.Errorf("parse go bold font: %w", fontsErr)
		}
	})
	return fontsErr
}

// faces are the sizes one card uses.
type faces struct {
	title, subtitle, heading, label, count font.Face
}

func newFaces() (*faces, error) {
	if err := loadFonts(); err != nil {
		return nil, err
	}
	mk := func(f *opentype.Font, size float64) (font.Face, error) {
		// Hinting would snap stems to pixels; unhinted outlines keep the
		// antialiased text closest to the design at these sizes.
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	}
	var fs faces
	for _, s := range []struct {
		dst  *font.Face
		f    *opentype.Font
		size float64
	}{
		{&fs.title, bold, 30},
		{&fs.subtitle, regular, 18},
		{&fs.heading, bold, 18},
		{&fs.label, regular, 16},
		{&fs.count, regular, 15},
	} {
		face, err := mk(s.f, s.size)
		if err != nil {
			return nil, fmt.Errorf("new font face: %w", err)
		}
		*s.dst = face
	}
	return &fs, nil
}

// Render draws a progress card and returns it as PNG. title is usually the member's
// name, subtitle a one-line summary; text the Go fonts cannot draw (emoji, CJK) is
// replaced or dropped rather than drawn as boxes. bars[0] is the overall bar and is
// drawn large; the others are one row each. Done is clamped to [0, Total]. The same
// input always gives the same bytes.
func Render(title, subtitle string, bars []bot.Bar) ([]byte, error) {
	bufs, err := drawCard(title, subtitle, bars)
	if err != nil {
		return nil, err
	}
	defer canvases.Put(bufs)
	paletted(bufs.rgba, bufs.pal)
	buf := bytes.NewBuffer(make([]byte, 0, 32<<10))
	if err := encoder.Encode(buf, bufs.pal); err != nil {
		return nil, fmt.Errorf("encode card png: %w", err)
	}
	return buf.Bytes(), nil
}

// drawCard draws the card in true colour into pooled buffers (put them back
// with canvases.Put).
func drawCard(title, subtitle string, bars []bot.Bar) (*buffers, error) {
	fs, err := newFaces()
	if err != nil {
		return nil, err
	}
	var overall *bot.Bar
	var sections []bot.Bar
	if len(bars) > 0 {
		overall, sections = &bars[0], bars[1:]
	}
	var more bot.Bar // sections beyond MaxSections, summed into one row
	if len(sections) > MaxSections {
		for _, b := range sections[MaxSections-1:] {
			d, t := clamp(b)
			more.Done += d
			more.Total += t
		}
		more.Label = "+ " + strconv.Itoa(len(sections)-MaxSections+1) + " more sections"
		sections = append(sections[:MaxSections-1:MaxSections-1], more)
	}
	rowH := rowLoose
	if len(sections) > looseRows {
		rowH = rowTight
	}

	titleH := lineHeight(fs.title)
	subH := lineHeight(fs.subtitle)
	headH := lineHeight(fs.heading)
	height := accentHeight + pad + titleH + 6 + subH + pad
	if overall != nil {
		height += 24 + headH + 8 + overallBarH
	}
	if len(sections) > 0 {
		height += 28 + 1 + 14 + len(sections)*rowH
	}

	bufs := getBuffers(image.Rect(0, 0, Width, height))
	img := bufs.rgba
	draw.Draw(img, img.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 0, Width, accentHeight), image.NewUniform(accent), image.Point{}, draw.Src)

	c := canvas{img: img}
	inner := Width - 2*pad
	y := accentHeight + pad
	c.text(fs.title, ink, pad, y, fit(fs.title, clean(title, bold), inner))
	y += titleH + 6
	c.text(fs.subtitle, muted, pad, y, fit(fs.subtitle, clean(subtitle, regular), inner))
	y += subH

	if overall != nil {
		y += 24
		done, total := clamp(*overall)
		right := count(done, total) + "  ·  " + strconv.Itoa(percent(done, total)) + "%"
		rw := measure(fs.heading, right)
		c.text(fs.heading, ink, Width-pad-rw, y, right)
		c.text(fs.heading, ink, pad, y, fit(fs.heading, clean(overall.Label, bold), inner-rw-gutter))
		y += headH + 8
		c.bar(image.Rect(pad, y, Width-pad, y+overallBarH), done, total)
		y += overallBarH
	}

	if len(sections) > 0 {
		y += 28
		draw.Draw(img, image.Rect(pad, y, Width-pad, y+1), image.NewUniform(rule), image.Point{}, draw.Src)
		y += 1 + 14
		barX0 := pad + labelWidth + gutter
		barX1 := Width - pad - countWidth - gutter
		// Centre the label's x-height band on the bar, which is what the eye
		// reads as "aligned" (centring the full line box sits it too low).
		m := fs.label.Metrics()
		xh := m.XHeight.Round()
		for _, b := range sections {
			done, total := clamp(b)
			mid := y + rowH/2
			baseline := mid + xh/2
			c.textBaseline(fs.label, ink, pad, baseline, fit(fs.label, clean(b.Label, regular), labelWidth))
			n := count(done, total)
			c.textBaseline(fs.count, muted, Width-pad-measure(fs.count, n), baseline, n)
			top := mid - sectionBarH/2
			c.bar(image.Rect(barX0, top, barX1, top+sectionBarH), done, total)
			y += rowH
		}
	}

	return bufs, nil
}

// encoder favours speed: encoding was most of a render's cost (see palette.go
// for why the card is paletted). Its buffers are pooled across calls; the
// output is the same bytes either way.
var encoder = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: new(encoderPool)}

type encoderPool sync.Pool

func (p *encoderPool) Get() *png.EncoderBuffer {
	b, _ := (*sync.Pool)(p).Get().(*png.EncoderBuffer)
	return b
}

func (p *encoderPool) Put(b *png.EncoderBuffer) { (*sync.Pool)(p).Put(b) }

// clamp returns Done and Total with Total >= 0 and 0 <= Done <= Total, so a stale
// count (a topic removed from a custom roadmap) never overflows its bar.
func clamp(b bot.Bar) (done, total int) {
	total = max(b.Total, 0)
	done = min(max(b.Done, 0), total)
	return done, total
}

func percent(done, total int) int {
	return bot.Bar{Done: done, Total: total}.Percent()
}

func count(done, total int) string {
	return strconv.Itoa(done) + "/" + strconv.Itoa(total)
}

// lineHeight is the face's ascent plus descent in whole pixels.
func lineHeight(f font.Face) int {
	m := f.Metrics()
	return (m.Ascent + m.Descent).Ceil()
}

func measure(f font.Face, s string) int {
	return font.MeasureString(f, s).Ceil()
}

// fit shortens s with an ellipsis so it is at most width pixels wide.
func fit(f font.Face, s string, width int) string {
	if measure(f, s) <= width {
		return s
	}
	const ellipsis = "…"
	limit := fixed.I(width) - font.MeasureString(f, ellipsis)
	var adv fixed.Int26_6
	prev := rune(-1)
	cut := 0
	for i, r := range s {
		if prev >= 0 {
			adv += f.Kern(prev, r)
		}
		a, _ := f.GlyphAdvance(r)
		if adv+a > limit {
			break
		}
		adv += a
		prev = r
		cut = i + len(string(r))
	}
	return strings.TrimRight(s[:cut], " ·-–—,.:;") + ellipsis
}

// canvas draws text and bars on the card.
type canvas struct {
	img *image.RGBA
	// masks caches the rounded-bar alpha mask per size: every section bar has the
	// same size, so the outline is rasterized once per card, not once per row.
	masks map[image.Point]*image.Alpha
}

// text draws s with the top of its line box at y.
func (c *canvas) text(f font.Face, col color.Color, x, y int, s string) {
	c.textBaseline(f, col, x, y+f.Metrics().Ascent.Ceil(), s)
}

func (c *canvas) textBaseline(f font.Face, col color.Color, x, baseline int, s string) {
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: f, Dot: fixed.P(x, baseline)}
	d.DrawString(s)
}

// bar draws a rounded track in r filled done/total from the left; the fill is
// clipped by the track's antialiased outline so its rounded ends stay smooth at
// any fraction.
func (c *canvas) bar(r image.Rectangle, done, total int) {
	mask := c.mask(r.Size())
	draw.DrawMask(c.img, r, image.NewUniform(track), image.Point{}, mask, image.Point{}, draw.Over)
	if total <= 0 || done <= 0 {
		return
	}
	fill := going
	if done == total {
		fill = complete
	}
	w := (r.Dx()*done + total/2) / total
	// A sliver thinner than the rounded cap would vanish in the antialiasing;
	// any progress at all stays visible.
	w = max(w, r.Dy()/2)
	fr := image.Rect(r.Min.X, r.Min.Y, r.Min.X+w, r.Max.Y)
	draw.DrawMask(c.img, fr, image.NewUniform(fill), image.Point{}, mask, image.Point{}, draw.Over)
}

func (c *canvas) mask(size image.Point) *image.Alpha {
	if m, ok := c.masks[size]; ok {
		return m
	}
	w, h := float32(size.X), float32(size.Y)
	rad := h / 2
	// Quarter circles as cubic Béziers: k is the standard control distance.
	const k = 0.5523
	z := vector.NewRasterizer(size.X, size.Y)
	z.MoveTo(rad, 0)
	z.LineTo(w-rad, 0)
	z.CubeTo(w-rad+k*rad, 0, w, rad-k*rad, w, rad)
	z.CubeTo(w, rad+k*rad, w-rad+k*rad, h, w-rad, h)
	z.LineTo(rad, h)
	z.CubeTo(rad-k*rad, h, 0, rad+k*rad, 0, rad)
	z.CubeTo(0, rad-k*rad, rad-k*rad, 0, rad, 0)
	z.ClosePath()
	m := image.NewAlpha(image.Rect(0, 0, size.X, size.Y))
	z.Draw(m, m.Bounds(), image.Opaque, image.Point{})
	if c.masks == nil {
		c.masks = map[image.Point]*image.Alpha{}
	}
	c.masks[size] = m
	return m
}
