package nn

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
)

// LSTM is a one-layer long short-term memory over a sequence, as
// torch.nn.LSTM(Input, Hidden) with batch_first=False: inputs [T, N, Input]
// give outputs [T, N, Hidden]. Its weights keep PyTorch's names, layouts
// and gate order (input, forget, cell, output): WeightIH [4·Hidden, Input],
// WeightHH [4·Hidden, Hidden], BiasIH and BiasHH [4·Hidden].
//
// A step is two GEMMs at most: the input projection of every time step is
// one product (Project) before the loop, and each step (Cell) multiplies
// only the previous hidden state.
type LSTM struct {
	Input, Hidden                      int
	WeightIH, WeightHH, BiasIH, BiasHH *autograd.Var
}

// NewLSTM returns an LSTM initialised like PyTorch's: every weight and bias
// U(−1/√Hidden, 1/√Hidden).
func NewLSTM(input, hidden int, rng *tensor.RNG) *LSTM {
	l := &LSTM{Input: input, Hidden: hidden}
	l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH = rnnParams(4, input, hidden, rng)
	return l
}

// rnnParams returns the weights of a recurrent layer of gates gates, drawn
// as PyTorch's recurrent layers draw them.
func rnnParams(gates, input, hidden int, rng *tensor.RNG) (wih, whh, bih, bhh *autograd.Var) {
	bound := float32(1 / math.Sqrt(float64(hidden)))
	vars := []*autograd.Var{
		autograd.NewVar(tensor.New(gates*hidden, input), true),
		autograd.NewVar(tensor.New(gates*hidden, hidden), true),
		autograd.NewVar(tensor.New(gates*hidden), true),
		autograd.NewVar(tensor.New(gates*hidden), true),
	}
	for _, v := range vars {
		rng.Uniform(v.Value, -bound, bound)
	}
	return vars[0], vars[1], vars[2], vars[3]
}

// rnnParameters names a recurrent layer's weights as PyTorch does.
func rnnParameters(wih, whh, bih, bhh *autograd.Var) []Parameter {
	return []Parameter{{"weight_ih_l0", wih}, {"weight_hh_l0", whh}, {"bias_ih_l0", bih}, {"bias_hh_l0", bhh}}
}

// Parameters implements Module.
func (l *LSTM) Parameters() []Parameter {
	return rnnParameters(l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH)
}

// Project returns the input part of the gates of inputs x [M, Input]:
// x·WeightIHᵀ + BiasIH + BiasHH, [M, 4·Hidden]. M may hold every time step
// of a batch.
func (l *LSTM) Project(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) != 2 || s[1] != l.Input {
		panic(fmt.Sprintf("nn: LSTM(%d, %d) got input of shape %v, want [M %d]", l.Input, l.Hidden, s, l.Input))
	}
	return tp.Add(tp.Add(tp.MatMul(x, l.WeightIH, false, true), l.BiasIH), l.BiasHH)
}

// Cell advances the state (h, c) [N, Hidden] by one step whose projected
// input (Project) is gx [N, 4·Hidden]; nil h and c are the zero state.
func (l *LSTM) Cell(tp *autograd.Tape, gx, h, c *autograd.Var) (h2, c2 *autograd.Var) {
	gates := gx
	if h != nil {
		gates = tp.Add(gx, tp.MatMul(h, l.WeightHH, false, true))
	}
	n := l.Hidden
	i := tp.Sigmoid(tp.Slice(gates, 1, 0, n))
	f := tp.Sigmoid(tp.Slice(gates, 1, n, 2*n))
	g := tp.Tanh(tp.Slice(gates, 1, 2*n, 3*n))
	o := tp.Sigmoid(tp.Slice(gates, 1, 3*n, 4*n))
	c2 = tp.Mul(i, g)
	if c != nil {
		c2 = tp.Add(tp.Mul(f, c), c2)
	}
	return tp.Mul(o, tp.Tanh(c2)), c2
}

// Forward implements Module: the outputs [T, N, Hidden] of inputs
// [T, N, Input] from the zero state.
func (l *LSTM) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	t, n := seqShape("LSTM", x, l.Input)
	gx := tp.Reshape(l.Project(tp, tp.Reshape(x, t*n, l.Input)), t, n, 4*l.Hidden)
	hs := make([]*autograd.Var, t)
	var h, c *autograd.Var
	for s := range t {
		h, c = l.Cell(tp, tp.Reshape(tp.Slice(gx, 0, s, s+1), n, 4*l.Hidden), h, c)
		hs[s] = h
	}
	return tp.Reshape(tp.Concat(0, hs...), t, n, l.Hidden)
}

