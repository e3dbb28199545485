package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestExp32(t *testing.T) {
	for x := float32(-87); x <= 88; x += 0.0137 {
		got, want := float64(Exp32(x)), math.Exp(float64(x))
		if math.Abs(got-want) > 3e-7*want {
			t.Fatalf("Exp32(%v) = %v, want %v", x, got, want)
		}
	}
	if Exp32(-100) != 0 || !math.IsInf(float64(Exp32(100)), 1) || Exp32(0) != 1 {
		t.Fatalf("Exp32 at the limits: %v %v %v", Exp32(-100), Exp32(100), Exp32(0))
	}
	if nan := float32(math.NaN()); Exp32(nan) == Exp32(nan) {
		t.Fatal("Exp32(NaN) is not NaN")
	}
}

// TestExpShift checks the vector loop against Exp32 bit for bit, over
// every exponent of float32 and the special values, at every length.
func TestExpShift(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -87.29, -87.31, 88.69, 88.71, -100, 100,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	x := slices.Clone(special)
	for bits := uint32(0); bits < 0x7f800000; bits += 0x1001 {
		v := math.Float32frombits(bits)
		x = append(x, v, -v)
	}
	for _, c := range []struct{ shift, scale float32 }{{0, 1}, {1.5, 1}, {-3, 0.7}, {2, 1.9}} {
		for _, n := range append(lengths, len(x)) {
			got := make([]float32, n)
			ExpShift(got, x[:n], c.shift, c.scale)
			for i, v := range x[:n] {
				want := Exp32((v - c.shift) * c.scale)
				if math.Float32bits(got[i]) != math.Float32bits(want) {
					t.Fatalf("%+v, n=%d: exp((%g − shift)·scale) = %g, Exp32 gives %g", c, n, v, got[i], want)
				}
			}
		}
	}
}

// TestSumFloat64 checks the vector loop against the interleaved sums
// written out, and the total against a plain float64 sum.
func TestSumFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randSlice(rng, 1100)
	for _, n := range append(lengths, len(x)) {
		var acc [8]float64
		for i, v := range x[:n] {
			acc[i%8] += float64(v)
		}
		var want, plain float64
		for _, a := range acc {
			want += a
		}
		for _, v := range x[:n] {
			plain += float64(v)
		}
		got := SumFloat64(x[:n])
		if got != want {
			t.Fatalf("n=%d: SumFloat64 = %v, the interleaved sums give %v", n, got, want)
		}
		if math.Abs(got-plain) > 1e-12*float64(n+1) {
			t.Fatalf("n=%d: SumFloat64 = %v, a plain sum gives %v", n, got, plain)
		}
	}
}

// TestMax checks Max against the largest value, wherever it falls, and
// that it refuses no values.
func TestMax(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range append(lengths, 1000) {
		if n == 0 {
			continue
		}
		x := randSlice(rng, n)
		for _, at := range []int{0, n / 2, n - 1} {
			x[at] = 7
			if got := Max(x); got != 7 {
				t.Fatalf("n=%d, 7 at %d: Max = %g", n, at, got)
			}
			x[at] = 0
		}
	}
	if Max([]float32{-3}) != -3 || Max([]float32{float32(math.Inf(-1)), -1e30}) != -1e30 {
		t.Fatal("Max of one value or of −Inf")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Max of no values did not panic")
		}
	}()
	Max(nil)
}

// TestSumExp checks SumExp against a float64 sum of the exponentials over
// lengths that end inside, at and past the chunk's boundaries.
func TestSumExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randSlice(rng, 3*ExpChunk+5)
	for i := range x {
		x[i] *= 4
	}
	for _, n := range []int{1, 9, ExpChunk - 1, ExpChunk, ExpChunk + 1, len(x)} {
		m := Max(x[:n])
		for _, scale := range []float32{1, 0.5} {
			var want float64
			for _, v := range x[:n] {
				want += math.Exp(float64((v - m) * scale))
			}
			if got := SumExp(x[:n], m, scale); math.Abs(got-want) > 1e-6*want {
				t.Fatalf("n=%d, scale %g: SumExp = %v, want %v", n, scale, got, want)
			}
		}
	}
}
