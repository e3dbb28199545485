package autograd

import (
	"fmt"
	"math"

	"github.com/nash-gan/nash/tensor"
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
		shift := logSumExp(row)
		for j, v := range row {
			o[j] = v - shift
		}
	}
}

// logSumExp returns m + log Σ exp(row − m), m being row's maximum: what
// log-softmax subtracts from the row.
func logSumExp(row []float32) float32 {
	m := kernels.Max(row)
	return m + float32(math.Log(kernels.SumExp(row, m, 1)))
}

// PickLogSoftmax returns log softmax(x)[i, idx[i]] for each row i of x
// [n, d], [n]: the log-probability of each row's target, what
// Pick(LogSoftmax(x), idx) gives, and torch's
// −cross_entropy(x, idx, reduction='none'). It never holds the [n, d]
// log-softmax: forward it passes over each row for its maximum and the
// sum of its exponentials, backward once to write the gradient. idx [n]
// holds column numbers as integral values; no gradient flows to it.
func (tp *Tape) PickLogSoftmax(x, idx *Var) *Var {
	n, d := pickShape("PickLogSoftmax", x.Shape(), idx)
	iv := idx.Value.Data()
	for _, v := range iv {
		pickColumn(v, d) // panics here, not in a pool goroutine
	}
	out, shift := tp.newTensor(n), tp.newTensor(n)
	xv, o, sh := x.Value.Data(), out.Data(), shift.Data()
	const block = 8
	kernels.Parallel((n+block-1)/block, func(p int) {
		for i := p * block; i < min((p+1)*block, n); i++ {
			row := xv[i*d : (i+1)*d]
			sh[i] = logSumExp(row)
			o[i] = row[int(iv[i])] - sh[i]
		}
	})
	v, _ := tp.record("PickLogSoftmax", out, func(tp *Tape, nd *node, g *Var, need []bool, grads []*Var) {
		if need[0] {
			grads[0] = tp.pickLogSoftmaxGrad(nd.inputs[0], nd.inputs[1], g, shift)
		}
	}, x, idx)
	return v
}

// pickLogSoftmaxGrad returns PickLogSoftmax's input gradient for the
// output gradient g [n]: g[i]·(onehot(idx[i]) − softmax(x)[i]), row by row,
// the softmax being exp(x − shift) with shift the forward's logSumExp of
// each row. Its own derivatives, written with Tape operations, give
// PickLogSoftmax's of any order.
func (tp *Tape) pickLogSoftmaxGrad(x, idx, g *Var, shift *tensor.Tensor) *Var {
	n, d := x.Shape()[0], x.Shape()[1]
	res := tp.newTensor(n, d)
	xv, iv, gv, sh, r := x.Value.Data(), idx.Value.Data(), g.Value.Data(), shift.Data(), res.Data()
	const block = 8
	kernels.Parallel((n+block-1)/block, func(p int) {
		var chunk [kernels.ExpChunk]float32
		for i := p * block; i < min((p+1)*block, n); i++ {
			row, out, gi := xv[i*d:(i+1)*d], r[i*d:(i+1)*d], gv[i]
			for lo := 0; lo < d; lo += kernels.ExpChunk {
				e := chunk[:min(kernels.ExpChunk, d-lo)]
				kernels.ExpShift(e, row[lo:lo+len(e)], sh[i], 1)
				o := out[lo : lo+len(e)]
				clear(o)
				kernels.Axpy(-gi, e, o)
			}
			t := int(iv[i])
			out[t] = gi - kernels.Exp32(row[t]-sh[i])*gi
		}
	})
	v, _ := tp.record("PickLogSoftmaxGrad", res, pickLogSoftmaxGradBackward, x, g, idx)
	return v
}

// pickLogSoftmaxGradBackward: for y = g⊙(onehot − s), s = softmax(x), and
// the output's gradient w: ∂/∂g = Pick(w, idx) − Σ_row(w⊙s) and, with
// a = w⊙g, ∂/∂x = −s⊙(a − Σ_row(a⊙s)).
func pickLogSoftmaxGradBackward(tp *Tape, n *node, w *Var, need []bool, grads []*Var) {
	x, g, idx := n.inputs[0], n.inputs[1], n.inputs[2]
	s := tp.Exp(tp.LogSoftmax(x))
	if need[0] {
		a := tp.Mul(w, tp.Reshape(g, g.Value.Len(), 1))
		grads[0] = tp.Neg(tp.Mul(s, tp.Sub(a, tp.SumRows(tp.Mul(a, s)))))
	}
	if need[1] {
		grads[1] = tp.Sub(tp.Pick(w, idx), tp.Reshape(tp.SumRows(tp.Mul(w, s)), g.Value.Len()))
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
