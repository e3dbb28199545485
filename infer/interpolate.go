package infer

import (
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"io"
	"math"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/internal/atomicfile"
	"github.com/nash-gan/nash/tensor"
)

// Latent returns the generator noise vector that seed selects: the first
// row that nash sample --seed S draws.
func (g *Generator) Latent(seed uint64) []float32 {
	return g.Noise(1, tensor.NewRNG(seed, "sample")).Data()
}

// Walk is a path through the latent space: from the latent of seed From to
// the latent of seed To in Steps samples, ends included, along a straight
// line or, with Slerp, a great circle (spherical interpolation, which keeps
// the norm a Gaussian latent typically has). A conditional generator's
// walk keeps to the class Class.
type Walk struct {
	From, To uint64
	Steps    int
	Slerp    bool
	Class    int
}

// Interpolate returns the samples [Steps, C, H, W] along the walk w.
func (g *Generator) Interpolate(w Walk) (*tensor.Tensor, error) {
	z, labels, err := g.WalkInputs(w)
	if err != nil {
		return nil, err
	}
	return g.Sample(z, labels)
}

// WalkInputs returns the latent vectors [Steps, ZDim] along the walk w and,
// for a conditional generator, their classes: what Interpolate samples.
func (g *Generator) WalkInputs(w Walk) (z, labels *tensor.Tensor, err error) {
	if w.Steps < 2 {
		return nil, nil, fmt.Errorf("interpolation needs at least 2 steps, got %d", w.Steps)
	}
	if g.Spec.Classes > 0 {
		if err := g.CheckClass(w.Class); err != nil {
			return nil, nil, err
		}
		labels = gan.ClassLabels(w.Steps, w.Class)
	}
	a, b := g.Latent(w.From), g.Latent(w.To)
	z = tensor.New(w.Steps, len(a))
	for i := 0; i < w.Steps; i++ {
		mix(z.Data()[i*len(a):(i+1)*len(a)], a, b, float64(i)/float64(w.Steps-1), w.Slerp)
	}
	return z, labels, nil
}

// mix sets dst to the point at fraction f of the way from a to b.
func mix(dst, a, b []float32, f float64, slerp bool) {
	wa, wb := 1-f, f
	if slerp {
		var dot, na, nb float64
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
			na += float64(a[i]) * float64(a[i])
			nb += float64(b[i]) * float64(b[i])
		}
		omega := math.Acos(math.Max(-1, math.Min(1, dot/math.Sqrt(na*nb))))
		// Nearly parallel latents: the great circle is the straight line.
		if s := math.Sin(omega); s > 1e-6 {
			wa, wb = math.Sin((1-f)*omega)/s, math.Sin(f*omega)/s
		}
	}
	for i := range dst {
		dst[i] = float32(wa*float64(a[i]) + wb*float64(b[i]))
	}
}

// InterpolationStrip returns the walk as one row of images.
func (g *Generator) InterpolationStrip(w Walk) (image.Image, error) {
	x, err := g.Interpolate(w)
	if err != nil {
		return nil, err
	}
	return images.Grid(x, w.Steps, 2), nil
}

// WriteInterpolationGIF writes the interpolation as an animated GIF that
// goes from one end to the other and back, each frame scaled up by scale.
func (g *Generator) WriteInterpolationGIF(path string, w Walk, scale int) error {
	steps := w.Steps
	x, err := g.Interpolate(w)
	if err != nil {
		return err
	}
	pal := palette.Plan9
	shape := g.Spec.Sample
	if shape.C == 1 {
		pal = make(color.Palette, 256)
		for i := range pal {
			pal[i] = color.Gray{Y: uint8(i)}
		}
	}
	var frames []*image.Paletted
	for i := 0; i < steps; i++ {
		frames = append(frames, upscale(Image(x, i), scale, pal))
	}
	anim := &gif.GIF{}
	order := make([]int, 0, 2*steps)
	for i := 0; i < steps; i++ {
		order = append(order, i)
	}
	for i := steps - 2; i > 0; i-- {
		order = append(order, i)
	}
	for _, i := range order {
		anim.Image = append(anim.Image, frames[i])
		anim.Delay = append(anim.Delay, 10)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return gif.EncodeAll(w, anim) })
}

// upscale draws img scale times larger in the palette, by pixel repetition.
func upscale(img image.Image, scale int, palette color.Palette) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(image.Rect(0, 0, b.Dx()*scale, b.Dy()*scale), palette)
	for y := 0; y < b.Dy()*scale; y++ {
		for x := 0; x < b.Dx()*scale; x++ {
			out.Set(x, y, img.At(b.Min.X+x/scale, b.Min.Y+y/scale))
		}
	}
	return out
}
