package nn

import (
	"fmt"
	"math"
	"strconv"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// Linear applies y = x·Wᵀ + b to inputs [batch, In], giving [batch, Out].
// Weight is [Out, In] and Bias is [Out], as in torch.nn.Linear.
type Linear struct {
	In, Out int
	Weight  *autograd.Var
	Bias    *autograd.Var // nil without bias
}

// NewLinear returns a Linear layer initialised like PyTorch's: weights by
// kaiming-uniform with a = √5, that is U(−1/√In, 1/√In), and the bias from the
// same range.
func NewLinear(in, out int, bias bool, rng *tensor.RNG) *Linear {
	l := &Linear{In: in, Out: out, Weight: autograd.NewVar(tensor.New(out, in), true)}
	bound := float32(1 / math.Sqrt(float64(in)))
	rng.Uniform(l.Weight.Value, -bound, bound)
	if bias {
		l.Bias = autograd.NewVar(tensor.New(out), true)
		rng.Uniform(l.Bias.Value, -bound, bound)
	}
	return l
}

// Forward implements Module.
func (l *Linear) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) != 2 || s[1] != l.In {
		panic(fmt.Sprintf("nn: Linear(%d, %d) got input of shape %v", l.In, l.Out, s))
	}
	y := tp.MatMul(x, l.Weight, false, true)
	if l.Bias != nil {
		y = tp.Add(y, l.Bias)
	}
	return y
}

// Parameters implements Module.
func (l *Linear) Parameters() []Parameter {
	ps := []Parameter{{"weight", l.Weight}}
	if l.Bias != nil {
		ps = append(ps, Parameter{"bias", l.Bias})
	}
	return ps
}

// LeakyReLU is x for x > 0 and Slope·x elsewhere (torch.nn.LeakyReLU).
type LeakyReLU struct{ Slope float32 }

// Forward implements Module.
func (a LeakyReLU) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	return tp.LeakyReLU(x, a.Slope)
}

// Parameters implements Module.
func (LeakyReLU) Parameters() []Parameter { return nil }

// ReLU is max(x, 0).
type ReLU struct{}

// Forward implements Module.
func (ReLU) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var { return tp.ReLU(x) }

// Parameters implements Module.
func (ReLU) Parameters() []Parameter { return nil }

// Tanh is the hyperbolic tangent.
type Tanh struct{}

// Forward implements Module.
func (Tanh) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var { return tp.Tanh(x) }

// Parameters implements Module.
func (Tanh) Parameters() []Parameter { return nil }

// Sigmoid is the logistic function.
type Sigmoid struct{}

// Forward implements Module.
func (Sigmoid) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var { return tp.Sigmoid(x) }

// Parameters implements Module.
func (Sigmoid) Parameters() []Parameter { return nil }

// Sequential applies its layers in order. Parameter names are prefixed with
// the layer's index, as in torch.nn.Sequential ("0.weight", "2.bias").
type Sequential struct {
	Layers []Module
}

// NewSequential returns a Sequential of the given layers.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: layers} }

// Forward implements Module.
func (s *Sequential) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	for _, l := range s.Layers {
		x = l.Forward(tp, x)
	}
	return x
}

// Parameters implements Module.
func (s *Sequential) Parameters() []Parameter {
	var ps []Parameter
	for i, l := range s.Layers {
		for _, p := range l.Parameters() {
			ps = append(ps, Parameter{fmt.Sprintf("%d.%s", i, p.Name), p.Var})
		}
	}
	return ps
}

// Children implements Container: the layers, named by their indices.
func (s *Sequential) Children() []Child {
	cs := make([]Child, len(s.Layers))
	for i, l := range s.Layers {
		cs[i] = Child{strconv.Itoa(i), l}
	}
	return cs
}

// SetChild implements Container.
func (s *Sequential) SetChild(i int, m Module) { s.Layers[i] = m }

// Buffers implements BufferHolder.
func (s *Sequential) Buffers() []Buffer {
	var bs []Buffer
	for i, l := range s.Layers {
		if bh, ok := l.(BufferHolder); ok {
			for _, b := range bh.Buffers() {
				bs = append(bs, Buffer{fmt.Sprintf("%d.%s", i, b.Name), b.Value})
			}
		}
	}
	return bs
}
