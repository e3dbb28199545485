package kernels

import (
	"fmt"
	"math"
	"sync"
)

// The element-wise kernels below run AVX2 loops over blocks of 8 elements
// (Adam and ExpShift loop over AVX-512 blocks of 16 first) where the CPU
// has them and finish with the scalar loop, which is also the whole
// computation elsewhere. The vector code does the scalar loop's
// operations in the same order, without fusing multiplies and adds, so on
// amd64 the results are bit-identical to the scalar form compiled for the
// baseline GOAMD64=v1; where the Go compiler fuses x*y+z (arm64, or
// GOAMD64=v3) the scalar loop's results differ from the vector ones by the
// rounding of the fused product, at most one unit in the last place of each
// product term.

// Axpy sets y[i] += alpha·x[i]. It panics if x and y differ in length.
func Axpy(alpha float32, x, y []float32) {
	checkLen("Axpy", "y", len(x), len(y))
	n := axpyBlocks(alpha, x, y)
	axpyScalar(alpha, x[n:], y[n:])
}

func axpyScalar(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Add sets dst[i] = x[i] + y[i]. It panics if the slices differ in length.
func Add(dst, x, y []float32) { binary(opAdd, dst, x, y) }

// Sub sets dst[i] = x[i] − y[i]. It panics if the slices differ in length.
func Sub(dst, x, y []float32) { binary(opSub, dst, x, y) }

// Mul sets dst[i] = x[i]·y[i]. It panics if the slices differ in length.
func Mul(dst, x, y []float32) { binary(opMul, dst, x, y) }

// Div sets dst[i] = x[i] / y[i]. It panics if the slices differ in length.
func Div(dst, x, y []float32) { binary(opDiv, dst, x, y) }

// binaryOp names the arithmetic operation of Add, Sub, Mul and Div.
type binaryOp int

const (
	opAdd binaryOp = iota
	opSub
	opMul
	opDiv
)

var binaryNames = [...]string{opAdd: "Add", opSub: "Sub", opMul: "Mul", opDiv: "Div"}

func binary(op binaryOp, dst, x, y []float32) {
	checkLen(binaryNames[op], "x", len(dst), len(x))
	checkLen(binaryNames[op], "y", len(dst), len(y))
	n := binaryBlocks(op, dst, x, y)
	binaryScalar(op, dst[n:], x[n:], y[n:])
}

func binaryScalar(op binaryOp, dst, x, y []float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	switch op {
	case opAdd:
		for i := range dst {
			dst[i] = x[i] + y[i]
		}
	case opSub:
		for i := range dst {
			dst[i] = x[i] - y[i]
		}
	case opMul:
		for i := range dst {
			dst[i] = x[i] * y[i]
		}
	case opDiv:
		for i := range dst {
			dst[i] = x[i] / y[i]
		}
	}
}

// AccumulateFloat64 sets acc[j] += float64(x[j]): one row of a column sum
// kept in float64. It panics if acc and x differ in length.
func AccumulateFloat64(acc []float64, x []float32) {
	checkLen("AccumulateFloat64", "x", len(acc), len(x))
	n := accumulate64Blocks(acc, x)
	accumulate64Scalar(acc[n:], x[n:])
}

func accumulate64Scalar(acc []float64, x []float32) {
	acc = acc[:len(x)]
	for j, v := range x {
		acc[j] += float64(v)
	}
}

// LeakyReLU sets dst[i] = x[i] where x[i] > 0 and slope·x[i] elsewhere
// (including NaN, which stays NaN). It panics if dst and x differ in
// length.
func LeakyReLU(dst, x []float32, slope float32) {
	checkLen("LeakyReLU", "x", len(dst), len(x))
	n := leakyReLUBlocks(dst, x, slope)
	leakyReLUScalar(dst[n:], x[n:], slope)
}

func leakyReLUScalar(dst, x []float32, slope float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = selectPositive(v, v, slope*v)
	}
}

// LeakyReLUGrad sets dst[i] = g[i] where x[i] > 0 and slope·g[i] elsewhere:
// the gradient through LeakyReLU of the upstream gradient g. It panics if
// the slices differ in length.
func LeakyReLUGrad(dst, x, g []float32, slope float32) {
	checkLen("LeakyReLUGrad", "x", len(dst), len(x))
	checkLen("LeakyReLUGrad", "g", len(dst), len(g))
	n := leakyReLUGradBlocks(dst, x, g, slope)
	leakyReLUGradScalar(dst[n:], x[n:], g[n:], slope)
}

func leakyReLUGradScalar(dst, x, g []float32, slope float32) {
	x, g = x[:len(dst)], g[:len(dst)]
	for i, v := range x {
		dst[i] = selectPositive(v, g[i], slope*g[i])
	}
}

// selectPositive returns pos if x > 0 and other otherwise (x NaN
// included), choosing with a mask rather than a branch: the sign of
// activations is unpredictable.
func selectPositive(x, pos, other float32) float32 {
	var m uint32
	if x > 0 {
		m = ^uint32(0)
	}
	return math.Float32frombits(math.Float32bits(pos)&m | math.Float32bits(other)&^m)
}

// Tanh sets dst[i] = tanh x[i] with the rational approximation Eigen (and
// so TensorFlow) uses for float32: x·P(x²)/Q(x²), P of degree 6 and Q of
// degree 3, on x clamped to ±7.905 (where tanh rounds to ±1), and x itself
// where |x| < 0.0004. It is within 6 units in the last place of the
// correctly rounded value (1 or fewer for 98 % of inputs); NaN stays NaN.
// It panics if dst and x differ in length.
func Tanh(dst, x []float32) {
	checkLen("Tanh", "x", len(dst), len(x))
	n := tanhBlocks(dst, x)
	tanhScalar(dst[n:], x[n:])
}