// seqShape returns the length and batch of a sequence x [T, N, input],
// panicking with layer's name for any other shape.
func seqShape(layer string, x *autograd.Var, input int) (t, n int) {
	s := x.Shape()
	if len(s) != 3 || s[2] != input || s[0] == 0 {
		panic(fmt.Sprintf("nn: %s got input of shape %v, want [T N %d]", layer, s, input))
	}
	return s[0], s[1]
}

// GRU is a one-layer gated recurrent unit over a sequence, as
// torch.nn.GRU(Input, Hidden) with batch_first=False: inputs [T, N, Input]
// give outputs [T, N, Hidden]. Its weights keep PyTorch's names, layouts and
// gate order (reset, update, new): WeightIH [3·Hidden, Input], WeightHH
// [3·Hidden, Hidden], BiasIH and BiasHH [3·Hidden].
type GRU struct {
	Input, Hidden                      int
	WeightIH, WeightHH, BiasIH, BiasHH *autograd.Var
}

// NewGRU returns a GRU initialised like PyTorch's: every weight and bias
// U(−1/√Hidden, 1/√Hidden).
func NewGRU(input, hidden int, rng *tensor.RNG) *GRU {
	l := &GRU{Input: input, Hidden: hidden}
	l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH = rnnParams(3, input, hidden, rng)
	return l
}

// Parameters implements Module.
func (l *GRU) Parameters() []Parameter {
	return rnnParameters(l.WeightIH, l.WeightHH, l.BiasIH, l.BiasHH)
}

// Project returns the input part of the gates of inputs x [M, Input]:
// x·WeightIHᵀ + BiasIH, [M, 3·Hidden].
func (l *GRU) Project(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	if s := x.Shape(); len(s) != 2 || s[1] != l.Input {
		panic(fmt.Sprintf("nn: GRU(%d, %d) got input of shape %v, want [M %d]", l.Input, l.Hidden, s, l.Input))
	}
	return tp.Add(tp.MatMul(x, l.WeightIH, false, true), l.BiasIH)
}

// Cell advances the hidden state h [N, Hidden] (nil: zero) by one step
// whose projected input (Project) is gx [N, 3·Hidden]:
// r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r⊙gh_n),
// h' = (1 − z)⊙n + z⊙h, with gh = h·WeightHHᵀ + BiasHH.
func (l *GRU) Cell(tp *autograd.Tape, gx, h *autograd.Var) *autograd.Var {
	k := l.Hidden
	var gh *autograd.Var
	if h != nil {
		gh = tp.Add(tp.MatMul(h, l.WeightHH, false, true), l.BiasHH)
	} else {
		gh = tp.BroadcastTo(l.BiasHH, []int{gx.Shape()[0], 3 * k})
	}
	r := tp.Sigmoid(tp.Add(tp.Slice(gx, 1, 0, k), tp.Slice(gh, 1, 0, k)))
	z := tp.Sigmoid(tp.Add(tp.Slice(gx, 1, k, 2*k), tp.Slice(gh, 1, k, 2*k)))
	n := tp.Tanh(tp.Add(tp.Slice(gx, 1, 2*k, 3*k), tp.Mul(r, tp.Slice(gh, 1, 2*k, 3*k))))
	// h' = n + z⊙(h − n).
	if h == nil {
		return tp.Sub(n, tp.Mul(z, n))
	}
	return tp.Add(n, tp.Mul(z, tp.Sub(h, n)))
}

// Forward implements Module: the outputs [T, N, Hidden] of inputs
// [T, N, Input] from the zero state.
func (l *GRU) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	t, n := seqShape("GRU", x, l.Input)
	gx := tp.Reshape(l.Project(tp, tp.Reshape(x, t*n, l.Input)), t, n, 3*l.Hidden)
	hs := make([]*autograd.Var, t)
	var h *autograd.Var
	for s := range t {
		h = l.Cell(tp, tp.Reshape(tp.Slice(gx, 0, s, s+1), n, 3*l.Hidden), h)
		hs[s] = h
	}
	return tp.Reshape(tp.Concat(0, hs...), t, n, l.Hidden)
}
