package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// kidBrute is the unbiased MMD² of the cubic kernel on whole sets,
// computed pair by pair.
func kidBrute(x, y *Features) float64 {
	k := func(a, b []float64) float64 {
		var dot float64
		for i := range a {
			dot += a[i] * b[i]
		}
		v := dot/float64(len(a)) + 1
		return v * v * v
	}
	var xx, yy, xy float64
	for i := range x.Len() {
		for j := range x.Len() {
			if i != j {
				xx += k(x.Row(i), x.Row(j))
				yy += k(y.Row(i), y.Row(j))
			}
			xy += k(x.Row(i), y.Row(j))
		}
	}
	m := float64(x.Len())
	return (xx+yy)/(m*(m-1)) - 2*xy/(m*m)
}

func TestKID(t *testing.T) {
	rng := tensor.NewRNG(2, "kid")
	x := normal("x", 400, 16, 0, 1, rng)
	same := normal("same", 400, 16, 0, 1, rng)
	shifted := normal("shifted", 400, 16, 0.5, 1, rng)

	whole, err := KID(x, shifted, 3, 1000, tensor.NewRNG(1, "subsets"))
	if err != nil {
		t.Fatal(err)
	}
	if want := kidBrute(x, shifted); math.Abs(whole.Mean-want) > 1e-12*math.Abs(want) {
		t.Errorf("KID on whole sets = %.15g, pair by pair %.15g", whole.Mean, want)
	}
	if whole.Std != 0 {
		t.Errorf("KID on whole sets: a spread of %g over subsets that are all the same", whole.Std)
	}

	a, err := KID(x, same, 100, 100, tensor.NewRNG(1, "subsets"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := KID(x, shifted, 100, 100, tensor.NewRNG(1, "subsets"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("same distribution: %+v; shifted by 0.5: %+v", a, b)
	// The same distribution's estimate must lie within the spread of the
	// subsets around 0, the shifted one's far above it.
	if math.Abs(a.Mean) > a.Std || a.Std <= 0 {
		t.Errorf("same distribution: KID %+v, want |mean| ≤ std", a)
	}
	if b.Mean < 5*b.Std {
		t.Errorf("shifted: KID %+v, want mean ≥ 5 std", b)
	}
	again, err := KID(x, same, 100, 100, tensor.NewRNG(1, "subsets"))
	if err != nil {
		t.Fatal(err)
	}
	if again != a {
		t.Errorf("same seed: %+v then %+v", a, again)
	}
}

func TestKIDRejects(t *testing.T) {
	rng := tensor.NewRNG(1, "kid")
	x := normal("x.npy", 10, 3, 0, 1, rng)
	tests := []struct {
		name         string
		y            *Features
		subsets, max int
		want         string
	}{
		{"dimensions", normal("y.npy", 10, 4, 0, 1, rng), 10, 10, "y.npy has 4"},
		{"no subsets", x, 0, 10, "0 subsets"},
		{"one sample", normal("y.npy", 1, 3, 0, 1, rng), 10, 10, "y.npy has 1"},
		{"subset of one", x, 10, 1, "at most 1 asked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := KID(x, tt.y, tt.subsets, tt.max, rng)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