// The constants of Tanh's approximation; the assembly generator
// (internal/asmgen) has the same table.
const (
	tanhClamp = 7.90531110763549805
	tanhA13   = -2.76076847742355e-16
	tanhA11   = 2.00018790482477e-13
	tanhA9    = -8.60467152213735e-11
	tanhA7    = 5.12229709037114e-08
	tanhA5    = 1.48572235717979e-05
	tanhA3    = 6.37261928875436e-04
	tanhA1    = 4.89352455891786e-03
	tanhB6    = 1.19825839466702e-06
	tanhB4    = 1.18534705686654e-04
	tanhB2    = 2.26843463243900e-03
	tanhB0    = 4.89352518554385e-03
	tanhTiny  = 0.0004
)

func tanhScalar(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		c := v
		if c > tanhClamp {
			c = tanhClamp
		}
		if c < -tanhClamp {
			c = -tanhClamp
		}
		x2 := c * c
		p := x2*tanhA13 + tanhA11
		p = p*x2 + tanhA9
		p = p*x2 + tanhA7
		p = p*x2 + tanhA5
		p = p*x2 + tanhA3
		p = p*x2 + tanhA1
		q := x2*tanhB6 + tanhB4
		q = q*x2 + tanhB2
		q = q*x2 + tanhB0
		r := c * p / q
		if float32(math.Abs(float64(v))) < tanhTiny {
			r = v
		}
		dst[i] = r
	}
}

// Adam applies one step of PyTorch's Adam rule to parameters p with
// gradient g and moment estimates m and v:
//
//	m = β₁·m + (1−β₁)·g
//	v = β₂·v + (1−β₂)·g²
//	p = p − (lr/bc1)·m / (√v/√bc2 + eps)
//
// where bc1 = 1−β₁ᵗ and bc2 = 1−β₂ᵗ are the bias corrections for step t.
// All arithmetic is float32: lr/bc1 and √bc2 are rounded once and each
// element's update is computed in the order written. Long slices are
// shared among goroutines in chunks of whole vector blocks (on a contended
// machine only when that has been faster, see runTask), which does not
// change any element's arithmetic. It panics if the slices differ in
// length.
func Adam(p, g, m, v []float32, lr, beta1, beta2, eps, bc1, bc2 float32) {
	checkLen("Adam", "g", len(p), len(g))
	checkLen("Adam", "m", len(p), len(m))
	checkLen("Adam", "v", len(p), len(v))
	j := adamJobs.Get().(*adamJob)
	j.p, j.g, j.m, j.v = p, g, m, v
	j.c = adamConsts{
		b1: beta1, c1: 1 - beta1, b2: beta2, c2: 1 - beta2,
		step: lr / bc1, sbc2: float32(math.Sqrt(float64(bc2))), eps: eps,
	}
	j.parts = elementwiseParts(len(p))
	runTask(j, j.parts, adamKey^uint64(len(p)))
	*j = adamJob{}
	adamJobs.Put(j)
}

// adamJob is one Adam update shared among goroutines.
type adamJob struct {
	p, g, m, v []float32
	c          adamConsts
	parts      int
}

// adamKey names an Adam update for choose, with the number of elements.
const adamKey = 1 << 61

var adamJobs = sync.Pool{New: func() any { return new(adamJob) }}

func (j *adamJob) do(part int) {
	lo, hi := chunk(len(j.p), j.parts, part)
	p, g, m, v := j.p[lo:hi], j.g[lo:hi], j.m[lo:hi], j.v[lo:hi]
	n := adamBlocks(p, g, m, v, &j.c)
	adamScalar(p[n:], g[n:], m[n:], v[n:], &j.c)
}

// minParallelElements is the length from which an element-wise kernel is
// shared among goroutines: Adam takes about 30 µs for it on one core.
const minParallelElements = 1 << 15

// elementwiseParts returns the number of chunks to cut n elements into:
// Parts's count, each chunk at least minParallelElements long.
func elementwiseParts(n int) int {
	return min(Parts(n), max(1, n/minParallelElements))
}

// chunk returns the bounds of chunk part of n elements cut into parts
// chunks, every bound but n a multiple of 16 (a whole number of vector
// blocks), so that each element is computed as it would be in one piece.
func chunk(n, parts, part int) (lo, hi int) {
	blocks := n / 16
	lo = part * blocks / parts * 16
	hi = (part + 1) * blocks / parts * 16
	if part == parts-1 {
		hi = n
	}
	return lo, hi
}

// adamConsts are Adam's per-step constants in float32.
type adamConsts struct {
	b1, c1, b2, c2, step, sbc2, eps float32
}

func adamScalar(p, g, m, v []float32, c *adamConsts) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		m[i] = c.b1*m[i] + c.c1*g[i]
		v[i] = c.b2*v[i] + c.c2*g[i]*g[i]
		p[i] -= c.step * m[i] / (float32(math.Sqrt(float64(v[i])))/c.sbc2 + c.eps)
	}
}

// checkLen panics unless the slice named name has length got == want.
func checkLen(fn, name string, want, got int) {
	if got != want {
		panic(fmt.Sprintf("kernels: %s: %s has %d elements, want %d", fn, name, got, want))
	}
}
