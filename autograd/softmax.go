package autograd

import (
	"fmt"
	"math"
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
	logSoftmaxRows(out.Data(), x.Value.Data(), s[1])
	v, _ := tp.record("LogSoftmax", out, logSoftmaxBackward, x)
	return v
}

// logSoftmaxRows writes the log-softmax of each row of src, of d values,
// to dst, summing the exponentials in float64.
func logSoftmaxRows(dst, src []float32, d int) {
	for r := 0; r < len(src); r += d {
		row, o := src[r:r+d], dst[r:r+d]
		m := row[0]
		for _, v := range row[1:] {
			m = max(m, v)
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - m))
		}
		shift := m + float32(math.Log(sum))
		for j, v := range row {
			o[j] = v - shift
		}
	}
}

// logSoftmaxBackward: ∂/∂x = g − softmax(x) · Σ_row g.
func logSoftmaxBackward(tp *Tape, n *node, g *Var, _ []bool, grads []*Var) {
	grads[0] = tp.Sub(g, tp.Mul(tp.Exp(n.out), tp.SumRows(g)))
}
