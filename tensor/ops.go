package tensor

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nash-gan/nash/tensor/kernels"
)

// MatMul computes dst = op(a)·op(b) + beta·dst for 2-D tensors, where op
// transposes its argument when the matching flag is set. All products in
// nash go through kernels.Sgemm.
func MatMul(dst, a, b *Tensor, transA, transB bool, beta float32) {
	if a.Dims() != 2 || b.Dims() != 2 || dst.Dims() != 2 {
		panic(fmt.Sprintf("tensor: MatMul needs 2-D tensors, got %v %v -> %v", a.shape, b.shape, dst.shape))
	}
	m, k := a.shape[0], a.shape[1]
	if transA {
		m, k = k, m
	}
	kb, n := b.shape[0], b.shape[1]
	if transB {
		kb, n = n, kb
	}
	if k != kb || dst.shape[0] != m || dst.shape[1] != n {
		panic(fmt.Sprintf("tensor: MatMul shapes %v%s · %v%s -> %v", a.shape, tflag(transA), b.shape, tflag(transB), dst.shape))
	}
	kernels.Sgemm(transA, transB, m, n, k, 1, a.data, a.shape[1], b.data, b.shape[1], beta, dst.data, n)
	matMulFLOPs.Add(uint64(2 * m * n * k))
}

var matMulFLOPs atomic.Uint64

// MatMulFLOPs returns the floating-point operations (2·m·n·k per product)
// that MatMul has performed in this process: benchmarks divide differences
// of it by time to report GFLOP/s.
func MatMulFLOPs() uint64 { return matMulFLOPs.Load() }

func tflag(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}

// AppendMatMulShape appends the shape of op(a)·op(b) for 2-D shapes a and b
// to dst and returns the extended slice, allocating nothing when dst has
// room.
func AppendMatMulShape(dst, a, b []int, transA, transB bool) []int {
	m, k := a[0], a[1]
	if transA {
		m, k = k, m
	}
	kb, n := b[0], b[1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("tensor: MatMul shapes %v%s · %v%s do not agree", a, tflag(transA), b, tflag(transB)))
	}
	return append(dst, m, n)
}

// BroadcastShape returns the NumPy broadcast of shapes a and b.
func BroadcastShape(a, b []int) ([]int, error) {
	return AppendBroadcastShape(make([]int, 0, max(len(a), len(b))), a, b)
}

// AppendBroadcastShape appends the NumPy broadcast of shapes a and b to dst
// and returns the extended slice, allocating nothing when dst has room.
func AppendBroadcastShape(dst, a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	base := len(dst)
	dst = append(dst, make([]int, n)...)
	out := dst[base:]
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("tensor: shapes %v and %v do not broadcast", a, b)
		}
	}
	return dst, nil
}

// BinaryOp names an element-wise binary operation.
type BinaryOp int

// The element-wise binary operations.
const (
	OpAdd BinaryOp = iota
	OpSub
	OpMul
	OpDiv
)

// Binary computes dst = a op b element-wise with NumPy broadcasting; dst must
// have the broadcast shape. dst may alias a or b when it has the same shape.
func Binary(op BinaryOp, dst, a, b *Tensor) {
	var buf [8]int
	out, err := AppendBroadcastShape(buf[:0], a.shape, b.shape)
	if err != nil {
		panic(err)
	}
	if !EqualShapes(out, dst.shape) {
		// A copy, so that buf stays on the stack.
		panic(fmt.Sprintf("tensor: binary op %v, %v -> destination %v, want %v", a.shape, b.shape, dst.shape, slices.Clone(out)))
	}
	switch {
	case len(a.data) == len(dst.data) && len(b.data) == len(dst.data):
		if len(dst.data) >= parallelElementwise {
			binaryShared(op, dst.data, a.data, b.data, elementChunk)
			return
		}
		binarySlices(op, dst.data, a.data, b.data)
	case len(a.data) == len(dst.data) && len(dst.data) >= parallelElementwise && isRowOf(b.shape, out):
		binaryShared(op, dst.data, a.data, b.data, len(b.data))
	case len(b.data) == 1 && len(a.data) == len(dst.data):
		binaryScalarRight(op, dst.data, a.data, b.data[0])
	case len(a.data) == 1 && len(b.data) == len(dst.data):
		binaryScalarLeft(op, dst.data, a.data[0], b.data)
	case len(a.data) == len(dst.data) && isRowOf(b.shape, out):
		d := len(b.data)
		for i := 0; i < len(dst.data); i += d {
			binarySlices(op, dst.data[i:i+d], a.data[i:i+d], b.data)
		}
	case len(a.data) == len(dst.data) && isColumnOf(b.shape, out):
		d := out[len(out)-1]
		for r, i := 0, 0; i < len(dst.data); r, i = r+1, i+d {
			binaryScalarRight(op, dst.data[i:i+d], a.data[i:i+d], b.data[r])
		}
	default:
		ea, eb := a, b
		if len(a.data) != len(dst.data) {
			ea = New(out...)
			BroadcastTo(ea, a)
		}
		if len(b.data) != len(dst.data) {
			eb = New(out...)
			BroadcastTo(eb, b)
		}
		binarySlices(op, dst.data, ea.data, eb.data)
	}
}

