package tensor

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
