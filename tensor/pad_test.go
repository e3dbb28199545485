package tensor

import (
	"slices"
	"testing"
)

// TestReflectPad2d checks the padding against torch.nn.ReflectionPad2d(2)
// of a 2×4 image, whose rows and columns mirror without repeating the edge,
// and its adjoint by ⟨pad(x), y⟩ = ⟨x, adjoint(y)⟩.
func TestReflectPad2d(t *testing.T) {
	x := FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 1, 1, 3, 4)
	out := New(1, 1, 7, 8)
	ReflectPad2d(out, x, 2)
	// torch.nn.ReflectionPad2d(2)(torch.arange(1., 13.).view(1, 1, 3, 4)).
	want := []float32{
		11, 10, 9, 10, 11, 12, 11, 10,
		7, 6, 5, 6, 7, 8, 7, 6,
		3, 2, 1, 2, 3, 4, 3, 2,
		7, 6, 5, 6, 7, 8, 7, 6,
		11, 10, 9, 10, 11, 12, 11, 10,
		7, 6, 5, 6, 7, 8, 7, 6,
		3, 2, 1, 2, 3, 4, 3, 2,
	}
	if !slices.Equal(out.Data(), want) {
		t.Fatalf("ReflectPad2d = %v, want %v", out.Data(), want)
	}
	rng := NewRNG(1, "pad")
	a, y := New(2, 3, 5, 4), New(2, 3, 9, 8)
	rng.Uniform(a, -1, 1)
	rng.Uniform(y, -1, 1)
	pa, ay := New(2, 3, 9, 8), New(2, 3, 5, 4)
	ReflectPad2d(pa, a, 2)
	ReflectPad2dAdjoint(ay, y, 2)
	var l, r float64
	for i, v := range pa.Data() {
		l += float64(v) * float64(y.Data()[i])
	}
	for i, v := range a.Data() {
		r += float64(v) * float64(ay.Data()[i])
	}
	if d := l - r; d > 1e-4 || d < -1e-4 {
		t.Fatalf("⟨pad x, y⟩ = %v, ⟨x, adjoint y⟩ = %v", l, r)
	}
}

// TestReflectPad2dRefusesWidePadding checks that a padding as wide as the
// image, which has nothing to reflect, panics.
func TestReflectPad2dRefusesWidePadding(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("ReflectPad2d by 3 of a 3×3 image did not panic")
		}
	}()
	ReflectPad2d(New(1, 1, 9, 9), New(1, 1, 3, 3), 3)
}
