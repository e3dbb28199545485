package gan

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/nn"
	"github.com/nash-gan/nash/tensor"
)

// Conditional is a network that takes a class label with each input: a
// conditional generator (noise and class to sample) or a conditional
// discriminator (sample and class to score). Its Forward, without labels,
// is not used by the GAN.
type Conditional interface {
	nn.Module
	// ForwardClasses computes the output for inputs x [N, …] of the classes
	// y [N], which holds integers in [0, Classes()) as float32 values and is
	// not differentiated.
	ForwardClasses(tp *autograd.Tape, x, y *autograd.Var) *autograd.Var
	// Classes returns the number of classes.
	Classes() int
}

// labelled is a conditional discriminator with its labels bound, so that
// the objectives and penalties, which see D as a function of its input
// alone, apply to conditional GANs unchanged.
type labelled struct {
	d Conditional
	y *autograd.Var
}

func (l *labelled) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return l.d.ForwardClasses(tp, x, l.y)
}

func (l *labelled) Parameters() []nn.Parameter { return l.d.Parameters() }

// generate runs G on noise z, for the classes y when the GAN is conditional.
func (g *GAN) generate(tp *autograd.Tape, z *autograd.Var, y *tensor.Tensor) *autograd.Var {
	return generateWith(g.G, tp, z, y)
}

// generateWith runs generator m on z, conditioned on y unless y is nil.
func generateWith(m nn.Module, tp *autograd.Tape, z *autograd.Var, y *tensor.Tensor) *autograd.Var {
	if y == nil {
		return m.Forward(tp, z)
	}
	return m.(Conditional).ForwardClasses(tp, z, tp.Const(y))
}

// sampleLabels fills y with classes drawn from rng: uniformly, or in
// proportion to Options.ClassSizes when it is set.
func (g *GAN) sampleLabels(y *tensor.Tensor, rng *tensor.RNG) {
	d := y.Data()
	sizes := g.Options.ClassSizes
	if sizes == nil {
		for i := range d {
			d[i] = float32(rng.IntN(g.Classes))
		}
		return
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	for i := range d {
		d[i] = float32(classAt(sizes, rng.IntN(total)))
	}
}

// classAt returns the class whose share of the cumulative sizes holds
// position r, for 0 ≤ r < the sum of sizes.
func classAt(sizes []int, r int) int {
	for j, s := range sizes {
		if r < s {
			return j
		}
		r -= s
	}
	panic(fmt.Sprintf("gan: position %d beyond the classes' sizes %v", r, sizes))
}

// PriorLabels returns [n] labels in proportion to sizes (the number of
// training samples of each class), without randomness: the labels are the
// classes in whose share of the cumulative sizes the quantiles (q + ½)/n,
// q = 0, …, n−1, fall, so each class gets its share of the n to within one
// sample, and label i takes quantile q = i·s mod n for a step s coprime
// with n near n/φ (φ the golden ratio), so that any run of consecutive
// labels (a split of the Inception score, a grid's row) spreads over the
// classes too.
func PriorLabels(n int, sizes []int) *tensor.Tensor {
	total := 0
	for _, s := range sizes {
		total += s
	}
	step := max(1, int(float64(n)/math.Phi))
	for gcd(step, n) != 1 {
		step++
	}
	y := tensor.New(n)
	for i := range y.Data() {
		q := i * step % n
		y.Data()[i] = float32(classAt(sizes, (2*q+1)*total/(2*n)))
	}
	return y
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// CycleLabels returns [n] labels 0, 1, …, classes−1, 0, 1, …: label i is
// i mod classes.
func CycleLabels(n, classes int) *tensor.Tensor {
	y := tensor.New(n)
	for i := range y.Data() {
		y.Data()[i] = float32(i % classes)
	}
	return y
}

// ClassLabels returns [n] labels all equal to class.
func ClassLabels(n, class int) *tensor.Tensor {
	y := tensor.New(n)
	y.Fill(float32(class))
	return y
}

// checkLabels panics unless y holds n integers in [0, classes).
func checkLabels(y *tensor.Tensor, n, classes int) {
	if y.Len() != n {
		panic(fmt.Sprintf("gan: %d labels for %d samples", y.Len(), n))
	}
	for i, v := range y.Data() {
		if v != float32(int(v)) || v < 0 || int(v) >= classes {
			panic(fmt.Sprintf("gan: label %d is %g, not a class in [0, %d)", i, v, classes))
		}
	}
}
