package tensor

import (
	"math"
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