// isRowOf reports whether s broadcasts along every axis of out but the last,
// where it is full: [D] or [1, D] against [N, D].
func isRowOf(s, out []int) bool {
	if len(s) == 0 || s[len(s)-1] != out[len(out)-1] {
		return false
	}
	for _, d := range s[:len(s)-1] {
		if d != 1 {
			return false
		}
	}
	return true
}

// isColumnOf reports whether s is [N, 1] against out [N, D] (leading 1s allowed).
func isColumnOf(s, out []int) bool {
	if len(s) < 2 || len(s) != len(out) || s[len(s)-1] != 1 {
		return false
	}
	return EqualShapes(s[:len(s)-1], out[:len(out)-1])
}

// parallelElementwise is the size of an element-wise operation or a sum
// (in elements) from which Binary and sumColumns share it among the GEMM
// pool's goroutines: about 100 µs of work.
const parallelElementwise = 1 << 18

// binaryShared computes dst = a op b shared among the GEMM pool's
// goroutines in parts of whole rows of d elements, b being either as long
// as dst (d a chunk size) or one row of d elements repeated. Each element
// is computed alone, so the result does not depend on the split.
func binaryShared(op BinaryOp, dst, a, b []float32, d int) {
	j := binaryJobs.Get().(*binaryJob)
	j.op, j.dst, j.a, j.b, j.d = op, dst, a, b, d
	j.parts = kernels.Parts((len(dst) + elementChunk - 1) / elementChunk)
	kernels.Parallel(j.parts, j.doPart)
	j.dst, j.a, j.b = nil, nil, nil
	binaryJobs.Put(j)
}

// binaryJob is an element-wise operation shared among goroutines.
type binaryJob struct {
	op        BinaryOp
	dst, a, b []float32
	d, parts  int
	doPart    func(part int) // do as a function value, made once per pooled job
}

var binaryJobs = sync.Pool{New: func() any {
	j := new(binaryJob)
	j.doPart = j.do
	return j
}}

// do computes part number part of the job's rows.
func (j *binaryJob) do(part int) {
	rows := len(j.dst) / j.d
	lo, hi := part*rows/j.parts*j.d, (part+1)*rows/j.parts*j.d
	if part == j.parts-1 {
		hi = len(j.dst)
	}
	for i := lo; i < hi; i += j.d {
		e := min(i+j.d, hi)
		if len(j.b) == len(j.dst) {
			binarySlices(j.op, j.dst[i:e], j.a[i:e], j.b[i:e])
		} else {
			binarySlices(j.op, j.dst[i:e], j.a[i:e], j.b[:e-i])
		}
	}
}

func binarySlices(op BinaryOp, d, x, y []float32) {
	y = y[:len(d)]
	x = x[:len(d)]
	switch op {
	case OpAdd:
		kernels.Add(d, x, y)
	case OpSub:
		kernels.Sub(d, x, y)
	case OpMul:
		kernels.Mul(d, x, y)
	case OpDiv:
		kernels.Div(d, x, y)
	}
}

func binaryScalarRight(op BinaryOp, d, x []float32, y float32) {
	x = x[:len(d)]
	switch op {
	case OpAdd:
		for i := range d {
			d[i] = x[i] + y
		}
	case OpSub:
		for i := range d {
			d[i] = x[i] - y
		}
	case OpMul:
		for i := range d {
			d[i] = x[i] * y
		}
	case OpDiv:
		for i := range d {
			d[i] = x[i] / y
		}
	}
}

func binaryScalarLeft(op BinaryOp, d []float32, x float32, y []float32) {
	y = y[:len(d)]
	switch op {
	case OpAdd:
		for i := range d {
			d[i] = x + y[i]
		}
	case OpSub:
		for i := range d {
			d[i] = x - y[i]
		}
	case OpMul:
		for i := range d {
			d[i] = x * y[i]
		}
	case OpDiv:
		for i := range d {
			d[i] = x / y[i]
		}
	}
}

