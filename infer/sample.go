package infer

import (
	"fmt"
	"image"

	"github.com/nash-gan/nash/data"
	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// sampleBatch bounds the samples generated at once by SampleEach (and so
// SampleAll, GenerateFrom, nash sample and nash serve).
const sampleBatch = 500

// ClassGridColumns is the number of samples in each row of a class grid.
const ClassGridColumns = 8

// Noise returns n noise vectors [n, ZDim] drawn from N(0, 1) with rng,
// truncated by g.Truncation.
func (g *Generator) Noise(n int, rng *tensor.RNG) *tensor.Tensor {
	z := tensor.New(n, g.Spec.ZDim)
	rng.Normal(z, 0, 1)
	if !g.Truncation.Off() {
		g.Truncation.apply(z, rng)
	}
	return z
}

// Sample returns the samples [n, …Spec.Sample] of the noise z [n, ZDim]
// (a translator's: its input images, flat, translated),
// of the classes labels [n] (integers as float32) for a conditional
// generator; labels must be nil for an unconditional one. It may be called
// from many goroutines at once.
func (g *Generator) Sample(z, labels *tensor.Tensor) (*tensor.Tensor, error) {
	n := z.Dim(0)
	if z.Dims() != 2 || z.Dim(1) != g.Spec.ZDim {
		return nil, fmt.Errorf("noise of shape %v, the generator takes [n, %d]", z.Shape(), g.Spec.ZDim)
	}
	if err := g.checkLabels(labels, n); err != nil {
		return nil, err
	}
	s := g.Spec.Sample
	if g.Spec.Data == data.Unpaired {
		// A translator's input is an image of the other domain.
		z = z.Reshape(n, s.C, s.H, s.W)
	}
	x := gan.Sample(g.Net, z, labels)
	return x.Reshape(n, s.C, s.H, s.W), nil
}

// checkLabels reports labels that do not fit the generator: missing for a
// conditional one, given for an unconditional one, of the wrong count or
// not classes.
func (g *Generator) checkLabels(labels *tensor.Tensor, n int) error {
	k := g.Spec.Classes
	switch {
	case labels == nil && k == 0:
		return nil
	case labels == nil:
		return fmt.Errorf("the generator is conditional (%d classes): each sample needs a class", k)
	case k == 0:
		return fmt.Errorf("the generator is not conditional (it was trained without --conditional), so it takes no class")
	case labels.Len() != n:
		return fmt.Errorf("%d classes for %d samples", labels.Len(), n)
	}
	for i, v := range labels.Data() {
		if v != float32(int(v)) || v < 0 || int(v) >= k {
			return fmt.Errorf("class %d is %g, not a class in [0, %d)", i, v, k)
		}
	}
	return nil
}

// mustSample is Sample for noise and labels built here to fit.
func (g *Generator) mustSample(z, labels *tensor.Tensor) *tensor.Tensor {
	x, err := g.Sample(z, labels)
	if err != nil {
		panic("infer: " + err.Error())
	}
	return x
}

// Cycle returns the classes of n samples of a conditional generator when
// none is asked for, sample i of class i mod the number of classes, as
// gan.CycleLabels; a self-conditioned generator's clusters in their
// training proportions, as gan.PriorLabels; nil for an unconditional
// generator.
func (g *Generator) Cycle(n int) *tensor.Tensor {
	switch {
	case g.Spec.Classes == 0:
		return nil
	case len(g.Spec.Clusters) > 0:
		return gan.PriorLabels(n, g.Spec.Clusters)
	}
	return gan.CycleLabels(n, g.Spec.Classes)
}

// GenerateFrom returns the samples of the noise z, sampleBatch rows at a time,
// of the classes Cycle gives.
func (g *Generator) GenerateFrom(z *tensor.Tensor) *tensor.Tensor {
	out, err := g.SampleAll(z, g.Cycle(z.Dim(0)))
	if err != nil {
		panic("infer: " + err.Error())
	}
	return out
}

// SampleAll is Sample computed sampleBatch rows at a time (SampleEach),
// so that the networks' activations stay bounded however many rows z has:
// the samples [n, C, H, W] of the noise z and labels.
func (g *Generator) SampleAll(z, labels *tensor.Tensor) (*tensor.Tensor, error) {
	s := g.Spec.Sample
	out := tensor.New(z.Dim(0), s.C, s.H, s.W)
	err := g.SampleEach(z, labels, func(lo int, x *tensor.Tensor) error {
		copy(out.Data()[lo*s.Len():], x.Data())
		return nil
	})
	return out, err
}

// Generate returns n samples from the noise of seed's "eval" stream
// (as the evaluation draws it), of the classes Cycle gives.
func (g *Generator) Generate(n int, seed uint64) *tensor.Tensor {
	return g.GenerateFrom(g.Noise(n, tensor.NewRNG(seed, "eval")))
}

// GenerateLabels returns the dataset's classes asked for in Generate's n
// samples as integers, nil for an unconditional generator and a
// self-conditioned one, whose clusters are not the dataset's classes.
func (g *Generator) GenerateLabels(n int) []int {
	y := g.Cycle(n)
	if y == nil || len(g.Spec.Clusters) > 0 {
		return nil
	}
	labels := make([]int, n)
	for i, v := range y.Data() {
		labels[i] = int(v)
	}
	return labels
}

// Samples returns n samples with the noise drawn from seed's "sample"
// stream (as nash sample --seed): of the given class for a conditional
// generator, where class −1 cycles through the classes (sample i of class i
// mod K); class must be −1 for an unconditional generator. A class out of
// range is an error naming the classes.
func (g *Generator) Samples(n int, seed uint64, class int) (*tensor.Tensor, error) {
	z := g.Noise(n, tensor.NewRNG(seed, "sample"))
	labels, err := g.Classes(n, class)
	if err != nil {
		return nil, err
	}
	return g.Sample(z, labels)
}

// Classes returns the classes of n samples as Samples chooses them: all of
// class for a conditional generator, or with class −1 sample i of class i
// mod K (Cycle); nil for an unconditional generator, which takes class −1
// only. A class out of range is an error naming the classes.
func (g *Generator) Classes(n, class int) (*tensor.Tensor, error) {
	if class == -1 {
		return g.Cycle(n), nil
	}
	if err := g.CheckClass(class); err != nil {
		return nil, err
	}
	return gan.ClassLabels(n, class), nil
}

// CheckClass reports a class the generator cannot take, in words: any
// class of an unconditional generator, and one out of range.
func (g *Generator) CheckClass(class int) error {
	switch k := g.Spec.Classes; {
	case k == 0:
		return fmt.Errorf("class %d: the run is not conditional (it was trained without --conditional), so it takes no class", class)
	case class < 0 || class >= k:
		return fmt.Errorf("class %d: the run's classes are 0 to %d (%q)", class, k-1, g.ClassNames)
	}
	return nil
}

// ClassGridNoise returns the noise of a class grid: ClassGridColumns
// vectors drawn from rng, repeated for each class, so that every column
// shares its noise and only the class changes down it.
func (g *Generator) ClassGridNoise(rng *tensor.RNG) *tensor.Tensor {
	row := g.Noise(ClassGridColumns, rng).Data()
	z := tensor.New(g.Spec.Classes*ClassGridColumns, g.Spec.ZDim)
	for k := range g.Spec.Classes {
		copy(z.Data()[k*len(row):], row)
	}
	return z
}

// ClassGridOf draws the samples of the noise z (ClassGridNoise), row k of
// class k, with the rows labelled by the class names.
func (g *Generator) ClassGridOf(z *tensor.Tensor) image.Image {
	y := tensor.New(z.Dim(0))
	for i := range y.Data() {
		y.Data()[i] = float32(i / ClassGridColumns)
	}
	return images.ClassGrid(g.mustSample(z, y), ClassGridColumns, 2, g.ClassNames)
}

// ClassGrid returns a conditional generator's class grid, one labelled row
// of ClassGridColumns samples per class, with the noise drawn from seed's
// "sample" stream. It fails for an unconditional generator.
func (g *Generator) ClassGrid(seed uint64) (image.Image, error) {
	if g.Spec.Classes == 0 {
		return nil, fmt.Errorf("the run is not conditional: it has no classes to draw")
	}
	return g.ClassGridOf(g.ClassGridNoise(tensor.NewRNG(seed, "sample"))), nil
}

// SampleEach samples the noise z [n, ZDim] and the classes labels (as
// Sample takes them) sampleBatch rows at a time and calls f with the
// index of each batch's first row and its samples, which f must not keep:
// the way to generate more samples than fit in memory at once. It stops
// at f's first error and returns it.
func (g *Generator) SampleEach(z, labels *tensor.Tensor, f func(lo int, x *tensor.Tensor) error) error {
	if z.Dims() != 2 || z.Dim(1) != g.Spec.ZDim {
		return fmt.Errorf("noise of shape %v, the generator takes [n, %d]", z.Shape(), g.Spec.ZDim)
	}
	n, d := z.Dim(0), z.Dim(1)
	if err := g.checkLabels(labels, n); err != nil {
		return err
	}
	for lo := 0; lo < n; lo += sampleBatch {
		hi := min(n, lo+sampleBatch)
		var y *tensor.Tensor
		if labels != nil {
			y = tensor.FromSlice(labels.Data()[lo:hi], hi-lo)
		}
		if err := f(lo, g.mustSample(tensor.FromSlice(z.Data()[lo*d:hi*d], hi-lo, d), y)); err != nil {
			return err
		}
	}
	return nil
}

// Image returns sample i of the samples x [n, C, H, W] as a picture, an
// *image.Gray for one channel and an *image.RGBA for three, values in
// [−1, 1] mapped to pixels as images.ToPixel maps them.
func Image(x *tensor.Tensor, i int) image.Image {
	c, h, w := x.Dim(1), x.Dim(2), x.Dim(3)
	k := c * h * w
	return images.Grid(tensor.FromSlice(x.Data()[i*k:(i+1)*k], 1, c, h, w), 1, 0)
}
