package train

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
func (t *Trained) Latent(seed uint64) []float32 {
	return t.GAN.Noise(1, tensor.NewRNG(seed, "sample")).Data()
}

// Interpolate returns steps samples along the path from the latent of seed
// from to the latent of seed to: a straight line, or with slerp a great
// circle (spherical interpolation, which keeps the norm a Gaussian latent
// typically has). The result is [steps, C, H, W]; a conditional run's walk
// keeps to the class t.WalkClass.
func (t *Trained) Interpolate(from, to uint64, steps int, slerp bool) (*tensor.Tensor, error) {
	if steps < 2 {
		return nil, fmt.Errorf("interpolation needs at least 2 steps, got %d", steps)
	}
	a, b := t.Latent(from), t.Latent(to)
	z := tensor.New(steps, len(a))
	for i := 0; i < steps; i++ {
		mix(z.Data()[i*len(a):(i+1)*len(a)], a, b, float64(i)/float64(steps-1), slerp)
	}
	x := t.GAN.Sample(z)
	if t.GAN.Classes > 0 {
		x = t.GAN.SampleClasses(z, gan.ClassLabels(steps, t.WalkClass))
	}
	return x.Reshape(steps, t.Shape.C, t.Shape.H, t.Shape.W), nil
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

// InterpolationStrip returns the interpolation as one row of images.
func (t *Trained) InterpolationStrip(from, to uint64, steps int, slerp bool) (image.Image, error) {
	x, err := t.Interpolate(from, to, steps, slerp)
	if err != nil {
		return nil, err
	}
	return images.Grid(x, steps, 2), nil
}

// WriteInterpolationGIF writes the interpolation as an animated GIF that
// goes from one end to the other and back, each frame scaled up by scale.
func (t *Trained) WriteInterpolationGIF(path string, from, to uint64, steps int, slerp bool, scale int) error {
	x, err := t.Interpolate(from, to, steps, slerp)
	if err != nil {
		return err
	}
	pal := palette.Plan9
	if t.Shape.C == 1 {
		pal = make(color.Palette, 256)
		for i := range pal {
			pal[i] = color.Gray{Y: uint8(i)}
		}
	}
	n := t.Shape.Len()
	var frames []*image.Paletted
	for i := 0; i < steps; i++ {
		one := tensor.FromSlice(x.Data()[i*n:(i+1)*n], 1, t.Shape.C, t.Shape.H, t.Shape.W)
		frames = append(frames, upscale(images.Grid(one, 1, 0), scale, pal))
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
