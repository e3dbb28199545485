package gradcheck

import "testing"

func TestNumericOfACubic(t *testing.T) {
	x := []float32{1, -2, 0.5}
	f := func() float64 {
		var s float64
		for _, v := range x {
			s += float64(v) * float64(v) * float64(v)
		}
		return s
	}
	got := Numeric(x, f, 1e-2)
	// d/dx x³ = 3x², and the central difference adds eps² exactly.
	want := []float64{3 + 1e-4, 12 + 1e-4, 0.75 + 1e-4}
	if j := Mismatch([]float32{float32(got[0]), float32(got[1]), float32(got[2])}, want, 1e-3, 0); j >= 0 {
		t.Fatalf("element %d: %v, want %v", j, got, want)
	}
	if x[0] != 1 || x[1] != -2 || x[2] != 0.5 {
		t.Fatalf("x not restored: %v", x)
	}
	if j := Mismatch([]float32{1, 2}, []float64{1, 2.5}, 0.1, 0.1); j != 1 {
		t.Fatalf("Mismatch = %d, want 1", j)
	}
}
