package metrics

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/nash-gan/nash/tensor"
)

// normal returns n samples of N(shift, scale² I) in d dimensions.
func normal(name string, n, d int, shift, scale float64, rng *tensor.RNG) *Features {
	data := make([]float64, n*d)
	for i := range data {
		data[i] = shift + scale*rng.Norm()
	}
	f, err := NewFeatures(name, data, n, d)
	if err != nil {
		panic(err)
	}
	return f
}

func TestNewFeaturesRejects(t *testing.T) {
	tests := []struct {
		name string
		data []float64
		n, d int
		want string
	}{
		{"length", []float64{1, 2, 3}, 2, 2, "3 values for shape [2, 2]"},
		{"no columns", nil, 0, 0, "shape [0, 0]"},
		{"negative", nil, -1, 2, "shape [-1, 2]"},
		{"NaN", []float64{1, 2, 3, math.NaN()}, 2, 2, "NaN at row 1, column 1"},
		{"Inf", []float64{math.Inf(1), 2}, 1, 2, "+Inf at row 0, column 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFeatures("input", tt.data, tt.n, tt.d)
			if err == nil || !strings.Contains(err.Error(), "input") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one naming input and %q", err, tt.want)
			}
		})
	}
}

func TestFromTensor(t *testing.T) {
	f, err := FromTensor("t", tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 3 || f.Dim() != 2 || !slices.Equal(f.Row(1), []float64{3, 4}) {
		t.Errorf("got [%d, %d] row 1 %v", f.Len(), f.Dim(), f.Row(1))
	}
	if _, err := FromTensor("images", tensor.New(2, 1, 2, 2)); err == nil || !strings.Contains(err.Error(), "[2 1 2 2]") {
		t.Errorf("4-D tensor: error %v", err)
	}
}

func TestSubsample(t *testing.T) {
	data := make([]float64, 20)
	for i := range data {
		data[i] = float64(i / 2)
	}
	f, err := NewFeatures("f", data, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := Subsample(f, 4, tensor.NewRNG(3, "subsample"))
	seen := map[float64]bool{}
	for i := range s.Len() {
		r := s.Row(i)
		if r[0] != r[1] || seen[r[0]] {
			t.Fatalf("row %v is not a distinct row of f", r)
		}
		seen[r[0]] = true
	}
	if s.Len() != 4 {
		t.Errorf("%d rows, want 4", s.Len())
	}
	if Subsample(f, 10, tensor.NewRNG(3, "subsample")) != f {
		t.Error("Subsample to the full size copied")
	}
}

func TestEstimate(t *testing.T) {
	e := estimate([]float64{1, 2, 3, 4})
	if e.Mean != 2.5 || math.Abs(e.Std-math.Sqrt(1.25)) > 1e-15 {
		t.Errorf("estimate = %+v, want mean 2.5 std √1.25", e)
	}
}
