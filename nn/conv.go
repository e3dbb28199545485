package nn

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// Conv2d is a 2-D convolution over inputs [N, In, H, W], giving
// [N, Out, OH, OW], as torch.nn.Conv2d without dilation or groups. Weight is
// [Out, In, KH, KW] and Bias [Out].
type Conv2d struct {
	In, Out int
	Geom    tensor.ConvGeom
	Weight  *autograd.Var
	Bias    *autograd.Var // nil without bias
}

// NewConv2d returns a Conv2d with a kernel×kernel window moved by stride over
// inputs zero-padded by padding on every side, initialised like PyTorch's:
// weight and bias U(−1/√fanIn, 1/√fanIn) with fanIn = in·kernel².
func NewConv2d(in, out, kernel, stride, padding int, bias bool, rng *tensor.RNG) *Conv2d {
	c := &Conv2d{In: in, Out: out, Geom: tensor.SquareConv(kernel, stride, padding)}
	c.Weight, c.Bias = convParams([]int{out, in, kernel, kernel}, in*kernel*kernel, out, bias, rng)
	return c
}

// convParams returns a weight of the given shape and, if bias, a bias of
// size out, drawn as PyTorch's convolutions draw them for the given fan-in.
func convParams(shape []int, fanIn, out int, bias bool, rng *tensor.RNG) (w, b *autograd.Var) {
	bound := float32(1 / math.Sqrt(float64(fanIn)))
	w = autograd.NewVar(tensor.New(shape...), true)
	rng.Uniform(w.Value, -bound, bound)
	if bias {
		b = autograd.NewVar(tensor.New(out), true)
		rng.Uniform(b.Value, -bound, bound)
	}
	return w, b
}

// Forward implements Module.
func (c *Conv2d) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) != 4 || s[1] != c.In {
		panic(fmt.Sprintf("nn: Conv2d(%d, %d) got input of shape %v, want [N %d H W]", c.In, c.Out, s, c.In))
	}
	return tp.Conv2d(x, c.Weight, c.Bias, c.Geom)
}

// Parameters implements Module.
func (c *Conv2d) Parameters() []Parameter { return convParameters(c.Weight, c.Bias) }

func convParameters(w, b *autograd.Var) []Parameter {
	ps := []Parameter{{"weight", w}}
	if b != nil {
		ps = append(ps, Parameter{"bias", b})
	}
	return ps
}

// ConvTranspose2d is the transposed 2-D convolution over inputs
// [N, In, H, W], the adjoint of a Conv2d with the same window, as
// torch.nn.ConvTranspose2d without dilation or groups: the output is
// [N, Out, (H − 1)·SH − 2·PH + KH + OutPadH, (W − 1)·SW − 2·PW + KW + OutPadW].
// Weight is [In, Out, KH, KW] and Bias [Out].
type ConvTranspose2d struct {
	In, Out int
	Geom    tensor.ConvGeom
	// OutPadH and OutPadW, below the stride, add rows and columns at the
	// bottom and right of the output (torch's output_padding).
	OutPadH, OutPadW int
	Weight           *autograd.Var
	Bias             *autograd.Var // nil without bias
}

// NewConvTranspose2d returns a ConvTranspose2d with a kernel×kernel window,
// stride, padding and output padding equal along both axes, initialised like
// PyTorch's: weight and bias U(−1/√fanIn, 1/√fanIn) where PyTorch takes the
// fan-in from the weight's second dimension, fanIn = out·kernel².
func NewConvTranspose2d(in, out, kernel, stride, padding, outputPadding int, bias bool, rng *tensor.RNG) *ConvTranspose2d {
	c := &ConvTranspose2d{In: in, Out: out, Geom: tensor.SquareConv(kernel, stride, padding),
		OutPadH: outputPadding, OutPadW: outputPadding}
	c.Weight, c.Bias = convParams([]int{in, out, kernel, kernel}, out*kernel*kernel, out, bias, rng)
	return c
}

// Forward implements Module.
func (c *ConvTranspose2d) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) != 4 || s[1] != c.In {
		panic(fmt.Sprintf("nn: ConvTranspose2d(%d, %d) got input of shape %v, want [N %d H W]", c.In, c.Out, s, c.In))
	}
	return tp.ConvTranspose2d(x, c.Weight, c.Bias, c.Geom, c.OutPadH, c.OutPadW)
}

// Parameters implements Module.
func (c *ConvTranspose2d) Parameters() []Parameter { return convParameters(c.Weight, c.Bias) }
