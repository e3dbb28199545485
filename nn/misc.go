package nn

import (
	"fmt"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// Dropout zeroes each element of its input with probability P when the tape
// is in training mode and scales the others by 1/(1 − P), as
// torch.nn.Dropout; in evaluation mode it passes its input through. The
// zeros are drawn from RNG.
type Dropout struct {
	P   float32
	RNG *tensor.RNG
}

// NewDropout returns a Dropout with probability p drawing from rng.
func NewDropout(p float32, rng *tensor.RNG) *Dropout {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("nn: Dropout probability %v outside [0, 1]", p))
	}
	return &Dropout{P: p, RNG: rng}
}

// Forward implements Module.
func (d *Dropout) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if !tp.Training() || d.P == 0 {
		return x
	}
	return tp.Dropout(x, d.P, d.RNG)
}

// Parameters implements Module.
func (*Dropout) Parameters() []Parameter { return nil }

// Embedding maps class indices to learned vectors, as torch.nn.Embedding:
// an input of any shape holding integral row numbers in [0, Num) gives the
// input's shape followed by Dim. Weight is [Num, Dim].
type Embedding struct {
	Num, Dim int
	Weight   *autograd.Var
}

// NewEmbedding returns an Embedding initialised like PyTorch's, with weights
// drawn from N(0, 1).
func NewEmbedding(num, dim int, rng *tensor.RNG) *Embedding {
	e := &Embedding{Num: num, Dim: dim, Weight: autograd.NewVar(tensor.New(num, dim), true)}
	rng.Normal(e.Weight.Value, 0, 1)
	return e
}

// Forward implements Module.
func (e *Embedding) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return tp.Gather(e.Weight, x)
}

// Parameters implements Module.
func (e *Embedding) Parameters() []Parameter { return []Parameter{{"weight", e.Weight}} }

// Flatten reshapes [N, …] to [N, the product of the rest], as
// torch.nn.Flatten with its default dimensions.
type Flatten struct{}

// Forward implements Module.
func (Flatten) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) == 0 {
		panic("nn: Flatten of a scalar")
	}
	return tp.Reshape(x, s[0], -1)
}

// Parameters implements Module.
func (Flatten) Parameters() []Parameter { return nil }

// Unflatten expands dimension Dim of its input to Shape, as
// torch.nn.Unflatten: Unflatten{1, []int{128, 7, 7}} maps [N, 6272] to
// [N, 128, 7, 7].
type Unflatten struct {
	Dim   int
	Shape []int
}

// Forward implements Module.
func (u Unflatten) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	n := 1
	for _, d := range u.Shape {
		n *= d
	}
	if u.Dim < 0 || u.Dim >= len(s) || s[u.Dim] != n {
		panic(fmt.Sprintf("nn: Unflatten(%d, %v) got input of shape %v", u.Dim, u.Shape, s))
	}
	// The tape copies the shape, so a buffer on the stack serves for
	// the usual ranks.
	var buf [8]int
	shape := append(append(append(buf[:0], s[:u.Dim]...), u.Shape...), s[u.Dim+1:]...)
	return tp.Reshape(x, shape...)
}

// Parameters implements Module.
func (Unflatten) Parameters() []Parameter { return nil }

// Walk calls f for m and then, depth first in order (pre-order), for every
// module within it, reached through the Children of every Container: a
// Sequential's layers, the layer a Spectral wraps, the parts of a composite
// network.
func Walk(m Module, f func(Module)) {
	f(m)
	if c, ok := m.(Container); ok {
		for _, child := range c.Children() {
			Walk(child.Module, f)
		}
	}
}

// InitDCGAN initialises m as Radford et al.'s DCGAN and PyTorch's DCGAN
// example do: the weights of every Conv2d and ConvTranspose2d from
// N(0, 0.02²), BatchNorm's γ from N(1, 0.02²) and β = 0. Other parameters,
// convolution biases included, keep their values. Modules are visited in
// Walk's order, so a spectrally normalised convolution's weight_orig is
// drawn too.
func InitDCGAN(m Module, rng *tensor.RNG) {
	Walk(m, func(l Module) {
		switch l := l.(type) {
		case *Conv2d:
			rng.Normal(l.Weight.Value, 0, 0.02)
		case *ConvTranspose2d:
			rng.Normal(l.Weight.Value, 0, 0.02)
		case *BatchNorm:
			rng.Normal(l.Weight.Value, 1, 0.02)
			l.Bias.Value.Zero()
		}
	})
}
