package kernels

import "math"

// Exp32 returns e^x in float32 precision (relative error below 2·10⁻⁷,
// Cephes' expf: a Cody–Waite reduction to r ∈ [−ln2/2, ln2/2] and a
// degree-6 polynomial), several times faster than math.Exp. It returns 0
// below −87.3 and +Inf above 88.7, and NaN for NaN.
func Exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x < -87.3:
		return 0
	case x > 88.7:
		return float32(math.Inf(1))
	}
	k := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	r := x - k*0.693359375 + k*2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	// k ∈ [−126, 128): 2^k is a normal float32 (y < √2 keeps the product
	// finite below 88.7).
	return y * math.Float32frombits(uint32(int32(k)+127)<<23)
}

// ExpShift sets dst[i] = Exp32((x[i] − shift)·scale): the exponentials of
// a row of a softmax at temperature 1/scale, shift being the row's
// maximum. It panics if dst and x differ in length.
func ExpShift(dst, x []float32, shift, scale float32) {
	checkLen("ExpShift", "x", len(dst), len(x))
	n := expShiftBlocks(dst, x, shift, scale)
	expShiftScalar(dst[n:], x[n:], shift, scale)
}

func expShiftScalar(dst, x []float32, shift, scale float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = Exp32((v - shift) * scale)
	}
}

// SumFloat64 returns the sum of x in float64. The values are added in
// eight interleaved sums (x[i] to the sum of i mod 8, in the order of i),
// which are then added in order, so the result is the same with the
// vector loop and without.
func SumFloat64(x []float32) float64 {
	var acc [8]float64
	n := sum64Blocks(&acc, x)
	sum64Scalar(&acc, x[:n:n], x[n:])
	var s float64
	for _, a := range acc {
		s += a
	}
	return s
}

// sum64Scalar adds the values of tail to acc as the vector loop would,
// had it gone on: tail follows the head values the loop has summed.
func sum64Scalar(acc *[8]float64, head, tail []float32) {
	for i, v := range tail {
		acc[(len(head)+i)%8] += float64(v)
	}
}

// Max returns the largest value of x, which must not be empty. NaN counts
// as largest or is ignored depending on where it falls (as x86's MAXPS,
// which it uses, treats NaN); a caller that needs NaN to propagate must
// see it through another operation.
func Max(x []float32) float32 {
	if len(x) == 0 {
		panic("kernels: Max of no values")
	}
	acc := [8]float32{x[0], x[0], x[0], x[0], x[0], x[0], x[0], x[0]}
	n := maxBlocks(&acc, x)
	maxScalar(&acc, x[:n:n], x[n:])
	m := acc[0]
	for _, v := range acc[1:] {
		m = maxps(m, v)
	}
	return m
}

// maxScalar takes the values of tail into acc as the vector loop would,
// had it gone on: tail follows the head values the loop has taken.
func maxScalar(acc *[8]float32, head, tail []float32) {
	for i, v := range tail {
		l := (len(head) + i) % 8
		acc[l] = maxps(acc[l], v)
	}
}

// maxps returns a if a > b and b otherwise (NaN and equal zeros included),
// as one lane of x86's MAXPS.
func maxps(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}

// SumExp returns Σ Exp32((x[i] − shift)·scale) in float64: the normaliser
// of a softmax at temperature 1/scale, shift being x's maximum. The
// exponentials are computed a chunk at a time in a buffer on the stack and
// summed as SumFloat64 sums them, chunk by chunk, so it allocates nothing
// and gives the same sum with the vector loops and without.
func SumExp(x []float32, shift, scale float32) float64 {
	var chunk [ExpChunk]float32
	var sum float64
	for lo := 0; lo < len(x); lo += ExpChunk {
		e := chunk[:min(ExpChunk, len(x)-lo)]
		ExpShift(e, x[lo:lo+len(e)], shift, scale)
		sum += SumFloat64(e)
	}
	return sum
}

// ExpChunk is how many exponentials SumExp computes at a time, and a good
// size for any loop that computes exponentials into a buffer of its own
// on the stack: it stays in the first-level cache.
const ExpChunk = 256
