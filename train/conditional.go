package train

import (
	"fmt"
	"image"

	"github.com/nash-gan/nash/gan"
	"github.com/nash-gan/nash/images"
	"github.com/nash-gan/nash/tensor"
)

// classGridColumns is the number of samples in each row of a class grid.
const classGridColumns = 8

// classes is a session's conditional state: the batch's labels, as the data
// source fills them and as the GAN takes them, and the noise of the class
// grids. All are empty in an unconditional run.
type classes struct {
	classNames []string
	labels     []int
	labelT     *tensor.Tensor
	classZ     *tensor.Tensor
}

// initClasses prepares a conditional session for its classes, named by
// label; it does nothing for an unconditional one.
func (s *session) initClasses(names []string) {
	if !s.cfg.Conditional {
		return
	}
	s.classNames = names
	s.labels = make([]int, s.cfg.Batch)
	s.labelT = tensor.New(s.cfg.Batch)
	s.classZ = classGridNoise(s.gan, len(names), tensor.NewRNG(s.cfg.Seed, "class grid"))
}

// stepGAN performs one GAN step on the real batch, with its labels in a
// conditional run.
func (s *session) stepGAN(real *tensor.Tensor) gan.Stats {
	if !s.cfg.Conditional {
		return s.gan.Step(real, s.noise)
	}
	n := real.Dim(0)
	y := s.labelT
	if n != y.Len() {
		y = tensor.New(n)
	}
	for i, l := range s.labels[:n] {
		y.Data()[i] = float32(l)
	}
	return s.gan.StepClasses(real, y, s.noise)
}

// saveClassGrid writes a conditional run's class grid of the current step.
func (s *session) saveClassGrid() error {
	if !s.cfg.Conditional {
		return nil
	}
	return images.WritePNG(s.run.ClassGridPath(s.step), classGrid(s.gan, s.classZ, s.classNames, s.shape))
}

// classGridNoise returns the noise of a class grid: classGridColumns
// vectors drawn from rng, repeated for each of the classes, so that every
// column shares its noise and only the class changes down it.
func classGridNoise(g *gan.GAN, classes int, rng *tensor.RNG) *tensor.Tensor {
	row := g.Noise(classGridColumns, rng).Data()
	z := tensor.New(classes*classGridColumns, g.ZDim)
	for k := range classes {
		copy(z.Data()[k*len(row):], row)
	}
	return z
}

// classGrid draws the generator's samples for noise z (classGridNoise),
// row k of class k, with the rows labelled by names.
func classGrid(g *gan.GAN, z *tensor.Tensor, names []string, shape Shape) image.Image {
	y := tensor.New(z.Dim(0))
	for i := range y.Data() {
		y.Data()[i] = float32(i / classGridColumns)
	}
	x := g.SampleClasses(z, y)
	return images.ClassGrid(x.Reshape(x.Dim(0), shape.C, shape.H, shape.W), classGridColumns, 2, names)
}

// ClassGrid returns the trained conditional generator's class grid, one
// labelled row of classGridColumns samples per class, with the noise drawn
// from seed. It fails for an unconditional run.
func (t *Trained) ClassGrid(seed uint64) (image.Image, error) {
	if t.GAN.Classes == 0 {
		return nil, fmt.Errorf("the run is not conditional: it has no classes to draw")
	}
	z := classGridNoise(t.GAN, t.GAN.Classes, tensor.NewRNG(seed, "sample"))
	return classGrid(t.GAN, z, t.ClassNames, t.Shape), nil
}

// Samples returns n samples [n, C, H, W] from the trained generator with the
// noise drawn from seed (as nash sample --seed): of the given class for a
// conditional run, where class −1 cycles through the classes (sample i of
// class i mod K); class must be −1 for an unconditional run. A class out
// of range is an error naming the run's classes.
func (t *Trained) Samples(n int, seed uint64, class int) (*tensor.Tensor, error) {
	z := t.GAN.Noise(n, tensor.NewRNG(seed, "sample"))
	var x *tensor.Tensor
	switch k := t.GAN.Classes; {
	case class >= 0 && k == 0:
		return nil, fmt.Errorf("class %d: the run is not conditional (it was trained without --conditional), so it takes no class", class)
	case class >= k:
		return nil, fmt.Errorf("class %d: the run's classes are 0 to %d (%q)", class, k-1, t.ClassNames)
	case class >= 0:
		x = t.GAN.SampleClasses(z, gan.ClassLabels(n, class))
	default:
		x = t.GAN.Sample(z)
	}
	return x.Reshape(n, t.Shape.C, t.Shape.H, t.Shape.W), nil
}

// SetWalkClass sets the class of a conditional run's latent walks,
// refusing a class for an unconditional run and one out of range.
func (t *Trained) SetWalkClass(class int) error {
	switch k := t.GAN.Classes; {
	case k == 0:
		return fmt.Errorf("class %d: the run is not conditional (it was trained without --conditional), so it takes no class", class)
	case class < 0 || class >= k:
		return fmt.Errorf("class %d: the run's classes are 0 to %d (%q)", class, k-1, t.ClassNames)
	}
	t.WalkClass = class
	return nil
}
