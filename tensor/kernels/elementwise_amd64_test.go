//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAdamAVX512MatchesAVX2 checks that the AVX-512 and AVX2 Adam loops
// give bit-identical results, so the 16-lane path and the 8-lane remainder
// agree on every element.
func TestAdamAVX512MatchesAVX2(t *testing.T) {
	if !hasAVX512 || !hasAVX2 {
		t.Skip("needs AVX-512 and AVX2")
	}
	rng := rand.New(rand.NewPCG(19, 20))
	const n = 1024
	p, g, m, v := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
	for i := range v {
		v[i] *= v[i]
	}
	p2, m2, v2 := slices.Clone(p), slices.Clone(m), slices.Clone(v)
	c := adamConsts{b1: 0.5, c1: 0.5, b2: 0.999, c2: 1 - float32(0.999), step: 2e-3, sbc2: 0.03, eps: 1e-8}
	adamAVX512(p, g, m, v, c.b1, c.c1, c.b2, c.c2, c.step, c.sbc2, c.eps)
	adamAVX2(p2, g, m2, v2, c.b1, c.c1, c.b2, c.c2, c.step, c.sbc2, c.eps)
	for i := range p {
		if math.Float32bits(p[i]) != math.Float32bits(p2[i]) || math.Float32bits(m[i]) != math.Float32bits(m2[i]) ||
			math.Float32bits(v[i]) != math.Float32bits(v2[i]) {
			t.Fatalf("element %d: AVX-512 gives p, m, v = %g, %g, %g, AVX2 %g, %g, %g", i, p[i], m[i], v[i], p2[i], m2[i], v2[i])
		}
	}
}

// TestExpShiftAVX512MatchesAVX2 checks that the AVX-512 and AVX2 loops of
// ExpShift give bit-identical results over every exponent of float32.
func TestExpShiftAVX512MatchesAVX2(t *testing.T) {
	if !hasAVX512 || !hasAVX2 {
		t.Skip("needs AVX-512 and AVX2")
	}
	var x []float32
	for bits := uint32(0); bits < 0x7f800000; bits += 0x1001 {
		v := math.Float32frombits(bits)
		x = append(x, v, -v)
	}
	x = append(x, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), -87.31, 88.71, 0, 0, 0, 0, 0)
	x = x[:len(x)&^15]
	got, want := make([]float32, len(x)), make([]float32, len(x))
	expShiftAVX512(got, x, 0.5, 1.3)
	expShiftAVX2(want, x, 0.5, 1.3)
	for i := range x {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("exp((%g − 0.5)·1.3): AVX-512 gives %g, AVX2 %g", x[i], got[i], want[i])
		}
	}
}