// broadcastStrides returns, for each axis of out, the stride of src along it
// (0 where src is broadcast).
func broadcastStrides(src, out []int) []int {
	st := make([]int, len(out))
	s := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := len(src) - len(out) + i
		if j < 0 {
			continue
		}
		if src[j] != 1 {
			st[i] = s
		}
		s *= src[j]
	}
	return st
}

// forEachBroadcast calls f(outIndex, srcIndex) for every element of out.
func forEachBroadcast(src, out []int, f func(o, s int)) {
	if _, err := BroadcastShape(src, out); err != nil || len(src) > len(out) {
		panic(fmt.Sprintf("tensor: %v does not broadcast to %v", src, out))
	}
	st := broadcastStrides(src, out)
	idx := make([]int, len(out))
	n := checkShape(out)
	s := 0
	for o := 0; o < n; o++ {
		f(o, s)
		for ax := len(out) - 1; ax >= 0; ax-- {
			idx[ax]++
			s += st[ax]
			if idx[ax] < out[ax] {
				break
			}
			s -= st[ax] * idx[ax]
			idx[ax] = 0
		}
	}
}

// BroadcastTo fills dst by broadcasting src to dst's shape.
func BroadcastTo(dst, src *Tensor) {
	switch {
	case len(src.data) == len(dst.data):
		copy(dst.data, src.data)
	case len(src.data) == 1:
		dst.Fill(src.data[0])
	case isRowOf(src.shape, dst.shape):
		d := len(src.data)
		for i := 0; i < len(dst.data); i += d {
			copy(dst.data[i:i+d], src.data)
		}
	default:
		forEachBroadcast(src.shape, dst.shape, func(o, s int) { dst.data[o] = src.data[s] })
	}
}

// SumTo sets dst to src summed over the axes along which dst's shape
// broadcasts to src's: the adjoint of BroadcastTo.
func SumTo(dst, src *Tensor) {
	switch {
	case len(src.data) == len(dst.data):
		copy(dst.data, src.data)
	case len(dst.data) == 1:
		var s float64
		for _, v := range src.data {
			s += float64(v)
		}
		dst.data[0] = float32(s)
	case isRowOf(dst.shape, src.shape):
		sumColumns(dst.data, src.data)
	case isColumnOf(dst.shape, src.shape):
		d := src.shape[len(src.shape)-1]
		for r, i := 0, 0; i < len(src.data); r, i = r+1, i+d {
			var s float64
			for _, v := range src.data[i : i+d] {
				s += float64(v)
			}
			dst.data[r] = float32(s)
		}
	default:
		acc := make([]float64, len(dst.data))
		forEachBroadcast(dst.shape, src.shape, func(o, s int) { acc[s] += float64(src.data[o]) })
		for i := range acc {
			dst.data[i] = float32(acc[i])
		}
	}
}

// sumColumns sets dst[j] to the sum, accumulated in float64, of column j of
// src viewed as rows of len(dst): the gradient of a bias. It works through
// the columns in blocks held on the stack, so it allocates nothing; large
// sums share the blocks among the GEMM pool's goroutines (each column is
// summed by one, in row order, so the result does not depend on the
// split).
func sumColumns(dst, src []float32) {
	blocks := (len(dst) + sumBlock - 1) / sumBlock
	if len(src) < parallelElementwise {
		for b := range blocks {
			sumColumnBlock(dst, src, b)
		}
		return
	}
	j := sumJobs.Get().(*sumJob)
	j.dst, j.src = dst, src
	kernels.Parallel(blocks, j.doPart)
	j.dst, j.src = nil, nil
	sumJobs.Put(j)
}

// sumJob is a sumColumns shared among goroutines, a block of columns a
// part.
type sumJob struct {
	dst, src []float32
	doPart   func(b int) // sumColumnBlock on the job's slices, made once per pooled job
}

var sumJobs = sync.Pool{New: func() any {
	j := new(sumJob)
	j.doPart = func(b int) { sumColumnBlock(j.dst, j.src, b) }
	return j
}}

// sumBlock is the number of columns sumColumnBlock sums at a time.
const sumBlock = 256

