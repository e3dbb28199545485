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
