// Package gradcheck computes finite-difference derivatives for the tests
// that check nash's analytic gradients against them.
package gradcheck

import "math"

// Numeric returns the central-difference derivative (f(x+eps) −
// f(x−eps)) / 2eps of f with respect to every element of x, which f reads;
// each element is restored after its two evaluations.
func Numeric(x []float32, f func() float64, eps float32) []float64 {
	out := make([]float64, len(x))
	for j := range x {
		orig := x[j]
		x[j] = orig + eps
		fp := f()
		x[j] = orig - eps
		fm := f()
		x[j] = orig
		out[j] = (fp - fm) / (2 * float64(eps))
	}
	return out
}

// Mismatch returns the index of the first element where got and want differ
// by more than atol + rtol·|want|, or −1 if none does.
func Mismatch(got []float32, want []float64, atol, rtol float64) int {
	for j, w := range want {
		if math.Abs(float64(got[j])-w) > atol+rtol*math.Abs(w) {
			return j
		}
	}
	return -1
}