// sumColumnBlock sums the columns of block b (of sumBlock columns) for
// sumColumns.
func sumColumnBlock(dst, src []float32, b int) {
	var acc [sumBlock]float64
	d, j0 := len(dst), b*sumBlock
	a := acc[:min(sumBlock, d-j0)]
	for i := j0; i < len(src); i += d {
		kernels.AccumulateFloat64(a, src[i:i+len(a)])
	}
	for j, v := range a {
		dst[j0+j] = float32(v)
	}
}

// UnaryOp names an element-wise unary function.
type UnaryOp int

// The element-wise unary functions. Step maps x to 1 where x > 0 and to a
// given value elsewhere (see Unary's param).
const (
	OpNeg UnaryOp = iota
	OpExp
	OpLog
	OpSqrt
	OpTanh
	OpSigmoid
	OpSoftplus
	OpLeakyReLU
	OpStep
	OpAbs
	OpScale
	OpAddScalar
)

// Unary computes dst = f(src) element-wise. param is the slope for
// OpLeakyReLU, the value for x ≤ 0 for OpStep, the factor for OpScale and
// the addend for OpAddScalar; other functions ignore it. OpTanh is
// kernels.Tanh, a vectorised rational approximation within 6 units in the
// last place.
func Unary(op UnaryOp, dst, src *Tensor, param float32) {
	if len(dst.data) != len(src.data) {
		panic(fmt.Sprintf("tensor: unary op %v -> %v", src.shape, dst.shape))
	}
	d, x := dst.data, src.data
	switch op {
	case OpNeg:
		for i, v := range x {
			d[i] = -v
		}
	case OpExp:
		for i, v := range x {
			d[i] = float32(math.Exp(float64(v)))
		}
	case OpLog:
		for i, v := range x {
			d[i] = float32(math.Log(float64(v)))
		}
	case OpSqrt:
		for i, v := range x {
			d[i] = float32(math.Sqrt(float64(v)))
		}
	case OpTanh:
		kernels.Tanh(d, x)
	case OpSigmoid:
		for i, v := range x {
			d[i] = sigmoid(v)
		}
	case OpSoftplus:
		for i, v := range x {
			// log(1 + e^v) = max(v, 0) + log1p(e^-|v|), stable for any v.
			a := math.Abs(float64(v))
			d[i] = float32(math.Max(float64(v), 0) + math.Log1p(math.Exp(-a)))
		}
	case OpLeakyReLU:
		// Branch-free: the sign of activations is unpredictable.
		for i, v := range x {
			d[i] = max(v, 0) + param*min(v, 0)
		}
	case OpStep:
		for i, v := range x {
			d[i] = param + (1-param)*positive(v)
		}
	case OpAbs:
		for i, v := range x {
			d[i] = float32(math.Abs(float64(v)))
		}
	case OpScale:
		for i, v := range x {
			d[i] = param * v
		}
	case OpAddScalar:
		for i, v := range x {
			d[i] = v + param
		}
	default:
		panic(fmt.Sprintf("tensor: unknown unary op %d", op))
	}
}

// positive returns 1 if v > 0 and 0 otherwise (also 0 for NaN with the
// sign bit set, 1 for NaN without), without a branch.
func positive(v float32) float32 {
	s := int32(math.Float32bits(v))
	return float32(uint32(^s>>31) & uint32(-s>>31) & 1)
}

func sigmoid(v float32) float32 {
	if v >= 0 {
		return float32(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return float32(e / (1 + e))
}

// Transpose sets dst [n, m] to the transpose of src [m, n].
func Transpose(dst, src *Tensor) {
	if src.Dims() != 2 || dst.Dims() != 2 || dst.shape[0] != src.shape[1] || dst.shape[1] != src.shape[0] {
		panic(fmt.Sprintf("tensor: Transpose %v -> %v", src.shape, dst.shape))
	}
	m, n := src.shape[0], src.shape[1]
	const blk = 32
	for i0 := 0; i0 < m; i0 += blk {
		for j0 := 0; j0 < n; j0 += blk {
			for i := i0; i < min(i0+blk, m); i++ {
				for j := j0; j < min(j0+blk, n); j++ {
					dst.data[j*m+i] = src.data[i*n+j]
				}
			}
		}
	}
}

// Sum returns the sum of all elements, accumulated in float64.
func (t *Tensor) Sum() float64 {
	var s float64
	for _, v := range t.data {
		s += float64(v)
	}
	return s
}

// Clamp limits every element of t to [lo, hi] in place.
func (t *Tensor) Clamp(lo, hi float32) {
	for i, v := range t.data {
		t.data[i] = min(max(v, lo), hi)
	}
}
