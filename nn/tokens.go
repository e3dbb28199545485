package nn

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/autograd"
	"github.com/nash-gan/nash/tensor"
	"github.com/nash-gan/nash/tensor/kernels"
)

// NewConv2dRect returns a Conv2d with a kh×kw window, stride 1 and no
// padding, initialised like PyTorch's (U(−1/√fanIn, 1/√fanIn), fanIn =
// in·kh·kw): over token embeddings [N, 1, T, E] a kh×E window is a
// convolution over time of width kh.
func NewConv2dRect(in, out, kh, kw int, bias bool, rng *tensor.RNG) *Conv2d {
	c := &Conv2d{In: in, Out: out, Geom: tensor.ConvGeom{KH: kh, KW: kw, SH: 1, SW: 1}}
	c.Weight, c.Bias = convParams([]int{out, in, kh, kw}, in*kh*kw, out, bias, rng)
	return c
}

// MaxOverTime returns the maximum of x [N, C, L, 1] over its L positions,
// [N, C]: the max-over-time pooling of a convolution over a sequence. The
// gradient flows to each maximum (the first, on ties), to any order.
func MaxOverTime(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 || s[3] != 1 || s[2] == 0 {
		panic(fmt.Sprintf("nn: MaxOverTime of shape %v, want [N C L 1]", s))
	}
	rows, l := s[0]*s[1], s[2]
	idx := tensor.New(rows)
	v, at := x.Value.Data(), idx.Data()
	for r := range rows {
		row := v[r*l : (r+1)*l]
		best, bv := 0, row[0]
		for j, x := range row[1:] {
			if x > bv {
				best, bv = j+1, x
			}
		}
		at[r] = float32(best)
	}
	return tp.Reshape(tp.Pick(tp.Reshape(x, rows, l), tp.Const(idx)), s[0], s[1])
}

// TargetLogProbs returns log softmax(logits)[i, targets[i]] for each row
// i of logits [n, V], [n]: the log-probabilities of the targets (integral
// values in [0, V)). The gradient flows to logits.
func TargetLogProbs(tp *autograd.Tape, logits *autograd.Var, targets []float32) *autograd.Var {
	return tp.PickLogSoftmax(logits, tp.Const(tensor.FromSlice(targets, len(targets))))
}

// CrossEntropy returns the mean over the rows of logits [n, V] of
// −log softmax(logits)[target], the targets being integral values in
// [0, V): torch.nn.functional.cross_entropy.
func CrossEntropy(tp *autograd.Tape, logits *autograd.Var, targets []float32) *autograd.Var {
	return tp.Neg(tp.Mean(TargetLogProbs(tp, logits, targets)))
}

// Highway is a highway layer (Srivastava et al. 2015) over features
// [N, D]: y = t⊙relu(Transform(x)) + (1 − t)⊙x with the gate
// t = σ(Gate(x)), both Linear(D, D).
type Highway struct {
	Transform, Gate *Linear
}

// NewHighway returns a Highway over D features, its layers initialised like
// PyTorch's Linear.
func NewHighway(d int, rng *tensor.RNG) *Highway {
	return &Highway{Transform: NewLinear(d, d, true, rng), Gate: NewLinear(d, d, true, rng)}
}

// Forward implements Module.
func (h *Highway) Forward(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	t := tp.Sigmoid(h.Gate.Forward(tp, x))
	// x + t⊙(relu(Hx) − x).
	return tp.Add(x, tp.Mul(t, tp.Sub(tp.ReLU(h.Transform.Forward(tp, x)), x)))
}

// Parameters implements Module.
func (h *Highway) Parameters() []Parameter {
	return append(Prefixed("transform.", h.Transform.Parameters()), Prefixed("gate.", h.Gate.Parameters())...)
}

// Children implements Container.
func (h *Highway) Children() []Child {
	return []Child{{"transform", h.Transform}, {"gate", h.Gate}}
}

// SetChild implements Container.
func (h *Highway) SetChild(i int, m Module) {
	l, ok := m.(*Linear)
	if !ok {
		panic(fmt.Sprintf("nn: Highway child %d must be a *Linear, got %T", i, m))
	}
	if i == 0 {
		h.Transform = l
	} else {
		h.Gate = l
	}
}

// Prefixed puts prefix before the name of each of ps, a child's
// parameters, and returns ps.
func Prefixed(prefix string, ps []Parameter) []Parameter {
	for i := range ps {
		ps[i].Name = prefix + ps[i].Name
	}
	return ps
}

// SampleCategorical draws one class from each row of logits [n, V] at
// the given temperature, from the softmax of logits/temperature, by the
// inverse of its cumulative distribution at u[i] ∈ [0, 1): out[i] is the
// first class whose cumulative probability exceeds u[i]. The same logits
// and u give the same classes on every machine: the exponentials
// (kernels.ExpShift's) and their total (kernels.SumExp's) are the same with
// vector code and without, and the search sums them in float64 in class
// order. The exponentials are computed again in the search rather than
// kept, a chunk at a time, so sampling allocates nothing.
func SampleCategorical(logits *tensor.Tensor, temperature float64, u []float64, out []int) {
	v := logits.Dim(1)
	d := logits.Data()
	scale := float32(1 / temperature)
	var chunk [kernels.ExpChunk]float32
	for i := range u {
		row := d[i*v : (i+1)*v]
		m := kernels.Max(row)
		out[i] = sampleFrom(row, m, scale, u[i]*kernels.SumExp(row, m, scale), chunk[:])
	}
}

// sampleFrom returns the first class of row whose cumulative sum of
// exponentials (as SampleCategorical computes them) exceeds target, or the
// last class; chunk is room for the exponentials.
func sampleFrom(row []float32, m, scale float32, target float64, chunk []float32) int {
	var acc float64
	for lo := 0; lo < len(row); lo += len(chunk) {
		e := chunk[:min(len(chunk), len(row)-lo)]
		kernels.ExpShift(e, row[lo:lo+len(e)], m, scale)
		for j, x := range e {
			acc += float64(x)
			if acc > target {
				return lo + j
			}
		}
	}
	return len(row) - 1
}

// Gumbel returns Gumbel(0, 1) noise −log(−log u) of uniform values u in
// (0, 1), with u clamped away from 0 and 1 so that the noise is finite.
func Gumbel(u float64) float32 {
	const eps = 1e-10
	u = min(max(u, eps), 1-eps)
	return float32(-math.Log(-math.Log(u)))
}

// GumbelSoftmax returns softmax((logits + g)/τ) of logits [n, V] with the
// Gumbel noise g [n, V] (a constant): the soft one-hot of the
// Gumbel-softmax relaxation (Jang et al. 2017), differentiable in the
// logits. With hard set, the forward value is the one-hot of each row's
// maximum, and the gradient is that of the soft sample (straight-through).
func GumbelSoftmax(tp *autograd.Tape, logits *autograd.Var, g *tensor.Tensor, tau float32, hard bool) *autograd.Var {
	soft := tp.Exp(tp.LogSoftmax(tp.Scale(tp.Add(logits, tp.Const(g)), 1/tau)))
	if !hard {
		return soft
	}
	s := soft.Shape()
	oneHot := tensor.New(s...)
	d, o := soft.Value.Data(), oneHot.Data()
	for r := 0; r < s[0]; r++ {
		best := r * s[1]
		for j := best + 1; j < (r+1)*s[1]; j++ {
			if d[j] > d[best] {
				best = j
			}
		}
		o[best] = 1
	}
	// one-hot − soft (a constant) + soft.
	return tp.Add(tp.Sub(tp.Const(oneHot), soft.Detach()), soft)
}
