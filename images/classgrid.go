package images

import (
	"fmt"
	"image"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/nash-gan/nash/tensor"
)

// labelFace is the font of ClassGrid's labels: 7×13-pixel ASCII glyphs.
var labelFace = basicfont.Face7x13

// ClassGrid tiles a batch t [K·cols, C, H, W] of a conditional generator's
// images, cols per class, into one row per class, as Grid(t, cols, padding)
// does, and writes each row's class name, names[k] for row k, in white on
// the black margin to its left. Names are drawn in a 7×13 pixel font of
// the ASCII characters (others appear as boxes). It panics unless t holds
// len(names)·cols images.
func ClassGrid(t *tensor.Tensor, cols, padding int, names []string) image.Image {
	if cols < 1 || t.Dims() != 4 || t.Dim(0) != len(names)*cols {
		panic(fmt.Sprintf("images: ClassGrid: shape %v for %d classes of %d columns", t.Shape(), len(names), cols))
	}
	grid := Grid(t, cols, padding)
	h := t.Dim(2)
	d := &font.Drawer{Src: image.White, Face: labelFace}
	width := 0
	for _, n := range names {
		width = max(width, d.MeasureString(n).Ceil())
	}
	margin := width + 2*labelGap
	b := grid.Bounds()
	out := image.Rectangle{Max: image.Pt(b.Dx()+margin, b.Dy())}
	var dst draw.Image
	if _, grey := grid.(*image.Gray); grey {
		dst = image.NewGray(out)
	} else {
		dst = image.NewRGBA(out)
	}
	draw.Draw(dst, out, image.Black, image.Point{}, draw.Src)
	draw.Draw(dst, b.Add(image.Pt(margin, 0)), grid, image.Point{}, draw.Src)
	d.Dst = dst
	m := labelFace.Metrics()
	textHeight := (m.Ascent + m.Descent).Ceil()
	for k, n := range names {
		// Right-aligned against the images, centred on the row.
		top := padding + k*(h+padding)
		baseline := top + (h-textHeight)/2 + m.Ascent.Ceil()
		x := margin - labelGap - d.MeasureString(n).Ceil()
		d.Dot = fixed.P(x, baseline)
		d.DrawString(n)
	}
	return dst
}

// labelGap is the space in pixels on either side of a ClassGrid label.
const labelGap = 4
