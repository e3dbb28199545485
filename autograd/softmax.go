package autograd

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/tensor/kernels"
)

// LogSoftmax returns the logarithm of the softmax of each row of x [n, d]:
// x − log Σ exp(x) along the row, computed after subtracting the row's
// maximum so that no exponential overflows, as torch.log_softmax(x, 1).
func (tp *Tape) LogSoftmax(x *Var) *Var {
	s := x.Shape()
	if len(s) != 2 || s[1] == 0 {
		panic(fmt.Sprintf("autograd: LogSoftmax of shape %v, want [n, d] with d > 0", s))
	}
	out := tp.newTensor(s...)
	LogSoftmaxRows(out.Data(), x.Value.Data(), s[1])
	v, _ := tp.record("LogSoftmax", out, logSoftmaxBackward, x)
	return v
}

// LogSoftmaxRows writes the log-softmax of each row of src, of d values,
// to dst (which must not overlap src), summing the exponentials in
// float64. Blocks of rows are shared among the GEMM pool's goroutines;
// each row is computed alone, so the result does not depend on the split.
func LogSoftmaxRows(dst, src []float32, d int) {
	const block = 8
	rows := len(src) / d
	kernels.Parallel((rows+block-1)/block, func(p int) {
		lo, hi := p*block*d, min((p+1)*block, rows)*d
		logSoftmax(dst[lo:hi], src[lo:hi], d)
	})
}

func logSoftmax(dst, src []float32, d int) {
	for r := 0; r < len(src); r += d {
		row, o := src[r:r+d], dst[r:r+d]
		m := kernels.Max(row)
		kernels.ExpShift(o, row, m, 1)
		shift := m + float32(math.Log(kernels.SumFloat64(o)))
		for j, v := range row {
			o[j] = v - shift
		}
	}
}

// logSoftmaxBackward: ∂/∂x = g − softmax(x)·Σ_row g, in one pass.
func logSoftmaxBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.logSoftmaxGrad(n.out, g)
}

// logSoftmaxGrad returns g − exp(out)·Σ_row g for the log-softmax rows out
// [n, d] and their gradient g: LogSoftmax's backward in one pass over the
// rows, shared as LogSoftmaxRows shares them. Its own derivatives, written
// with Tape operations, give LogSoftmax's of any order.
func (tp *Tape) logSoftmaxGrad(out, g *Var) *Var {
	s := out.Shape()
	res := tp.newTensor(s...)
	d, rows := s[1], s[0]
	o, gv, r := out.Value.Data(), g.Value.Data(), res.Data()
	const block = 8
	kernels.Parallel((rows+block-1)/block, func(p int) {
		for i := p * block; i < min((p+1)*block, rows); i++ {
			row, gr := r[i*d:(i+1)*d], gv[i*d:(i+1)*d]
			gs := float32(kernels.SumFloat64(gr))
			kernels.ExpShift(row, o[i*d:(i+1)*d], 0, 1)
			for j, e := range row {
				row[j] = gr[j] - e*gs
			}
		}
	})
	v, _ := tp.record("LogSoftmaxGrad", res, logSoftmaxGradBackward, out, g)
	return v
}

// logSoftmaxGradBackward: for y = g − e⊙Σg with e = exp(out) and the
// output's gradient w, ∂/∂out = −w⊙e⊙Σg and ∂/∂g = w − Σ_row(w⊙e).
func logSoftmaxGradBackward(tp *Tape, n *node, w *Var, need []bool, grads []*Var) {
	out, g := n.inputs[0], n.inputs[1]
	e := tp.Exp(out)
	if need[0] {
		grads[0] = tp.Neg(tp.Mul(tp.Mul(w, e), tp.SumRows(g)))
	}
	if need[1] {
		grads[1] = tp.Sub(w, tp.SumRows(tp.Mul(w, e)))
	}
}

// Pick returns x[i, idx[i]] for each row i of x [n, d], [n]: the
// log-probability of each row's target when x holds log-softmax rows. idx
// [n] holds column numbers as integral values (exact in float32 for any d
// below 2²⁴, unlike a flat index into x); no gradient flows to it.
func (tp *Tape) Pick(x, idx *Var) *Var {
	n, d := pickShape("Pick", x.Shape(), idx)
	out := tp.newTensor(n)
	xv, iv, o := x.Value.Data(), idx.Value.Data(), out.Data()
	for i := range n {
		o[i] = xv[i*d+pickColumn(iv[i], d)]
	}
	v, _ := tp.record("Pick", out, func(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
		if need[0] {
			grads[0] = tp.Place(g, n.inputs[1], n.inputs[0].Shape()[1])
		}
	}, x, idx)
	return v
}

// Place returns the [n, d] tensor of zeros with src[i] at column idx[i] of
// row i, for src [n]: the adjoint of Pick. No gradient flows to idx.
func (tp *Tape) Place(src, idx *Var, d int) *Var {
	n, _ := pickShape("Place", []int{src.Value.Len(), d}, idx)
	out := tp.newTensor(n, d)
	out.Zero()
	sv, iv, o := src.Value.Data(), idx.Value.Data(), out.Data()
	for i := range n {
		o[i*d+pickColumn(iv[i], d)] = sv[i]
	}
	v, _ := tp.record("Place", out, func(tp *Tape, n *node, g *Var, need []bool, grads []*Var) {
		if need[0] {
			grads[0] = tp.Reshape(tp.Pick(g, n.inputs[1]), n.inputs[0].Shape()...)
		}
	}, src, idx)
	return v
}

func pickShape(op string, s []int, idx *Var) (n, d int) {
	if len(s) != 2 || idx.Value.Len() != s[0] {
		panic(fmt.Sprintf("autograd: %s of %d columns from shape %v", op, idx.Value.Len(), s))
	}
	return s[0], s[1]
}

func pickColumn(v float32, d int) int {
	j := int(v)
	if float32(j) != v || j < 0 || j >= d {
		panic(fmt.Sprintf("autograd: Pick: column %v outside [0, %d)", v, d))
	}
	return j
}
